"""The answer in words and the what-if plan, shared by the app and the reports: the headline
sentence, the key figures, which inputs are uncertain and their ranges, the grid's axes, and
the table of scenario fields (label, unit, help, range)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..core.wording import breakeven_text, roi_text
from ..model.result import format_usd, is_missing, share_text
from ..model.scenario import Scenario, field_rule

OPTION_ACTIONS = {
    "prompt": "Keep prompting a large model",
    "rag": "Prompt with retrieval (RAG)",
    "finetune": "Fine-tune through the provider's API",
    "selfhost": "Self-host a LoRA fine-tune",
    "hybrid": "Go hybrid (tuned model, prompted fallback)",
}
"""The recommendation, as the headline says it."""

OPTION_NOUNS = {
    "prompt": "prompting a large model",
    "rag": "prompting with RAG",
    "finetune": "fine-tuning through the API",
    "selfhost": "self-hosting a LoRA",
    "hybrid": "the hybrid",
}


@dataclass(frozen=True, kw_only=True)
class Field:
    """One numeric widget: the scenario field it edits and how it is drawn.

    path : scenario field path, also the widget key (``ui.…`` keys are page settings)
    label, help, unit : what the user reads; ``unit`` is the widget's unit (after ``scale``)
    lo, hi, step : the widget's range and step [widget unit]
    scale : widget value = scenario value × scale (100 for shares shown in percent)
    integer : the widget holds whole numbers
    slider : draw a slider (else a number box)
    fmt : printf-style format of the widget value
    auto : for an optional field, the empty widget's placeholder, saying what empty means
        (about 20 characters fit); the field is then left unset (``None``) and the core
        picks its value. Empty = not optional
    """

    path: str
    group: str
    label: str
    unit: str
    help: str
    lo: float
    hi: float
    step: float
    scale: float = 1.0
    integer: bool = False
    slider: bool = False
    fmt: str | None = None
    auto: str = ""

    @property
    def optional(self) -> bool:
        """The widget may be empty: the field left unset, its value automatic."""
        return bool(self.auto)

    def to_widget(self, value: float | None) -> float | int | None:
        """A scenario value as this widget's value, clamped to the widget's range (``None``,
        unset, stays ``None`` for an optional field)."""
        if value is None and self.optional:
            return None
        x = float(value) * self.scale
        x = min(max(x, self.lo), self.hi)
        return round(x) if self.integer else float(x)

    def to_scenario(self, value: float | None) -> float | int | None:
        """This widget's value as the scenario value (an empty optional widget: ``None``)."""
        if value is None and self.optional:
            return None
        x = float(value) / self.scale
        return round(x) if self.integer and self.scale == 1 else x


def _pct(path, group, label, help, lo=0.0, hi=100.0, step=1.0, unit="%"):
    return Field(path=path, group=group, label=label, unit=unit, help=help, lo=lo, hi=hi,
                 step=step, scale=100.0, slider=True, fmt="%.1f%%" if step < 1 else "%d%%")


