"""What the browser app shows and keeps, without Streamlit: widgets ↔ scenario ↔ URL.

The app (``app.py``) draws one widget per entry of :data:`FIELDS` (and a few pickers), keyed by
the scenario path it edits (``"workload.requests_per_month"``). This module holds everything
between those widget values and the core, as pure functions that the tests call directly:

* :func:`widget_state` — a :class:`~simulator.scenario.Scenario` as widget values (session state);
* :func:`scenario_from_state` — widget values back to a scenario (checked by the core);
* :func:`state_to_query` / :func:`state_from_query` — the view as URL query parameters;
* :func:`state_from_json` — a scenario JSON (upload or paste) as widget values;
* :func:`read_dataset` — an uploaded training JSONL counted exactly;
* :func:`simulate_guarded` — simulate, leaving out options whose inputs are broken;
* :func:`mc_distributions`, :func:`tornado_ranges` — the app's default uncertainty;
* :func:`headline`, :func:`key_figures` — the answer in one sentence and five numbers;
* :func:`price_overrides` — edited price tables as override CSV text.

Widget values may differ from scenario values by a scale (shares are shown in percent): a
widget value is ``scenario value × scale``.
"""

from __future__ import annotations

import io
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from pricing import NO_LIFECYCLE, Lifecycle
from pricing.table import standard_method

from . import limits, tokens
from .errors import InputError
from .lifecycle import add_months, training_closed_at_start
from .report import Result, format_usd, inert_frame, is_missing, share_text
from .scenario import (
    DEFAULT_EXAMPLES,
    DEFAULT_FEWSHOT_TOKENS,
    DEFAULT_FINETUNE_MONTHS_TO_PRODUCTION,
    DEFAULT_RETRAINED_MONTHS_TO_PRODUCTION,
    DEFAULT_SELFHOST_MONTHS_TO_PRODUCTION,
    DEFAULT_SYSTEM_PROMPT_TOKENS,
    DEFAULT_TOKENS_PER_EXAMPLE,
    OPTIONS,
    SECTION_TYPES,
    Scenario,
    check_prices,
    dumps_scenario,
    example_scenario,
    field_rule,
)
from .throughput import gpu_throughput
from .wording import NEVER, breakeven_text, roi_text, volume_windows_cell

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

GROUPS = ("Workload", "Prompting", "Fine-tuning", "Self-hosting", "RAG", "Hybrid", "Quality",
          "Horizon & money", "Uncertainty")
"""The sidebar's input groups, in order."""

GROUP_OF_SECTION = {"workload": "Workload", "prompt": "Prompting", "finetune": "Fine-tuning",
                    "selfhost": "Self-hosting", "rag": "RAG", "hybrid": "Hybrid"}

OPTIONS_NEEDING = {
    "prompt": {"prompt", "rag", "hybrid"},
    "rag": {"rag"},
    "finetune": {"finetune", "hybrid", "selfhost"},
    "selfhost": {"selfhost"},
    "hybrid": {"hybrid"},
}
"""Scenario section -> the options that cannot be priced when that section is broken."""

PROMPT_MODES = ("Numbers", "Text")
DATA_MODES = ("Numbers", "Upload JSONL", "Paste JSONL")
MAX_URL_TEXT_CHARS = 2000
"""Prompt texts longer than this (together) go into a link as their token counts."""


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

    def to_widget(self, value: float) -> float | int:
        """A scenario value as this widget's value, clamped to the widget's range."""
        x = float(value) * self.scale
        x = min(max(x, self.lo), self.hi)
        return round(x) if self.integer else float(x)

    def to_scenario(self, value: float) -> float | int:
        """This widget's value as the scenario value."""
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
         help="Yearly share by which per-token API prices fall (GPU hours and people's time "
              "do not)."),
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

FIELD_BY_PATH = {f.path: f for f in FIELDS}

UI_DEFAULTS: dict[str, Any] = {"ui.mc_on": True, "ui.mc_draws": 2000, "ui.spread": 0.2,
                               "ui.seed": 2026}
"""Page settings that are not part of the scenario (values in scenario units)."""

PICKERS = ("prompt.model", "prompt.provider", "finetune.offering", "selfhost.gpu", "rag.embedding_model",
           "options", "baseline", "prompt.mode", "prompt.system_prompt", "prompt.fewshot",
           "finetune.epochs_auto", "finetune.data_mode", "ui.mc_on",
           "prompt.already_built", "finetune.already_trained", "focus")
"""Non-numeric widget keys."""

WIDGET_KEYS = tuple(f.path for f in FIELDS) + PICKERS

# Scenario fields the widgets cover (everything else is carried along as "extras").
_COVERED = {f.path for f in FIELDS if not f.path.startswith("ui.")} | {
    "prompt.model", "prompt.provider", "prompt.system_prompt", "prompt.fewshot",
    "finetune.provider",
    "finetune.model", "selfhost.gpu", "rag.embedding_model", "options", "baseline",
    "finetune.epochs", "finetune.dataset", "prompt.already_built", "finetune.already_trained",
    "focus"}

FLAG_KEYS = ("finetune.epochs_auto", "ui.mc_on", "prompt.already_built",
             "finetune.already_trained")
"""Widget keys that hold true/false (``1``/``0`` in a link)."""


# ---- flat scenario dicts --------------------------------------------------------------------

def flatten(data: Mapping[str, Any]) -> dict[str, Any]:
    """A scenario dict (``to_dict()`` form) as ``{"section.field": value, "top": value}``."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key in SECTION_TYPES and isinstance(value, Mapping):
            for name, v in value.items():
                out[f"{key}.{name}"] = v
        else:
            out[key] = value
    return out


def unflatten(flat: Mapping[str, Any]) -> dict[str, Any]:
    """The inverse of :func:`flatten`."""
    out: dict[str, Any] = {}
    for path, value in flat.items():
        section, dot, name = path.partition(".")
        if dot and section in SECTION_TYPES:
            out.setdefault(section, {})[name] = value
        else:
            out[path] = value
    return out


# ---- scenario -> widgets ----------------------------------------------------------------------

def fewshot_to_text(fewshot: Any) -> str:
    """A scenario's ``prompt.fewshot`` as text-area text (lists become JSON)."""
    if fewshot is None:
        return ""
    if isinstance(fewshot, str):
        return fewshot
    return json.dumps([dict(v) if isinstance(v, Mapping) else v for v in fewshot], indent=1,
                      ensure_ascii=False)


def fewshot_from_text(text: str) -> str | list:
    """Text-area text as ``prompt.fewshot``: a JSON list (of texts or chat messages) stays a
    list; anything else is one text."""
    limits.check_text("prompt.fewshot", text)
    stripped = text.strip()
    if stripped.startswith("["):
        try:
            value = limits.parse_json(stripped, field="prompt.fewshot",
                                      max_bytes=4 * limits.MAX_TEXT_CHARS)
        except InputError:
            return text
        if isinstance(value, list):
            return value
    return text


# ---- lifecycle badges ---------------------------------------------------------------------------

def availability_rank(life: Lifecycle, start: date, horizon_months: int) -> int:
    """Where a model or offering goes in a picker: 0 open through the horizon, 1 closing
    inside it (or marked deprecated), 2 already closed on ``start``."""
    if training_closed_at_start(life, start):
        return 2
    end = add_months(start, horizon_months)
    dates = [d for d in (life.training_ends, life.serving_ends) if d is not None]
    if any(d < end for d in dates) or life.status != "active":
        return 1
    return 0


def model_choices(names: Iterable[str], lifecycles: Mapping[str, Lifecycle], start: date,
                  horizon_months: int) -> list[str]:
    """Model names for a picker: those open through the horizon first, then the closing and
    deprecated ones, then the retired ones (each group in name order)."""
    return sorted(names, key=lambda n: (availability_rank(
        lifecycles.get(n.lower(), NO_LIFECYCLE), start, horizon_months), n))


def choice_label(name: str, life: Lifecycle, start: date) -> str:
    """``name`` with its lifecycle badge: ``gpt-4.1 · serves until 2027-01-13``."""
    badge = life.badge(start)
    return f"{name} · {badge}" if badge else name


def offering_choices(offerings: Iterable[Any], start: date, horizon_months: int
                     ) -> dict[str, Any]:
    """One offering per provider and base model (its standard method), keyed for the
    picker, open ones first, then closing, then closed."""
    by_key: dict[str, list] = {}
    for o in offerings:
        by_key.setdefault(offering_key(o.provider, o.model), []).append(o)
    chosen = {}
    for key, group in by_key.items():
        method = standard_method(o.method for o in group)
        chosen[key] = next(o for o in group if o.method == method)
    order = sorted(chosen, key=lambda k: (availability_rank(chosen[k].lifecycle, start,
                                                            horizon_months), k))
    return {k: chosen[k] for k in order}


def start_date(extras: Mapping[str, Any]) -> date:
    """The scenario's start date from the page's extra fields (a loaded ``as_of``), else
    today: what picker badges and warnings are measured from."""
    value = extras.get("as_of")
    if isinstance(value, datetime):
        value = value.date()
    try:
        day = value if isinstance(value, date) else (
            date.fromisoformat(str(value)) if value else date.today())
    except ValueError:
        return date.today()
    # outside the calendar ftroi prices, the scenario itself says so: badges use today
    if not (date.fromisoformat(limits.EARLIEST_AS_OF) <= day
            <= date.fromisoformat(limits.LATEST_AS_OF)):
        return date.today()
    return day