FIELDS: tuple[Field, ...] = (
    # ---- workload
    Field(path="workload.requests_per_month", group="Workload", label="Requests in month 1",
          unit="requests/month", lo=0, hi=1_000_000_000, step=1000, integer=True,
          help="How many requests the task serves in the first month (V₁)."),
    _pct("workload.growth_per_month", "Workload", "Monthly growth", lo=-20.0, hi=50.0, step=0.5,
         unit="%/month", help="Traffic grows by this share every month: "
                              "V_m = V₁·(1+g)^(m−1). Negative values shrink it."),
    Field(path="workload.input_tokens", group="Workload", label="User input per request",
          unit="tokens", lo=0, hi=1_000_000, step=50, integer=True,
          help="Tokens of the user's own content in each request (not the static prompt)."),
    Field(path="workload.output_tokens", group="Workload", label="Output per request",
          unit="tokens", lo=0, hi=1_000_000, step=50, integer=True,
          help="Tokens the model generates for each request."),
    # ---- prompting
    Field(path="prompt.system_prompt_tokens", group="Prompting", label="System prompt",
          unit="tokens", lo=0, hi=2_000_000, step=100, integer=True,
          help="Length of the system prompt sent with every request (used in 'Numbers' mode)."),
    Field(path="prompt.fewshot_tokens", group="Prompting", label="Few-shot examples",
          unit="tokens", lo=0, hi=2_000_000, step=100, integer=True,
          help="Length of the few-shot examples sent with every request ('Numbers' mode)."),
    _pct("prompt.cached_share", "Prompting", "Cached share of the static prompt",
         help="Share of the system prompt + few-shot tokens billed at the provider's cached-"
              "input rate (prompt caching). 0% = no caching."),
    _pct("prompt.batch_share", "Prompting", "Batch share of requests",
         help="Share of requests sent through the batch API at the batch discount "
              "(answers within hours, not seconds)."),
    Field(path="prompt.engineering_hours", group="Prompting", label="Prompt engineering",
          unit="hours, one-time", lo=0, hi=100_000, step=5,
          fmt="%.1f",
          help="One-time work to write and test the prompt, at the hourly rate."),
    Field(path="prompt.maintenance_hours_per_month", group="Prompting", label="Prompt upkeep",
          unit="hours/month", lo=0, hi=10_000, step=1,
          fmt="%.1f",
          help="Monthly work to keep the prompt working, at the hourly rate."),
    # ---- fine-tuning
    Field(path="finetune.prompt_tokens", group="Fine-tuning", label="Short prompt of the tuned model",
          unit="tokens", lo=0, hi=1_000_000, step=10, integer=True,
          help="The tuned model still needs a short instruction; a few dozen tokens is typical."),
    Field(path="finetune.examples", group="Fine-tuning", label="Training examples",
          unit="examples", lo=1, hi=10_000_000, step=100, integer=True,
          help="Initial labelled examples N₀ (500–5,000 is typical; 100–500 is a floor). "
               "Used unless a training file is given."),
    Field(path="finetune.tokens_per_example", group="Fine-tuning", label="Tokens per example",
          unit="tokens", lo=1, hi=1_000_000, step=50.0, fmt="%.1f",
          help="Average length of one training example, all messages included."),
    Field(path="finetune.epochs", group="Fine-tuning", label="Epochs", unit="epochs",
          lo=1, hi=50, step=1, integer=True,
          help="Passes over the training set (used when 'auto' is off)."),
    Field(path="finetune.labelling_usd_per_example", group="Fine-tuning", label="Labelling cost",
          unit="USD/example", lo=0, hi=10_000, step=0.5,
          fmt="%.2f",
          help="What creating one labelled example costs (often more than the training compute)."),
    Field(path="finetune.data_prep_hours", group="Fine-tuning", label="Data preparation",
          unit="hours, one-time", lo=0, hi=100_000, step=5,
          fmt="%.1f",
          help="Cleaning the data and splitting off validation and test sets, at the hourly rate."),
    Field(path="finetune.eval_usd_per_run", group="Fine-tuning", label="Evaluation per training run",
          unit="USD/run", lo=0, hi=1_000_000, step=10,
          fmt="%.2f",
          help="Evaluating each trained model before it ships."),
    Field(path="finetune.maintenance_hours_per_month", group="Fine-tuning",
          label="Tuned model upkeep", unit="hours/month", lo=0, hi=10_000, step=1, fmt="%.1f",
          help="Monthly work to watch and look after the fine-tuned model, at the hourly rate."),
    Field(path="finetune.retrain_every_months", group="Fine-tuning", label="Retrain every",
          unit="months (0 = never)", lo=0, hi=120, step=1, integer=True, slider=True,
          help="Fine-tuned models need retraining as the use case evolves; 0 = never retrain."),
    Field(path="finetune.new_examples_per_retrain", group="Fine-tuning",
          label="New examples per retraining", unit="examples", lo=0, hi=10_000_000, step=50,
          integer=True, help="Newly labelled examples added before each retraining run."),
    Field(path="finetune.examples_on_hand", group="Fine-tuning", label="Examples already labelled",
          unit="examples", lo=0, hi=10_000_000, step=50, integer=True,
          help="Labelled examples the team already owns: labelling is charged only beyond "
               "them (their cost is sunk, listed as not counted)."),
    Field(path="finetune.months_to_production", group="Fine-tuning",
          label="Months until the tuned model serves", unit="months", lo=0, hi=36, step=1,
          integer=True, slider=True,
          help="Labelling, training, evaluation and roll-out; until then this road pays the "
               "prompt's inference and upkeep."),
    Field(path="finetune.adapters_per_deployment", group="Fine-tuning",
          label="Fine-tunes sharing one deployment", unit="adapters", lo=1, hi=1000, step=1,
          integer=True,
          help="Where the tuned model is served on a dedicated deployment billed by the hour "
               "(Together, Fireworks, Azure, Bedrock Provisioned Throughput), how many "
               "fine-tunes share it: this one pays its hourly fee divided by this number. "
               "1 = it pays the whole fee. No effect on offerings billed per token."),
    # ---- self-hosting
    Field(path="selfhost.model_params_b", group="Self-hosting", label="Model size",
          unit="billion parameters", lo=0.1, hi=2_000, step=1.0, fmt="%.1f",
          help="Size of the open model you would serve; with the GPU it picks the published "
               "throughput (simulator/data/gpu_throughput.csv)."),
    Field(path="selfhost.training_gpus", group="Self-hosting", label="Training GPUs",
          unit="GPUs", lo=1, hi=512, step=1, integer=True,
          help="GPUs used together for a training run: each one past the first adds the "
               "scaling efficiency (0.9) of one GPU's speed, and each is billed for the run."),
    Field(path="selfhost.train_tokens_per_second", group="Self-hosting",
          label="Training throughput", unit="tokens/s per GPU", lo=1, hi=10_000_000, step=100,
          fmt="%.0f",
          help="LoRA training speed of one GPU; sets the training GPU-hours."),
    Field(path="selfhost.serve_tokens_per_second", group="Self-hosting",
          label="Serving throughput", unit="tokens/s per GPU", lo=1, hi=10_000_000,
          step=100, fmt="%.0f",
          help="Tokens (input + output) one GPU of a serving replica handles per second; a "
               "replica of n GPUs (as many as hold the model) serves n times it."),
    _pct("selfhost.utilisation", "Self-hosting", "Average utilisation", lo=5.0, hi=100.0,
         help="Average load of a serving replica; bursty traffic keeps it well below 100%."),
    Field(path="selfhost.min_replicas", group="Self-hosting", label="Minimum replicas",
          unit="replicas", lo=0, hi=1000, step=1, integer=True,
          help="Replicas kept running however low the traffic; each replica is as many GPUs "
               "as hold one copy of the model."),
    Field(path="selfhost.ops_hours_per_month", group="Self-hosting", label="Operations",
          unit="hours/month", lo=0, hi=10_000, step=1,
          fmt="%.1f",
          help="Monthly work to keep the deployment healthy, at the hourly rate."),
    Field(path="selfhost.months_to_production", group="Self-hosting",
          label="Months until the self-hosted model serves", unit="months", lo=0, hi=36,
          step=1, integer=True, slider=True,
          help="Training plus standing up the serving stack; until then this road pays the "
               "prompt's inference and upkeep."),
    # ---- RAG
    Field(path="rag.context_tokens", group="RAG", label="Retrieved context per request",
          unit="tokens", lo=0, hi=2_000_000, step=100, integer=True,
          help="Tokens of retrieved documents added to each request."),
    Field(path="rag.corpus_tokens", group="RAG", label="Corpus size", unit="tokens",
          lo=0, hi=1e13, step=1_000_000, integer=True,
          help="Documents embedded once at the start."),
    _pct("rag.reembed_share_per_month", "RAG", "Re-embedded per month", unit="%/month",
         help="Share of the corpus embedded again every month (changed documents)."),
    Field(path="rag.vector_store_usd_per_month", group="RAG", label="Vector store fee",
          unit="USD/month", lo=0, hi=1_000_000, step=10,
          fmt="%.2f",
          help="Fixed monthly fee of the vector database."),
    # ---- hybrid
    _pct("hybrid.finetuned_share", "Hybrid", "Traffic handled by the tuned model",
         help="Share q of requests the fine-tuned model answers; the rest falls back to the "
              "prompted large model."),
    # ---- quality
    _pct("prompt.accuracy", "Quality", "Accuracy, prompted model", step=0.5,
         help="Share of right answers of the prompted large model (measure it on your eval set)."),
    _pct("finetune.accuracy", "Quality", "Accuracy, fine-tuned model", step=0.5,
         help="Share of right answers of the fine-tuned model, on the same eval set."),
    _pct("selfhost.accuracy", "Quality", "Accuracy, self-hosted LoRA", step=0.5,
         help="Share of right answers of the self-hosted model."),
    Field(path="cost_per_error_usd", group="Quality", label="Cost of one wrong answer",
          unit="USD/error", lo=0, hi=100_000, step=0.01, fmt="%.2f",
          help="What a wrong answer costs you (rework, refunds). 0 = compare cost only."),
    # ---- horizon & money
    Field(path="horizon_months", group="Horizon & money", label="Horizon", unit="months",
          lo=1, hi=120, step=1, integer=True, slider=True,
          help="How many months of use are priced."),
    _pct("discount_rate", "Horizon & money", "Discount rate", unit="%/year", hi=50.0, step=0.5,
         help="Yearly rate for the net present value of future costs."),
    _pct("price_decline", "Horizon & money", "API price decline", unit="%/year", hi=90.0,
         help="Yearly share by which per-token API prices (inference and training) fall; "
              "the three fields below may set each kind apart. GPU hours and people's time "
              "do not move with it."),
    Field(path="price_decline_tokens", group="Horizon & money",
          label="Decline of per-token API rates", unit="%/year", lo=-99.0, hi=99.0, step=0.5,
          scale=100.0, fmt="%.1f", auto="auto (= API decline)",
          help="Yearly share by which inference and embedding rates per token fall; a "
               "negative value is a rising price. Empty = the API price decline above."),
    Field(path="price_decline_training", group="Horizon & money",
          label="Decline of per-token training rates", unit="%/year", lo=-99.0, hi=99.0,
          step=0.5, scale=100.0, fmt="%.1f", auto="auto (= API decline)",
          help="Yearly share by which fine-tuning rates per training token fall; a negative "
               "value is a rising price. Empty = the API price decline above."),
    Field(path="price_decline_gpu_hours", group="Horizon & money",
          label="Decline of GPU-hour prices", unit="%/year", lo=-99.0, hi=99.0, step=0.5,
          scale=100.0, fmt="%.1f", auto="auto (0: flat)",
          help="Yearly share by which the hourly price of rented GPUs and of a dedicated "
               "deployment falls; a negative value is a rising price. Empty = they do not "
               "move."),
    Field(path="hourly_rate_usd", group="Horizon & money", label="People's time",
          unit="USD/hour", lo=0, hi=10_000, step=5,
          fmt="%.2f",
          help="Loaded cost of one hour of engineering work."),
    # ---- page settings (not part of the scenario)
    Field(path="ui.mc_draws", group="Uncertainty", label="Monte Carlo draws", unit="draws",
          lo=200, hi=20_000, step=200, integer=True,
          help="How many futures are drawn; more draws give smoother percentiles."),
    _pct("ui.spread", "Uncertainty", "Spread of uncertain inputs", unit="± %", lo=5.0, hi=80.0,
         help="Volumes, token counts, hours and per-token prices are drawn from a triangular "
              "distribution this far either side of their value; the tornado moves each by the "
              "same amount."),
    Field(path="ui.seed", group="Uncertainty", label="Random seed", unit="", lo=0,
          hi=2**31 - 1, step=1, integer=True,
          help="The same seed gives the same draws."),
)
"""Every numeric widget, in drawing order."""