def closing_warning(subject: str, life: Lifecycle, start: date, horizon_months: int
                    ) -> str | None:
    """A warning for a picker whose choice closes inside the horizon, or None."""
    if availability_rank(life, start, horizon_months) != 1:
        return None
    badge = life.badge(start) or "marked deprecated"
    successor = f" Its successor: {life.successor}." if life.successor else ""
    return (f"{subject}: {badge}, inside your {horizon_months}-month horizon from "
            f"{start.isoformat()}. The answer prices the way out (see the headline)."
            f"{successor}")


def offering_key(provider: str, model: str) -> str:
    """The fine-tuning picker's value for an offering."""
    return f"{provider}/{model}"


def split_offering(key: str) -> tuple[str, str]:
    """``"openai/gpt-4.1-mini"`` -> ``("openai", "gpt-4.1-mini")`` (models may hold slashes)."""
    provider, _, model = key.partition("/")
    return provider, model


def widget_state(scenario: Scenario, *, ui: Mapping[str, Any] | None = None
                 ) -> tuple[dict[str, Any], list[str]]:
    """Session-state values for every widget, from ``scenario``; and notes for the user.

    Values outside a widget's range are clamped (a note says so). Fields no widget edits
    (pinned rates, titles …) are kept under the ``"extras"`` key, so nothing is lost.
    """
    flat = flatten(scenario.to_dict())
    notes: list[str] = []
    state: dict[str, Any] = {}
    ui_values = dict(UI_DEFAULTS, **(ui or {}))
    for f in FIELDS:
        if f.path.startswith("ui."):
            value = ui_values[f.path]
        else:
            value = flat.get(f.path)
        if value is None or value == "auto":
            value = _numeric_default(f.path, scenario)
        widget = f.to_widget(value)
        if not f.lo <= float(value) * f.scale <= f.hi:
            notes.append(f"{f.path}: {value!r} is outside this page's range "
                         f"{f.lo / f.scale:g}..{f.hi / f.scale:g}; shown as {widget / f.scale:g}")
        state[f.path] = widget
    pc, fc = scenario.prompt, scenario.finetune
    text_mode = pc.system_prompt is not None or pc.fewshot is not None
    state["prompt.mode"] = "Text" if text_mode else "Numbers"
    state["prompt.model"] = pc.model
    state["prompt.provider"] = pc.provider or ""
    state["prompt.system_prompt"] = pc.system_prompt or ""
    state["prompt.fewshot"] = fewshot_to_text(pc.fewshot)
    state["finetune.offering"] = offering_key(fc.provider, fc.model)
    state["finetune.epochs_auto"] = fc.epochs == "auto"
    state["finetune.data_mode"] = "Numbers"
    if fc.dataset is not None:
        notes.append(f"finetune.dataset: the page cannot open {fc.dataset!r} from a scenario; "
                     "upload the file under Fine-tuning (the example numbers are used until "
                     "then)")
    state["selfhost.gpu"] = scenario.selfhost.gpu
    state["rag.embedding_model"] = scenario.rag.embedding_model
    state["options"] = list(scenario.options)
    state["baseline"] = scenario.baseline
    state["ui.mc_on"] = bool(ui_values["ui.mc_on"])
    state["prompt.already_built"] = bool(pc.already_built)
    state["finetune.already_trained"] = bool(fc.already_trained)
    state["focus"] = scenario.focus or ""
    state["extras"] = {k: v for k, v in flat.items() if k not in _COVERED}
    return state, notes


def _numeric_default(path: str, scenario: Scenario) -> float:
    defaults = {"finetune.months_to_production": (
                    DEFAULT_RETRAINED_MONTHS_TO_PRODUCTION if scenario.finetune.already_trained
                    else DEFAULT_FINETUNE_MONTHS_TO_PRODUCTION),
                "selfhost.months_to_production": DEFAULT_SELFHOST_MONTHS_TO_PRODUCTION,
                "prompt.system_prompt_tokens": DEFAULT_SYSTEM_PROMPT_TOKENS,
                "prompt.fewshot_tokens": DEFAULT_FEWSHOT_TOKENS,
                "finetune.examples": DEFAULT_EXAMPLES,
                "finetune.tokens_per_example": DEFAULT_TOKENS_PER_EXAMPLE,
                "finetune.epochs": 3,
                "finetune.maintenance_hours_per_month":
                    scenario.prompt.maintenance_hours_per_month}
    if path in defaults:
        return defaults[path]
    if path in THROUGHPUT_FALLBACK:
        # The published figure for the scenario's GPU and model size; where none is published,
        # the former assumption (the page pins the widget's value either way).
        published = published_throughputs(scenario.selfhost.gpu,
                                          scenario.selfhost.model_params_b)[path]
        return THROUGHPUT_FALLBACK[path] if published is None else published
    raise InputError(f"{path}: no value and no default")  # pragma: no cover - all covered


THROUGHPUT_FALLBACK = {"selfhost.serve_tokens_per_second": 2500.0,
                       "selfhost.train_tokens_per_second": 3000.0}
"""Widget values where ``gpu_throughput.csv`` publishes no figure for the GPU and size."""


def published_throughputs(gpu: str, params_b: float) -> dict[str, float | None]:
    """The published training and serving throughput of one ``gpu`` for a model of
    ``params_b`` billion parameters [tokens/s], by widget path; None where
    ``gpu_throughput.csv`` has no figure."""
    out: dict[str, float | None] = {}
    for path in THROUGHPUT_FALLBACK:
        task = "serve" if path.startswith("selfhost.serve") else "train"
        try:
            out[path] = gpu_throughput(gpu, task, float(params_b)).tokens_per_second
        except InputError:
            out[path] = None
    return out


def follow_gpu(state: MutableMapping[str, Any]) -> None:
    """After the GPU or the model size changed: the throughput widgets take the published
    figures of the new choice (a slower card is never priced at a faster card's speed); a
    widget with no published figure keeps its value, which :func:`throughput_warnings` then
    calls the user's assumption."""
    for path, value in published_throughputs(state["selfhost.gpu"],
                                             state["selfhost.model_params_b"]).items():
        if value is not None:
            state[path] = FIELD_BY_PATH[path].to_widget(value)


def throughput_warnings(state: Mapping[str, Any]) -> list[str]:
    """One sentence per throughput widget whose value no published figure backs."""
    gpu, size = state["selfhost.gpu"], float(state["selfhost.model_params_b"])
    out = []
    for path, value in published_throughputs(gpu, size).items():
        if value is None:
            what = "serving" if path.startswith("selfhost.serve") else "training"
            out.append(f"No published {what} throughput for {gpu} and a model of {size:g}B "
                       f"parameters in gpu_throughput.csv: the {what} throughput below "
                       f"({float(state[path]):,.0f} tokens/s) is your assumption; set it from "
                       f"a benchmark of your own.")
    return out


def default_state() -> dict[str, Any]:
    """Widget values of the example scenario with the default page settings."""
    return widget_state(example_scenario())[0]


# ---- widgets -> scenario ----------------------------------------------------------------------

def scenario_dict(state: Mapping[str, Any], *,
                  dataset: Mapping[str, float] | None = None) -> dict[str, Any]:
    """The scenario dict (``Scenario.from_dict`` form) that the widget values describe.

    ``dataset`` (from :func:`dataset_values`) replaces the example count and length when a
    training file was given.
    """
    flat: dict[str, Any] = dict(state.get("extras") or {})
    for f in FIELDS:
        if f.path.startswith("ui.") or f.path == "finetune.epochs":
            continue
        flat[f.path] = f.to_scenario(state[f.path])
    if flat.get("finetune.maintenance_hours_per_month") == flat.get(
            "prompt.maintenance_hours_per_month"):
        # Equal upkeep is the default (symmetric unless the user says otherwise).
        flat.pop("finetune.maintenance_hours_per_month")
    flat["prompt.model"] = state["prompt.model"]
    flat["prompt.provider"] = state.get("prompt.provider") or None   # "" = the default host
    if flat["prompt.provider"] is None:
        flat.pop("prompt.provider")
    if state["prompt.mode"] == "Text":
        flat.pop("prompt.system_prompt_tokens", None)
        flat.pop("prompt.fewshot_tokens", None)
        flat["prompt.system_prompt"] = state["prompt.system_prompt"]
        flat["prompt.fewshot"] = fewshot_from_text(state["prompt.fewshot"])
    provider, model = split_offering(state["finetune.offering"])
    flat["finetune.provider"], flat["finetune.model"] = provider, model
    flat["finetune.epochs"] = ("auto" if state["finetune.epochs_auto"]
                               else int(state["finetune.epochs"]))
    if dataset:
        flat.update(dataset)
    flat["selfhost.gpu"] = state["selfhost.gpu"]
    published = published_throughputs(state["selfhost.gpu"], flat["selfhost.model_params_b"])
    for path, value in published.items():
        # The published figure is the default: leave it to the table, which follows the GPU.
        if value is not None and flat.get(path) == value:
            flat.pop(path)
    flat["rag.embedding_model"] = state["rag.embedding_model"]
    flat["options"] = list(state["options"])
    flat["baseline"] = state["baseline"]
    flat["prompt.already_built"] = bool(state.get("prompt.already_built", False))
    flat["finetune.already_trained"] = bool(state.get("finetune.already_trained", False))
    waits = {"finetune.months_to_production": (DEFAULT_RETRAINED_MONTHS_TO_PRODUCTION
                                               if flat["finetune.already_trained"]
                                               else DEFAULT_FINETUNE_MONTHS_TO_PRODUCTION),
             "selfhost.months_to_production": DEFAULT_SELFHOST_MONTHS_TO_PRODUCTION}
    for path, default in waits.items():
        if flat.get(path) == default:
            flat.pop(path)   # the documented default: left unset, as in the scenario
    focus = state.get("focus") or None
    if focus in (*flat["options"], flat["baseline"]):
        flat["focus"] = focus     # a focus whose option was removed falls back to the default
    return unflatten(flat)