UNCERTAIN_FIELDS = (
    "workload.requests_per_month", "workload.growth_per_month", "workload.input_tokens",
    "workload.output_tokens", "prompt.system_prompt_tokens", "prompt.fewshot_tokens",
    "prompt.input_usd_per_mtok", "prompt.output_usd_per_mtok", "prompt.engineering_hours",
    "rag.context_tokens", "finetune.prompt_tokens", "finetune.examples",
    "finetune.tokens_per_example", "finetune.labelling_usd_per_example",
    "finetune.data_prep_hours", "finetune.train_usd_per_mtok", "finetune.input_usd_per_mtok",
    "finetune.output_usd_per_mtok", "selfhost.serve_tokens_per_second",
    "selfhost.gpu_usd_per_hour", "hybrid.finetuned_share",
)
"""Inputs the page treats as uncertain (when the simulated options use them)."""

ACCURACY_FIELDS = ("prompt.accuracy", "finetune.accuracy", "selfhost.accuracy")


def _range(path: str, center: float, spread: float) -> tuple[float, float]:
    """``center`` ± ``spread`` (relative), kept inside the field's allowed range."""
    rule = field_rule(path)
    lo, hi = center * (1 - spread), center * (1 + spread)
    if path == "workload.growth_per_month":  # a rate near 0: absolute ± spread/10 per month
        lo, hi = center - spread / 10, center + spread / 10
    if rule.lo > -math.inf:
        lo = max(lo, rule.lo + (1e-9 if rule.lo_open else 0.0))
    if rule.hi < math.inf:
        hi = min(hi, rule.hi - (1e-9 if rule.hi_open else 0.0))
    return lo, hi