def scenario_from_state(state: Mapping[str, Any], *,
                        dataset: Mapping[str, float] | None = None) -> Scenario:
    """The :class:`Scenario` the widget values describe; :class:`InputError` if invalid."""
    return Scenario.from_dict(scenario_dict(state, dataset=dataset))


def ui_settings(state: Mapping[str, Any]) -> dict[str, Any]:
    """The page settings (Monte Carlo on/off, draws, spread, seed) in scenario units."""
    out = {"ui.mc_on": bool(state.get("ui.mc_on", UI_DEFAULTS["ui.mc_on"]))}
    for path in ("ui.mc_draws", "ui.spread", "ui.seed"):
        out[path] = FIELD_BY_PATH[path].to_scenario(state[path])
    out["ui.mc_draws"] = int(out["ui.mc_draws"])
    out["ui.seed"] = int(out["ui.seed"])
    return out


def error_group(message: str) -> str:
    """The sidebar group an error message belongs to, from the field path it starts with."""
    head = message.split(":", 1)[0].strip()
    section = head.split(".", 1)[0].split("[", 1)[0]
    if head in FIELD_BY_PATH:
        return FIELD_BY_PATH[head].group
    if section in GROUP_OF_SECTION:
        return GROUP_OF_SECTION[section]
    if section in ("options", "baseline", "horizon_months", "discount_rate", "price_decline",
                   "hourly_rate_usd"):
        return "Horizon & money"
    if section == "cost_per_error_usd":
        return "Quality"
    return "Horizon & money"


# ---- text from users, files, logs and links ---------------------------------------------------

_ALWAYS_ESCAPED = frozenset("\\`*[]<>#!|~$&")
"""Characters Streamlit's markdown reads as syntax wherever they stand: images and links
(``![x](url)``), HTML tags and entities, emphasis, code, headings, tables, strikethrough and
``$…$`` LaTeX. ``(``, ``)``, ``.`` and ``-`` do nothing without them, except at a line start."""

_LINE_START = re.compile(r"^(\s*)([-+=]|\d+[.)])", re.MULTILINE)


def as_text(value: Any) -> str:
    """``value`` as text that Streamlit's markdown shows exactly as written, never as markup.

    Every message, caption or heading that holds text from a user, a file, a log, a price file
    or a link goes through here: a model name ``![x](http://host/m.png)`` is shown as those
    characters, and the viewer's browser fetches nothing. Escaped with a backslash: markdown's
    and Streamlit's syntax characters (:data:`_ALWAYS_ESCAPED`); ``_`` except inside a word
    (``input_usd_per_mtok`` stays as it is, which CommonMark never reads as emphasis); ``:``
    before a non-space (``:red[…]``, ``:material/…:`` and emoji codes), and a list or heading
    marker at a line start. Control characters other than a newline are dropped; a newline
    is a visible line break.

    >>> print(as_text("**bold** :red[x] input_usd: ![i](u)"))
    \\*\\*bold\\*\\* \\:red\\[x\\] input_usd: \\!\\[i\\](u)
    """
    text = value if isinstance(value, str) else str(value)
    text = "".join(ch for ch in text if ch == "\n" or not (
        ch < " " or "\x7f" <= ch < "\xa0" or ch in "\u2028\u2029"))
    out = []
    n = len(text)
    for i, ch in enumerate(text):
        if ch in _ALWAYS_ESCAPED:
            out.append("\\" + ch)
        elif ch == "_" and not (0 < i < n - 1 and text[i - 1].isalnum()
                                and text[i + 1].isalnum()):
            out.append("\\_")
        elif ch == ":" and i < n - 1 and not text[i + 1].isspace():
            out.append("\\:")
        else:
            out.append(ch)
    escaped = _LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2) if len(m.group(2)) == 1
                              else m.group(1) + m.group(2)[:-1] + "\\" + m.group(2)[-1],
                              "".join(out))
    return escaped.replace("\n", "  \n")


# ---- URL ----------------------------------------------------------------------------------------

def _query_value(value: Any) -> str:
    if isinstance(value, Mapping):
        return json.dumps(dict(value), ensure_ascii=False, separators=(",", ":"))
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (list, tuple)):
        if all(isinstance(v, str) and "," not in v for v in value):
            return ",".join(value)
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if isinstance(value, float):
        return repr(value) if not value.is_integer() else str(int(value))
    return str(value)


def state_to_query(state: Mapping[str, Any], *, defaults: Mapping[str, Any] | None = None,
                   token_counts: Mapping[str, int] | None = None,
                   max_text_chars: int = MAX_URL_TEXT_CHARS) -> dict[str, str]:
    """URL query parameters for the values that differ from ``defaults``.

    Keys are widget keys (scenario paths); the carried-along extras are written under their
    own paths. Prompt texts longer than ``max_text_chars`` together are replaced by their
    counts ``token_counts`` (``{"prompt.system_prompt_tokens": n, "prompt.fewshot_tokens":
    m}``), so a link stays short: the link then reproduces the numbers, not the text.
    """
    defaults = default_state() if defaults is None else defaults
    state = dict(state)
    out: dict[str, str] = {}
    if state.get("prompt.mode") == "Text":
        long = len(state.get("prompt.system_prompt", "")) + len(state.get("prompt.fewshot", ""))
        if long > max_text_chars and token_counts:
            state["prompt.mode"] = "Numbers"
            for path, n in token_counts.items():
                state[path] = FIELD_BY_PATH[path].to_widget(n)
    skip_text = state.get("prompt.mode") != "Text"
    for key in WIDGET_KEYS:
        if key in ("finetune.data_mode",):
            continue
        if skip_text and key in ("prompt.system_prompt", "prompt.fewshot"):
            continue
        if key == "finetune.epochs" and state.get("finetune.epochs_auto", True):
            continue
        if key not in state:
            continue
        value = state[key]
        if key in defaults and _same(value, defaults[key]):
            continue
        out[key] = _query_value(value)
    default_extras = defaults.get("extras") or {}
    for path, value in (state.get("extras") or {}).items():
        if path in default_extras and _same(value, default_extras[path]):
            continue
        out[path] = _query_value(value)
    for path in default_extras:
        if path not in (state.get("extras") or {}):
            out[path] = ""  # removed: an empty value means "not set"
    return out


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) \
            and not isinstance(a, bool) and not isinstance(b, bool):
        return math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=1e-12)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return list(a) == list(b)
    return a == b


def _parse_number(text: str) -> float:
    value = float(text.replace("_", "").strip())
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def state_from_query(params: Mapping[str, Any], *, defaults: Mapping[str, Any] | None = None
                     ) -> tuple[dict[str, Any], list[str]]:
    """Widget values from URL query parameters on top of ``defaults``; and problems found.

    Unknown keys and unreadable values are reported and ignored; the rest still applies.
    Numbers are clamped to the widget's range.
    """
    defaults = default_state() if defaults is None else defaults
    state = {k: (dict(v) if isinstance(v, dict) else list(v) if isinstance(v, list) else v)
             for k, v in defaults.items()}
    problems: list[str] = []
    for key, raw in params.items():
        if isinstance(raw, (list, tuple)):
            raw = raw[-1] if raw else ""
        raw = str(raw)
        try:
            if key in FIELD_BY_PATH:
                f = FIELD_BY_PATH[key]
                x = _parse_number(raw)
                clamped = min(max(x, f.lo), f.hi)
                if clamped != x:
                    problems.append(f"{key}: {raw} is outside {f.lo:g}..{f.hi:g}; "
                                    f"using {clamped:g}")
                state[key] = round(clamped) if f.integer else float(clamped)
            elif key in FLAG_KEYS:
                if raw not in ("0", "1", "true", "false"):
                    raise ValueError(raw)
                state[key] = raw in ("1", "true")
            elif key == "options":
                state[key] = [o for o in raw.split(",") if o]
                bad = [o for o in state[key] if o not in OPTIONS]
                if bad:
                    state[key] = [o for o in state[key] if o in OPTIONS]
                    problems.append(f"options: unknown option(s) {', '.join(bad)} left out "
                                    f"(known: {', '.join(OPTIONS)})")
            elif key == "prompt.mode":
                if raw not in PROMPT_MODES:
                    raise ValueError(raw)
                state[key] = raw
            elif key in PICKERS:
                state[key] = raw
            else:
                _set_extra(state, key, raw)
        except (ValueError, InputError) as exc:
            detail = str(exc) if isinstance(exc, InputError) else f"cannot read {raw!r}"
            problems.append(f"{key}: {detail}; ignored")
    return state, problems