def uncertain_values(values: Mapping[str, Any], options: Iterable[str], cost_per_error: float
                     ) -> dict[str, float]:
    """The uncertain fields the simulated ``options`` use, with their resolved values."""
    opts = set(options)
    used = {"workload": True, "prompt": bool(opts & {"prompt", "rag", "hybrid"}),
            "rag": "rag" in opts, "finetune": bool(opts & {"finetune", "hybrid", "selfhost"}),
            "selfhost": "selfhost" in opts, "hybrid": "hybrid" in opts}
    api = bool(opts & {"finetune", "hybrid"})
    out = {}
    paths = list(UNCERTAIN_FIELDS) + (list(ACCURACY_FIELDS) if cost_per_error > 0 else [])
    for path in paths:
        section = path.split(".", 1)[0]
        if not used.get(section, False):
            continue
        if path in ("finetune.train_usd_per_mtok", "finetune.input_usd_per_mtok",
                    "finetune.output_usd_per_mtok") and not api:
            continue
        if path == "prompt.accuracy" and not used["prompt"]:
            continue
        value = values.get(path)
        if value is None or not math.isfinite(float(value)):
            continue
        if float(value) == 0 and path != "workload.growth_per_month":
            continue
        out[path] = float(value)
    return out


def mc_distributions(values: Mapping[str, Any], options: Iterable[str], spread: float,
                     cost_per_error: float = 0.0) -> dict[str, Any]:
    """Triangular distributions (mode = today's value, ± ``spread``) for the Monte Carlo run.

    Accuracies are varied by ± ``spread``/10 (absolute) only when errors are priced.
    """
    from ..model.uncertainty import Triangular

    out = {}
    for path, center in uncertain_values(values, options, cost_per_error).items():
        if path in ACCURACY_FIELDS:
            lo, hi = max(0.0, center - spread / 10), min(1.0, center + spread / 10)
        else:
            lo, hi = _range(path, center, spread)
        out[path] = Triangular(low=lo, mode=min(max(center, lo), hi), high=hi)
    return out


def tornado_ranges(values: Mapping[str, Any], options: Iterable[str], spread: float,
                   cost_per_error: float = 0.0) -> dict[str, tuple[float, float]]:
    """(low, high) of each uncertain field for the tornado: the same ranges as the Monte Carlo."""
    return {path: (d.low, d.high)
            for path, d in mc_distributions(values, options, spread, cost_per_error).items()}


def prefix_scenario(scenario: Scenario, prefix_tokens: float) -> Scenario:
    """``scenario`` with its whole static prompt (system + few-shot) given as one number in
    ``prompt.system_prompt_tokens`` (few-shot 0), so a grid can vary "prompt length"."""
    return scenario.with_values(**{"prompt.system_prompt": None, "prompt.fewshot": None,
                                   "prompt.system_prompt_tokens": float(prefix_tokens),
                                   "prompt.fewshot_tokens": 0.0})


def grid_axes(volume: float, prefix_tokens: float, *, nx: int = 31, ny: int = 25
              ) -> tuple[np.ndarray, np.ndarray]:
    """Grid axes around today's point: month-1 volume from ÷10 to ×10 (log-spaced)
    [requests/month] and static prompt length from 0 to 3× today's (at least 4,000) [tokens]."""
    v = max(float(volume), 100.0)
    xs = np.unique(np.round(np.geomspace(v / 10, v * 10, nx)))
    top = max(3 * float(prefix_tokens), 4000.0)
    ys = np.linspace(0.0, top, ny)
    return xs, ys


usd = format_usd  # one money formatter for the app, the CLI and the reports
_missing = is_missing


def confidence_word(p: float) -> str:
    """``high`` (≥ 90%), ``moderate`` (≥ 70%) or ``low`` confidence for a probability of
    being right."""
    return "high" if p >= 0.9 else "moderate" if p >= 0.7 else "low"


def _p_cheaper(mc_summary: pd.DataFrame | None, option: str) -> float | None:
    if mc_summary is None or mc_summary.empty:
        return None
    rows = mc_summary.loc[mc_summary["option"] == option, "p_cheaper"]
    return None if rows.empty else float(rows.iloc[0])