def _set_extra(state: dict[str, Any], key: str, raw: str) -> None:
    """A query parameter for a scenario field no widget edits."""
    extras = dict(state.get("extras") or {})
    if raw == "":
        extras.pop(key, None)
        state["extras"] = extras
        return
    if key == "prices":  # price rows carried by the scenario: {kind: CSV text} as JSON
        extras[key] = dict(check_prices(limits.parse_json(raw, field="prices")))
        state["extras"] = extras
        return
    section, dot, name = key.partition(".")
    known = (dot and section in SECTION_TYPES
             and name in {f for f in SECTION_TYPES[section].__dataclass_fields__})
    top = not dot and key in Scenario.__dataclass_fields__ and key not in ("source_dir", "notes")
    if not (known or top):
        raise InputError("not a scenario field")
    try:
        field_rule(key)
        value: Any = _parse_number(raw)
        if value.is_integer() and field_rule(key).integer:
            value = int(value)
    except InputError:
        value = raw
    except ValueError:
        value = raw
    extras[key] = value
    state["extras"] = extras


# ---- scenario files -----------------------------------------------------------------------------

def state_from_json(data: bytes | str, *, ui: Mapping[str, Any] | None = None
                    ) -> tuple[dict[str, Any], list[str]]:
    """Widget values from a scenario JSON document (an upload or pasted text).

    Raises :class:`InputError` with a readable message for text that is not JSON or a scenario
    with unknown or invalid fields.
    """
    if isinstance(data, (bytes, bytearray)):
        limits.check_size("scenario file", len(data), limits.MAX_DOCUMENT_BYTES)
        try:
            data = bytes(data).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InputError(f"scenario file: not UTF-8 text (byte {exc.start})") from None
    if not isinstance(data, str):
        raise InputError(f"scenario file: expected text, got {type(data).__name__}")
    if not data.strip():
        raise InputError("scenario file: it is empty")
    parsed = limits.parse_json(data, field="scenario file")
    scenario = Scenario.from_dict(parsed)
    state, notes = widget_state(scenario, ui=ui)
    return state, list(scenario.notes) + notes


def scenario_json(scenario: Scenario) -> str:
    """The scenario as JSON text (the download)."""
    return dumps_scenario(scenario, "json")


def csv_text(frame: pd.DataFrame) -> str:
    """A table as CSV text safe to open in a spreadsheet (text cells cannot run as formulas)."""
    return inert_frame(frame).to_csv(index=False)


def count_prompt_text(text: str, model: str, *, fewshot: bool = False) -> tokens.TokenCount:
    """Tokens of a system prompt or of few-shot examples as typed in a text area [tokens].

    Few-shot text that is a JSON list of texts is counted text by text; a JSON list of chat
    messages is counted with the chat rule minus the reply priming (which every request pays
    once anyway, as ``workload.chat_overhead_tokens``), as the engine counts it.
    """
    value = fewshot_from_text(text) if fewshot else text
    if isinstance(value, str):
        return tokens.count_tokens(value, model)
    if all(isinstance(v, str) for v in value):
        counts = [tokens.count_tokens(v, model) for v in value]
        return tokens.TokenCount(sum(counts), exact=all(c.exact for c in counts),
                                 note=next((c.note for c in counts if not c.exact), ""))
    if not all(isinstance(v, Mapping) for v in value):
        raise InputError("prompt.fewshot: a JSON list must hold only texts or only "
                         "{role, content} messages")
    counted = tokens.count_chat_tokens(list(value), model)
    return tokens.TokenCount(max(int(counted) - tokens.REPLY_PRIMING_TOKENS, 0),
                             exact=counted.exact, note=counted.note)


# ---- training files -----------------------------------------------------------------------------

def read_dataset(data: bytes, model: str, *, epochs: int | str = "auto"
                 ) -> tokens.DatasetReport:
    """Count a training JSONL given as bytes (an upload or pasted text) for ``model``."""
    if not isinstance(data, (bytes, bytearray)):
        raise InputError(f"training file: expected bytes, got {type(data).__name__}")
    return tokens.analyze_dataset(io.BytesIO(bytes(data)), model, epochs=epochs)


def dataset_values(report: tokens.DatasetReport) -> dict[str, float] | None:
    """The scenario numbers a clean training file gives (examples, billed tokens per example);
    None when the file has errors or no examples."""
    if not report.ok:
        return None
    return {"finetune.examples": int(report.n_examples),
            "finetune.tokens_per_example": report.billed_tokens_per_epoch / report.n_examples}