def key_figures(summary: pd.DataFrame, baseline: str, horizon: int,
                mc_summary: pd.DataFrame | None = None, focus: str | None = None
                ) -> dict[str, Any]:
    """The five headline numbers, for the metrics row.

    The *challenger* is the focus option (``scenario.focus_option``: the option the user asks
    about, by default ``finetune``) when given and simulated, else the cheapest option other
    than the baseline; break-even, savings and ROI are the challenger's against the baseline. Returns ``winner``, ``challenger``,
    ``breakeven_month`` (int or None), ``savings_usd``, ``roi`` (or None), ``p_cheaper``
    (challenger cheaper than the baseline, or None without Monte Carlo) and their display
    strings under ``*_text``.
    """
    s = summary.set_index("option")
    winner = str(s["tco_usd"].idxmin())
    others = s.drop(index=baseline, errors="ignore")
    challenger = winner if winner != baseline else (
        str(others["tco_usd"].idxmin()) if not others.empty else None)
    if focus is not None and focus in others.index:
        challenger = focus
    out: dict[str, Any] = {"winner": winner, "challenger": challenger, "baseline": baseline,
                           "horizon": horizon}
    if challenger is None:
        out.update(breakeven_month=None, savings_usd=0.0, roi=None, p_cheaper=None,
                   breakeven_text="—", savings_text="—", roi_text="—", p_text="—")
        return out
    row = s.loc[challenger]
    month = None if _missing(row["breakeven_month"]) else int(row["breakeven_month"])
    roi = None if _missing(row["roi"]) else float(row["roi"])
    p = _p_cheaper(mc_summary, challenger)
    out.update(
        breakeven_month=month, savings_usd=float(row["savings_usd"]), roi=roi, p_cheaper=p,
        breakeven_text=breakeven_text(month),
        savings_text=usd(row["savings_usd"]),
        roi_text=roi_text(roi, row.get("upfront_usd")),
        p_text="—" if p is None else share_text(p),
    )
    return out


def headline(summary: pd.DataFrame, baseline: str, horizon: int,
             mc_summary: pd.DataFrame | None = None, n_draws: int | None = None,
             lifecycle: Iterable[str] = (), focus: str | None = None) -> str:
    """One sentence: the recommendation about the ``focus`` option against the baseline and
    how sure it is; ``lifecycle`` (a result's ``lifecycle_short``) adds the roads that close
    inside the horizon and what moving costs."""
    sentence = _headline(summary, baseline, horizon, mc_summary, n_draws, focus)
    closing = list(lifecycle)
    if closing:
        sentence += " Priced with the calendar: " + "; ".join(closing) + "."
    return sentence


def _headline(summary: pd.DataFrame, baseline: str, horizon: int,
              mc_summary: pd.DataFrame | None, n_draws: int | None,
              focus: str | None = None) -> str:
    k = key_figures(summary, baseline, horizon, mc_summary, focus)
    base = OPTION_NOUNS[baseline]
    if k["challenger"] is None:
        return (f"Only {base} is simulated: pick at least one alternative under "
                "Horizon & money to compare.")
    challenger = k["challenger"]
    p = k["p_cheaper"]
    single = " (a single estimate: turn on Monte Carlo under Uncertainty for a confidence)."
    if k["savings_usd"] > 0:
        when = {None: "by the end of the horizon", 0: "from the start"}.get(
            k["breakeven_month"], f"from month {k['breakeven_month']}")
        sure = single if p is None else (
            f"; it came out cheaper in {share_text(p)} of {n_draws:,} simulated futures "
            f"({confidence_word(p)} confidence).")
        return (f"{OPTION_ACTIONS[challenger]}: over {horizon} months it saves "
                f"{usd(k['savings_usd'])} against {base}, paying for itself {when}{sure}")
    sure = single if p is None else (
        f"; {OPTION_NOUNS[challenger]} came out cheaper in only {share_text(p)} of {n_draws:,} "
        f"simulated futures ({confidence_word(1 - p)} confidence).")
    cheapest = k["winner"]
    also = "" if cheapest in (baseline, challenger) else (
        f" (the cheapest of all is {OPTION_NOUNS[cheapest]})")
    return (f"{OPTION_ACTIONS[baseline]}: over {horizon} months it costs "
            f"{usd(-k['savings_usd'])} less than {OPTION_NOUNS[challenger]}{also}{sure}")