# ---- running the core -------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True, eq=False)
class Run:
    """What one guarded simulation gives the page.

    result : the :class:`~simulator.report.Result` of the options that could be priced
    scenario : the scenario actually simulated (broken options left out)
    dropped : (group, message) for every input problem that made the page leave options out
    """

    result: Result
    scenario: Scenario
    dropped: tuple[tuple[str, str], ...]


def simulate_guarded(scenario: Scenario, simulate: Callable[[Scenario], Result]) -> Run:
    """``simulate(scenario)``; if an input error names a section, leave out the options that
    need it and try again, so the rest of the page still works.

    Raises the :class:`InputError` when the baseline itself cannot be priced.
    """
    dropped: list[tuple[str, str]] = []
    current = scenario
    for _ in range(len(OPTIONS)):
        try:
            return Run(result=simulate(current), scenario=current, dropped=tuple(dropped))
        except InputError as exc:
            message = str(exc)
            section = message.split(":", 1)[0].split(".", 1)[0].strip()
            affected = OPTIONS_NEEDING.get(section, set())
            if current.baseline in affected or not affected & set(current.options):
                raise
            dropped.append((error_group(message), message))
            keep = [o for o in current.options if o not in affected]
            current = current.with_values(options=tuple(keep or [current.baseline]))
    raise InputError("options: no option could be priced")  # pragma: no cover


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
    from .uncertainty import Triangular

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


# ---- the answer ---------------------------------------------------------------------------------

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


def summary_table(summary: pd.DataFrame, baseline: str,
                  volume_windows: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """The summary as the app's table shows it: the baseline's comparison cells (savings,
    ROI, break-even) empty and the break-even and payback months as text, ``never`` where
    they are missing. With ``volume_windows`` (a result's), ``cheaper_at_volumes`` lists
    every interval of month-1 volume where the option is cheaper (``4,400,000–5,300,000;
    ≥ 10,070,000``)."""
    out = summary.copy()
    base = out["option"] == baseline
    for col in ("savings_usd", "roi", "breakeven_volume"):
        out[col] = out[col].astype("Float64").mask(base)
    for col in ("breakeven_month", "payback_month"):
        if col in out.columns:
            out[col] = ["" if b else NEVER if is_missing(m) else str(int(m))
                        for b, m in zip(base, out[col])]
    if volume_windows is not None:
        out["cheaper_at_volumes"] = [
            "" if b or o not in volume_windows
            else volume_windows_cell(volume_windows[o].intervals)
            for b, o in zip(base, out["option"])]
    return out


def mc_table(mc_summary: pd.DataFrame, baseline: str) -> pd.DataFrame:
    """The Monte Carlo summary as the app's table shows it: without the baseline (it has
    nothing to compare), break-even month percentiles as text, ``never`` where missing."""
    out = mc_summary[mc_summary["option"] != baseline].copy()
    for col in [c for c in out.columns if c.startswith("breakeven_month_p")]:
        out[col] = [NEVER if is_missing(m) else str(int(m)) for m in out[col]]
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


# ---- prices -------------------------------------------------------------------------------------

def _cell(value: Any) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10]
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def with_price_edits(extras: Mapping[str, Any], edits: Iterable[tuple[str, str]]
                     ) -> dict[str, Any]:
    """``extras`` whose ``prices`` (the rows a scenario carries) include the page's price
    edits (``(kind, CSV text)`` pairs, as :func:`price_overrides` makes them), so they travel
    in the scenario JSON and the share link."""
    edits = dict(edits)
    if not edits:
        return dict(extras)
    return dict(extras, prices={**dict(extras.get("prices") or {}), **edits})


def price_overrides(original: pd.DataFrame, edited: pd.DataFrame) -> str | None:
    """Rows of ``edited`` that are new or differ from ``original``, as override CSV text for
    :func:`pricing.load_price_table`; None when nothing changed."""
    cols = list(original.columns)
    before = {tuple(_cell(v) for v in row) for row in original[cols].itertuples(index=False)}
    rows = [[_cell(v) for v in row] for row in edited.reindex(columns=cols).itertuples(index=False)]
    for i, row in enumerate(rows, start=1):
        for col, cell in zip(cols, row):
            if len(cell) > limits.MAX_CELL_CHARS:
                raise InputError(f"price table, row {i}, column {col}: {limits.shorten(cell)} "
                                 f"is too long: at most {limits.MAX_CELL_CHARS:,} characters")
    changed = [r for r in rows if tuple(r) not in before and any(r)]
    if not changed:
        return None
    buf = io.StringIO()
    pd.DataFrame(changed, columns=cols).to_csv(buf, index=False)
    return buf.getvalue()
