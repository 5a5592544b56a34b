"""From a scenario to the numbers the cost chain needs: rates looked up, texts counted.

:func:`resolve` turns a :class:`~simulator.model.scenario.Scenario` into :class:`Inputs`: a flat
mapping of field paths (``"prompt.input_usd_per_mtok"``) to floats, plus a record of every
rate used with its source and check date. A rate pinned in the scenario wins over the price
table; only the sections that the simulated options need are looked up, so a scenario that
pins every rate never touches the table.

A missing price raises :class:`~simulator.core.errors.InputError` naming the field to pin.
"""

from __future__ import annotations

import io
import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, fields
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from pricing import NO_LIFECYCLE, Lifecycle, PriceError, PriceTable, default_table
from pricing.names import provider_name
from pricing.table import RateRuns, rate_runs, with_overrides

from ..core import limits
from ..core.errors import InputError
from ..tokens import tokens
from . import closure
from .cost import FINETUNE_RATES, PROMPT_RATES
from .evidence import evidence_notes, evidence_values
from .lifecycle import (
    NEVER,
    LifecycleEvent,
    closed_at_start,
    month_ends,
    month_start,
    plan_finetune,
    plan_prompt,
    split_successor,
    training_closed_at_start,
)
from .scenario import (
    DEFAULT_EXAMPLES,
    DEFAULT_FEWSHOT_TOKENS,
    DEFAULT_SYSTEM_PROMPT_TOKENS,
    DEFAULT_TOKENS_PER_EXAMPLE,
    SECTION_TYPES,
    Scenario,
    default_months_to_production,
)
from .throughput import (
    BYTES_PER_PARAM,
    GPU_MEMORY_UTILIZATION,
    gpu_throughput,
    gpus_per_replica,
    replica_memory_gb,
    too_big_message,
)

PRICE_COLUMNS = ("field", "value", "unit", "source", "source_url", "checked_on", "note")

TABLE_RATES = frozenset({
    "prompt.input_usd_per_mtok", "prompt.cached_input_usd_per_mtok",
    "prompt.output_usd_per_mtok", "prompt.batch_discount", "rag.embedding_usd_per_mtok",
    "prompt.cache_write_usd_per_mtok",
    "finetune.train_usd_per_mtok", "finetune.input_usd_per_mtok",
    "finetune.output_usd_per_mtok", "finetune.hosting_usd_per_hour", "finetune.min_charge_usd",
    "finetune.batch_discount", "finetune.max_tokens_per_example", "selfhost.gpu_usd_per_hour",
    "finetune.storage_usd_per_month", "finetune.validation_usd_per_mtok",
})
"""Fields a price table supplies unless the scenario pins them."""

_UNITS = {
    "usd_per_mtok": "USD per 1M tokens",
    "usd_per_hour": "USD/h",
    "usd_per_month": "USD/month",
    "usd_per_example": "USD/example",
    "usd_per_run": "USD/run",
    "usd": "USD",
}


@dataclass(frozen=True, kw_only=True)
class Inputs:
    """What the cost chain reads.

    values : field path -> float (``None`` where a value is derived in the chain:
        ``finetune.epochs`` "auto", ``rag.accuracy`` and ``hybrid.accuracy`` defaults)
    options : the simulated options, baseline first
    prices : one dict per rate used (:data:`PRICE_COLUMNS`)
    notes : what the reader should know (estimated token counts, renamed fields)
    start_date : the scenario's month 0 (``as_of``, or today)
    moves : road (``prompt``/``finetune``) -> :class:`Move`, for each road that closes
        inside the horizon
    roads : what was checked against the calendar, in words (``OpenAI gpt-6.1-terra``)
    warnings : what the answer must say beside it (a teacher whose terms restrict training
        other models on its outputs; logs too few for the training set)
    schedules : scheduled price changes inside the horizon, in words (the month each takes
        effect, old and new rates, the source), for ``explain()``
    follows : field -> field it copies when left unset (the tuned model's upkeep follows the
        prompt's), so a Monte Carlo draw or a tornado swing of one moves the other too
    """

    horizon_months: int
    baseline: str
    options: tuple[str, ...]
    values: Mapping[str, Any]
    prices: tuple[dict, ...]
    notes: tuple[str, ...]
    start_date: date | None = None
    moves: Mapping[str, Move] = field(default_factory=dict)
    roads: tuple[str, ...] = ()
    follows: Mapping[str, str] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    schedules: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Move:
    """A road that closes inside the horizon and where it goes.

    road : ``prompt`` or ``finetune``
    month : the switch month ``S`` [month]
    events : the lifecycle events behind it, in date order
    to : what the road moves to, in words (``together meta-llama/… (lora-sft)``,
        ``prompting gpt-5-mini``)
    fallback : True when the fine-tuning road goes back to prompting
    why : why it goes there (no fine-tunable successor, the user's choice …), or empty
    """

    road: str
    month: int
    events: tuple[LifecycleEvent, ...]
    to: str
    fallback: bool = False
    why: str = ""


def scenario_values(scenario: Scenario) -> dict[str, Any]:
    """Every numeric field of the scenario by path, as given (``None`` where unset)."""
    out: dict[str, Any] = {name: getattr(scenario, name) for name in Scenario.RULES}
    for section, cls in SECTION_TYPES.items():
        body = getattr(scenario, section)
        prefix = section + "."
        for name in cls.RULES:
            out[prefix + name] = getattr(body, name)
    fe = scenario.finetune.epochs
    out["finetune.epochs"] = None if fe == "auto" else float(fe)
    for section, cls in SECTION_TYPES.items():
        for name in getattr(cls, "FLAGS", ()):
            out[f"{section}.{name}"] = 1.0 if getattr(getattr(scenario, section), name) else 0.0
    for k, v in out.items():
        if type(v) is not float and isinstance(v, (int, float)) and not isinstance(v, bool):
            out[k] = float(v)
    return out


def needs(options) -> dict[str, bool]:
    """Which parts of the scenario the options use."""
    opts = set(options)
    return {
        "prompt": bool(opts & {"prompt", "rag", "hybrid"}),
        "rag": "rag" in opts,
        "finetune_api": bool(opts & {"finetune", "hybrid"}),
        "finetune_data": bool(opts & {"finetune", "hybrid", "selfhost"}),
        "gpu": "selfhost" in opts,
    }


def resolve(scenario: Scenario, table: PriceTable | None = None, *,
            varied: Collection[str] = ()) -> Inputs:
    """Look up unpinned rates, count texts and return the chain's :class:`Inputs`.

    ``table`` defaults to the shipped price table (:func:`pricing.default_table`), loaded
    only if some rate is not pinned. ``varied``: the field paths a Monte Carlo run, a tornado
    or a grid will set row by row; what their other values need is resolved too (a time to
    production drawn above the scenario's 0 needs the prompted road's prices, which serve
    until the tuned model does).
    """
    values = scenario_values(scenario)
    prices: list[dict] = []
    notes: list[str] = list(scenario.notes)
    options = scenario.simulated_options
    need = needs(options)
    lookup = _Lookup(_with_scenario_prices(scenario, table))
    start = start_date(scenario)
    as_of = start
    moves: dict[str, Move] = {}
    roads: list[str] = []
    schedules: list[str] = []
    fc = scenario.finetune
    follows: dict[str, str] = {}
    warnings: list[str] = []
    if values["finetune.maintenance_hours_per_month"] is None:
        values["finetune.maintenance_hours_per_month"] = values[
            "prompt.maintenance_hours_per_month"]
        follows["finetune.maintenance_hours_per_month"] = "prompt.maintenance_hours_per_month"
    for kind in ("tokens", "training"):  # the scalar price_decline moves per-token prices
        if values[f"price_decline_{kind}"] is None:
            values[f"price_decline_{kind}"] = values["price_decline"]
            follows[f"price_decline_{kind}"] = "price_decline"
    if values["price_decline_gpu_hours"] is None:
        values["price_decline_gpu_hours"] = 0.0
    values["prompt.switch_month"] = NEVER
    values["finetune.switch_month"] = NEVER
    values["finetune.fallback"] = 0.0
    _months_to_production(scenario, values, options)
    if any(values.get(f"{road}.months_to_production", 0.0) > 0
           or f"{road}.months_to_production" in varied
           for road, users in INTERIM_USERS.items() if set(users) & set(options)):
        need["prompt"] = True   # the prompted road serves until the tuned model does
    if need["finetune_api"]:
        _finetune_rates(scenario, values, prices, lookup, start, moves, notes, roads,
                        schedules)
        if moves.get("finetune") is not None and moves["finetune"].fallback:
            need["prompt"] = True
        if _closure_hazard(scenario, values, lookup, start, notes) \
                and values["finetune.closure_closed_model"]:
            need["prompt"] = True  # a closure draw falls back to prompting

    # ---- workload ---------------------------------------------------------------------------
    if values["workload.chat_overhead_tokens"] is None:
        values["workload.chat_overhead_tokens"] = chat_overhead(scenario.prompt.model)
    if values["finetune.chat_overhead_tokens"] is None:
        # The tuned model's own short request, not the prompted one's (few-shot turns and all).
        values["finetune.chat_overhead_tokens"] = (
            chat_overhead(fc.model) if need["finetune_data"]
            else values["workload.chat_overhead_tokens"])

    # ---- prompt -----------------------------------------------------------------------------
    pc = scenario.prompt
    if need["prompt"]:
        values["prompt.system_prompt_tokens"] = _static_tokens(
            pc.system_prompt_tokens, pc.system_prompt, None, pc.model,
            DEFAULT_SYSTEM_PROMPT_TOKENS, "prompt.system_prompt", notes)
        values["prompt.fewshot_tokens"] = _static_tokens(
            pc.fewshot_tokens, None, pc.fewshot, pc.model, DEFAULT_FEWSHOT_TOKENS,
            "prompt.fewshot", notes)
        pinned = {k: getattr(pc, k) for k in ("input_usd_per_mtok", "cached_input_usd_per_mtok",
                                              "output_usd_per_mtok", "batch_discount")}
        rates = None
        if any(v is None for v in pinned.values()):
            rates = lookup.call("prompt.model", "prompt.input_usd_per_mtok",
                                lambda t: t.inference_rates(pc.model, provider=pc.provider,
                                                            as_of=as_of))
        if rates is not None and rates.embedding:
            raise InputError(f"prompt.model: {limits.shorten(pc.model)} is an embedding model "
                             f"(it returns vectors, not text): the prompted model must be a "
                             f"chat model such as gpt-4.1")
        for key, value in pinned.items():
            _set_rate(values, prices, f"prompt.{key}", value, rates, _model_note(pc.model, rates))
        if pc.cache_write_share > 0 and pc.cache_write_usd_per_mtok is None and rates is None:
            rates = lookup.call("prompt.model", "prompt.cache_write_usd_per_mtok",
                                lambda t: t.inference_rates(pc.model, provider=pc.provider,
                                                            as_of=as_of))
        _set_cache_write(values, prices, "prompt", pc.cache_write_usd_per_mtok, rates,
                         _model_note(pc.model, rates), record=pc.cache_write_share > 0)
        _snapshot_warning(rates, start, notes)
        _prompt_lifecycle(scenario, values, prices, lookup, rates, start, moves, notes, roads)
        if rates is not None:
            S = values["prompt.switch_month"]
            _price_schedule(values, prices, schedules, "prompt", rates, pinned, start,
                            scenario.horizon_months if S == NEVER else int(S) - 1,
                            lambda days, keys: _rate_runs(
                                lookup.table, "inference", days, keys, model=pc.model,
                                provider=pc.provider))
    # ---- rag --------------------------------------------------------------------------------
    rc = scenario.rag
    if need["rag"]:
        rates = None
        if rc.embedding_usd_per_mtok is None:
            rates = lookup.call("rag.embedding_model", "rag.embedding_usd_per_mtok",
                                lambda t: t.inference_rates(rc.embedding_model,
                                                            provider=rc.embedding_provider,
                                                            as_of=as_of))
        _set_rate(values, prices, "rag.embedding_usd_per_mtok", rc.embedding_usd_per_mtok,
                  rates, _model_note(rc.embedding_model, rates), table_attr="input_usd_per_mtok")
        _snapshot_warning(rates, start, notes)
        _set_rate(values, prices, "rag.vector_store_usd_per_month", rc.vector_store_usd_per_month,
                  None, "")
    # ---- finetune ---------------------------------------------------------------------------
    if need["finetune_data"]:
        if not need["finetune_api"]:
            values["finetune.max_tokens_per_example"] = (
                math.inf if fc.max_tokens_per_example is None
                else float(fc.max_tokens_per_example))
        if fc.dataset is not None:
            _count_dataset(scenario, values, notes)
        else:
            if values["finetune.examples"] is None:
                values["finetune.examples"] = float(DEFAULT_EXAMPLES)
            if values["finetune.tokens_per_example"] is None:
                values["finetune.tokens_per_example"] = float(DEFAULT_TOKENS_PER_EXAMPLE)
        for key in ("labelling_usd_per_example", "eval_usd_per_run"):
            _set_rate(values, prices, f"finetune.{key}", getattr(fc, key), None, "")
        _data_inputs(scenario, values, prices, lookup, start, notes, warnings)
    # ---- selfhost ---------------------------------------------------------------------------
    sc = scenario.selfhost
    if need["gpu"]:
        rates = None
        if sc.gpu_usd_per_hour is None:
            rates = lookup.call("selfhost.gpu", "selfhost.gpu_usd_per_hour",
                                lambda t: t.gpu_rate(sc.gpu, provider=sc.gpu_provider,
                                                     as_of=as_of))
        _set_rate(values, prices, "selfhost.gpu_usd_per_hour", sc.gpu_usd_per_hour, rates,
                  sc.gpu + (f" ({rates.provider})" if rates else ""), table_attr="usd_per_hour")
        _set_replica_gpus(values, prices, sc, lookup)
        for task in ("serve", "train"):
            _set_throughput(values, prices, sc, task)
    # ---- people -----------------------------------------------------------------------------
    _set_rate(values, prices, "hourly_rate_usd", scenario.hourly_rate_usd, None, "people's time",
              unit="USD/h")
    if scenario.cost_per_error_usd:
        _set_rate(values, prices, "cost_per_error_usd", scenario.cost_per_error_usd, None, "",
                  unit="USD/error")
    # ---- evidence: eval counts and a pilot curve win over typed accuracies ------------------
    values.update(evidence_values(scenario))
    notes += evidence_notes(scenario)
    return Inputs(horizon_months=scenario.horizon_months, baseline=scenario.baseline,
                  options=options, values=values, prices=tuple(prices), notes=tuple(notes),
                  start_date=start, moves=moves, roads=tuple(roads),
                  follows=follows, warnings=tuple(warnings),
                  schedules=tuple(schedules))


def _set_cache_write(values: dict, prices: list, prefix: str, pinned: Any, rates: Any,
                     what: str, *, record: bool) -> None:
    """``{prefix}.cache_write_usd_per_mtok``: pinned, else the table's cache-write rate, else
    the input rate (the provider bills no cache write apart). Recorded among the prices when
    ``record`` (some of the static prefix is written to the cache)."""
    path = f"{prefix}.cache_write_usd_per_mtok"
    if pinned is not None or (rates is not None and rates.cache_write_usd_per_mtok is not None):
        if record:
            _set_rate(values, prices, path, pinned, rates, what,
                      table_attr="cache_write_usd_per_mtok", unit="USD per 1M tokens")
        else:
            values[path] = float(pinned if pinned is not None
                                 else rates.cache_write_usd_per_mtok)
        return
    values[path] = values[f"{prefix}.input_usd_per_mtok"]
    if record:
        prices.append({"field": path, "value": values[path], "unit": "USD per 1M tokens",
                       "source": rates.source if rates is not None else "scenario",
                       "source_url": rates.source_url if rates is not None else "",
                       "checked_on": rates.checked_on.isoformat()
                       if rates is not None and rates.checked_on else "",
                       "note": f"{what}: no cache-write rate listed, billed at the input rate"})


INTERIM_USERS = {"finetune": ("finetune", "hybrid"), "selfhost": ("selfhost",)}
"""Road whose ``months_to_production`` an option waits for -> the options that wait."""


def _months_to_production(scenario: Scenario, values: dict, options) -> None:
    """Fill ``finetune.`` and ``selfhost.months_to_production`` where unset with the
    documented defaults (:data:`~simulator.model.scenario.DEFAULT_FINETUNE_MONTHS_TO_PRODUCTION`
    and its siblings)."""
    for road in ("finetune", "selfhost"):
        if values[f"{road}.months_to_production"] is None:
            values[f"{road}.months_to_production"] = float(default_months_to_production(
                road, scenario.finetune.already_trained))


def _model_note(model: str, rates: Any) -> str:
    """The note of a looked-up model's rates: the provider, why that one (a bare name), and
    the tier where the price depends on the time of day or the prompt size."""
    if rates is None:
        return model
    extras = [x for x in (rates.host, "" if rates.tier == "standard" else rates.tier) if x]
    return f"{model} ({rates.provider})" + "".join(f"; {x}" for x in extras)


def _snapshot_warning(rates: Any, start: date, notes: list) -> None:
    """Warn when genai-prices data behind ``rates`` is much older than the start date."""
    if rates is not None and rates.source.startswith("genai-prices"):
        from pricing import genai

        warning = genai.snapshot_info().age_warning(start)
        if warning and warning not in notes:
            notes.append(warning)


CHAT_MESSAGES = ({"role": "system", "content": ""}, {"role": "user", "content": ""})
"""The messages every request sends around its text: the system prompt and the user's
message (their contents are counted as ``s``/``s_ft`` and ``u``)."""


@lru_cache(maxsize=256)
def chat_overhead(model: str) -> float:
    """Chat-format tokens of one request, ``k`` [tokens]: :data:`CHAT_MESSAGES` counted with
    ``model``'s tokenizer and chat rule (11 for ``o200k_base``: 3 per message, each role's
    token, 3 to prime the reply). Depends on the model's name only, so the answers are kept
    (the 256 latest names; an unknown name's error is raised again each time)."""
    return float(int(tokens.count_chat_tokens(list(CHAT_MESSAGES), model)))


def _set_throughput(values: dict, prices: list, sc: Any, task: str) -> None:
    """``selfhost.{task}_tokens_per_second``: pinned, else the published figure for the GPU
    and model size (:mod:`simulator.model.throughput`), recorded with its source."""
    path = f"selfhost.{task}_tokens_per_second"
    pinned = getattr(sc, f"{task}_tokens_per_second")
    if pinned is not None:
        values[path] = float(pinned)
        prices.append({"field": path, "value": float(pinned), "unit": "tokens/s",
                       "source": "scenario", "source_url": "", "checked_on": "",
                       "note": f"{sc.gpu}, {sc.model_params_b:g}B parameters"})
        return
    row = gpu_throughput(sc.gpu, task, float(sc.model_params_b))
    values[path] = row.tokens_per_second
    measured_at = ("" if task == "train" or row.precision == sc.precision else
                   f"; measured at {row.precision}, served here at {sc.precision}: the figure "
                   f"is used as published")
    prices.append({"field": path, "value": row.tokens_per_second, "unit": "tokens/s per GPU",
                   "source": f"gpu_throughput.csv ({row.engine})",
                   "source_url": row.source_url, "checked_on": row.checked_on.isoformat(),
                   "note": f"{row.gpu}, {row.params_b_min:g}–{row.params_b_max:g}B "
                           f"parameters: {row.measure}; {row.conversion()}{measured_at}"})


def _set_replica_gpus(values: dict, prices: list, sc: Any, lookup: _Lookup) -> None:
    """``selfhost.gpus_per_replica``: pinned, else the smallest tensor-parallel size whose
    memory holds the weights and the KV reserve (:func:`simulator.model.throughput.gpus_per_replica`),
    recorded with the rule; a model no 8 GPUs hold is refused naming a GPU type that does."""
    params, prec, kv = float(sc.model_params_b), sc.precision, float(sc.kv_reserve_share)
    memory = sc.gpu_memory_gb
    if memory is None:
        try:
            memory = lookup.table.gpu_memory_gb(sc.gpu)
        except PriceError as exc:
            raise InputError(f"selfhost.gpu_memory_gb: {exc}") from None
    need = replica_memory_gb(params, prec, kv)
    weights = params * BYTES_PER_PARAM[prec]
    rule = (f"{params:g}B at {prec}: {need:,.1f} GB ({weights:,.1f} GB of weights + {kv:.0%} "
            f"KV-cache reserve)")
    if memory is None:
        if sc.gpus_per_replica is None:
            raise InputError(f"selfhost.gpu_memory_gb: the GPU table gives no memory for "
                             f"{sc.gpu}; set selfhost.gpu_memory_gb (GB of one GPU) or "
                             f"selfhost.gpus_per_replica")
        n, how = int(sc.gpus_per_replica), "scenario"
        note = f"{rule}; GPU memory unknown, so not checked"
    else:
        fits = gpus_per_replica(params, prec, memory, kv)
        if fits is None:
            others = {}
            for name in lookup.table.gpu_names():
                try:
                    mem = lookup.table.gpu_memory_gb(name)
                except PriceError:
                    continue
                if mem is not None and name.lower() != sc.gpu.lower():
                    others[name] = mem
            raise InputError(too_big_message(params, prec, sc.gpu, memory, kv, others))
        if sc.gpus_per_replica is not None and sc.gpus_per_replica < fits:
            raise InputError(f"selfhost.gpus_per_replica: {sc.gpus_per_replica} × {sc.gpu} "
                             f"hold {sc.gpus_per_replica * memory * GPU_MEMORY_UTILIZATION:,.1f}"
                             f" GB, less than the {rule}; use at least {fits}")
        n = fits if sc.gpus_per_replica is None else int(sc.gpus_per_replica)
        how = "memory rule" if sc.gpus_per_replica is None else "scenario"
        note = (f"{rule} on {n} × {sc.gpu} ({n} × {memory:g} GB × "
                f"{GPU_MEMORY_UTILIZATION:g} = {n * memory * GPU_MEMORY_UTILIZATION:,.1f} GB)")
    values["selfhost.gpus_per_replica"] = float(n)
    prices.append({"field": "selfhost.gpus_per_replica", "value": float(n), "unit": "GPUs",
                   "source": how, "source_url": "", "checked_on": "", "note": note})


def _with_scenario_prices(scenario: Scenario, table: PriceTable | None) -> PriceTable | None:
    """``table`` (default: the shipped one) with the price rows the scenario carries."""
    if not scenario.prices:
        return table
    files = {}
    for kind, text in scenario.prices:
        f = io.StringIO(text)
        f.name = f"prices.{kind}"
        files[kind] = f
    try:
        return with_overrides(table if table is not None else default_table(), **files)
    except PriceError as exc:
        raise InputError(str(exc)) from None


def start_date(scenario: Scenario) -> date:
    """The scenario's month 0: its ``as_of`` date, or today when it has none."""
    return scenario.as_of or date.today()


class _Lookup:
    """Price-table look-ups that turn a missing price into an InputError naming the field."""

    def __init__(self, table: PriceTable | None):
        self._table = table

    @property
    def table(self) -> PriceTable:
        if self._table is None:
            self._table = default_table()
        return self._table

    def lifecycle(self, kind: str, provider: str | None, model: str) -> Lifecycle:
        """Lifecycle facts of a model (``kind`` "model") or an offering, when every rate is
        pinned; :data:`pricing.NO_LIFECYCLE` where the table has none."""
        try:
            if kind == "offering":
                return self.table.offering_lifecycle(provider, model)
            return self.table.model_lifecycle(provider, model)
        except PriceError:
            return NO_LIFECYCLE

    def call(self, field: str, pin: str, fn):
        try:
            return fn(self.table)
        except PriceError as exc:
            raise InputError(f"{field}: {exc}; or set {pin} (and the other rates of this "
                             f"section) in the scenario") from None


def _unit(path: str) -> str:
    for suffix, unit in _UNITS.items():
        if path.endswith(suffix):
            return unit
    if path.endswith("batch_discount"):
        return "share"
    if path.endswith("max_tokens_per_example"):
        return "tokens"
    return ""


def _set_rate(values: dict, prices: list, path: str, pinned: Any, rates: Any, what: str,
              *, table_attr: str | None = None, unit: str | None = None) -> None:
    """Record the rate used for ``path``: the pinned value, else the table's (``rates``).

    With ``rates`` None and nothing pinned, there is nothing to record (not reached: the
    callers look up the table whenever a rate is unpinned).
    """
    unit = unit or _unit(path)
    if pinned is not None:
        values[path] = float(pinned)
        prices.append({"field": path, "value": float(pinned), "unit": unit,
                       "source": "scenario (pinned)" if path in TABLE_RATES else "scenario",
                       "source_url": "", "checked_on": "", "note": what})
        return
    value = getattr(rates, table_attr or path.split(".", 1)[1])
    values[path] = float(value)
    prices.append({"field": path, "value": float(value), "unit": unit, "source": rates.source,
                   "source_url": rates.source_url,
                   "checked_on": rates.checked_on.isoformat() if rates.checked_on else "",
                   "note": what})


OFFERING_KEYS = ("train_usd_per_mtok", "input_usd_per_mtok", "output_usd_per_mtok",
                 "hosting_usd_per_hour", "min_charge_usd", "batch_discount",
                 "storage_usd_per_month", "validation_usd_per_mtok")
"""Offering rates a scenario may pin (``finetune.<key>``)."""


def _finetune_rates(scenario: Scenario, values: dict, prices: list, lookup: _Lookup,
                    start: date, moves: dict, notes: list, roads: list,
                    schedules: list | None = None) -> None:
    """The offering's rates (pinned or from the table), its lifecycle and, when it closes
    inside the horizon, its successor's rates (``finetune.after.*``)."""
    fc = scenario.finetune
    pinned = {k: getattr(fc, k) for k in OFFERING_KEYS}
    rates = None
    if any(v is None for v in pinned.values()) or fc.max_tokens_per_example is None:
        rates = lookup.call("finetune.model", "finetune.train_usd_per_mtok",
                            lambda t: t.finetune_rates(fc.provider, fc.model, as_of=start,
                                                       method=fc.method))
    what = f"{fc.provider} {fc.model}" + (f" ({rates.method})" if rates else "")
    _record_offering(values, prices, "finetune", pinned, fc.max_tokens_per_example, rates, what)
    life = rates.lifecycle if rates else lookup.lifecycle("offering", fc.provider, fc.model)
    _refuse_closed("finetune.model", f"{fc.provider} {fc.model} cannot be fine-tuned",
                   training_closed_at_start(life, start), life, start, "an offering that is open")
    subject = f"{provider_name(fc.provider)} {fc.model}"
    roads.append(f"{subject} fine-tuning")
    plan = plan_finetune(life, start, scenario.horizon_months, fc.retrain_every_months, subject)
    if rates is not None and schedules is not None:
        last = scenario.horizon_months if not plan.moves else int(plan.switch_month) - 1
        _price_schedule(values, prices, schedules, "finetune", rates, pinned, start, last,
                        lambda days, keys: _rate_runs(
                            lookup.table, "finetune", days, keys, provider=fc.provider,
                            model=fc.model, method=rates.method))
    if not plan.moves:
        return
    S = int(plan.switch_month)
    values["finetune.switch_month"] = float(S)
    successor = fc.migrate_to or life.successor
    why = ""
    succ_rates = None
    if fc.on_retirement == "prompt":
        why = "finetune.on_retirement is 'prompt'"
    elif successor is None:
        why = f"{provider_name(fc.provider)} names no fine-tunable successor"
    else:
        prov, model = split_successor(successor)
        when = month_start(start, S)
        try:
            succ_rates = lookup.table.finetune_rates(prov, model, as_of=when, method=fc.method)
        except PriceError:
            try:
                succ_rates = lookup.table.finetune_rates(prov, model, as_of=when)
            except PriceError as exc:
                raise InputError(f"finetune.migrate_to: {successor}: {exc}") from None
        closed = training_closed_at_start(succ_rates.lifecycle, when)
        if closed:
            why = f"the successor {successor} is closed by then too ({closed})"
            succ_rates = None
        elif succ_rates.train_usd_per_mtok is None:
            raise InputError(f"finetune.migrate_to: {successor} is billed per training hour, "
                             f"which the cost model cannot price from tokens; name another "
                             f"offering")
    if succ_rates is None:
        values["finetune.fallback"] = 1.0
        for key in FINETUNE_RATES:  # unused after the switch; kept for one code path
            values[f"finetune.after.{key}"] = values[f"finetune.{key}"]
        moves["finetune"] = Move(road="finetune", month=S, events=plan.events,
                                 to=f"prompting {scenario.prompt.model}", fallback=True, why=why)
        return
    succ_what = (f"{provider_name(succ_rates.provider)} {succ_rates.model} "
                 f"({succ_rates.method})")
    _record_offering(values, prices, "finetune.after", dict.fromkeys(OFFERING_KEYS), None,
                     succ_rates, f"successor from month {S}: {succ_what}")
    moves["finetune"] = Move(road="finetune", month=S, events=plan.events, to=succ_what,
                             why="" if fc.migrate_to is None else "finetune.migrate_to")
    later = plan_finetune(succ_rates.lifecycle, month_start(start, S), scenario.horizon_months
                          - S + 1, fc.retrain_every_months, succ_what)
    if later.moves:
        notes.append(f"finetune.migrate_to: the successor {succ_what} closes inside the horizon "
                     f"too ({'; '.join(e.words() for e in later.events)}); ftroi prices one "
                     f"migration only: name a later offering with finetune.migrate_to")


SCHEDULED_RATES = {
    "prompt": ("input_usd_per_mtok", "cached_input_usd_per_mtok", "output_usd_per_mtok"),
    "finetune": ("train_usd_per_mtok", "input_usd_per_mtok", "output_usd_per_mtok",
                 "hosting_usd_per_hour", "storage_usd_per_month", "validation_usd_per_mtok",
                 "min_charge_usd"),
}
"""Rates of each road that follow the price table's dated rows month by month."""


def _rate_runs(table: Any, kind: str, days: tuple[date, ...], keys: tuple[str, ...],
               **query: Any) -> RateRuns:
    """The table's ``kind`` (``inference``/``finetune``) rates of ``query`` on each of
    ``days`` (:func:`pricing.table.rate_runs`): kept with a :class:`~pricing.PriceTable`, which
    never changes, so simulating the same scenario again asks nothing anew; any other
    object that answers look-ups is asked day by day."""
    if isinstance(table, PriceTable):
        return getattr(table, f"{kind}_runs")(**query, days=days, keys=keys)
    look = getattr(table, f"{kind}_rates")
    return rate_runs(lambda day: look(**query, as_of=day), days, keys)


def _price_schedule(values: dict, prices: list, schedules: list, road: str, rates: Any,
                    pinned: Mapping[str, Any], start: date, last_month: int, runs_of) -> None:
    """The price table's scheduled changes of the road's looked-up rates in months
    ``1..last_month``: month ``m`` pays the rate in force on its last day (so the month that
    holds a change day pays the new rate). Sets ``road.price_steps`` and, per step, its month
    and one factor per rate (cumulative, relative to the start date's rate; pinned rates keep
    factor 1); records each new rate with its source and says so in ``schedules``.

    ``runs_of(days, keys)``: the table's rates on each of ``days`` (:func:`_rate_runs`)."""
    keys = tuple(k for k in SCHEDULED_RATES[road]
                 if pinned.get(k) is None and getattr(rates, k, None))
    if not keys or last_month < 1:
        return
    days = month_ends(start, last_month)          # days[m - 1]: the last day of month m
    runs = runs_of(days, keys)
    if runs.stop is not None:
        day = days[runs.stop]
        schedules.append(f"{road}: from month {runs.stop + 1} ({day.isoformat()}) the price "
                         f"table has no rate for {rates.model} ({runs.error}); the last known "
                         f"rates are kept")
    steps: list[tuple[int, Any]] = []
    current = rates
    for i, later in runs.starts:
        if any(getattr(later, k) != getattr(current, k) for k in keys):
            steps.append((i + 1, later))
            current = later
    if not steps:
        return
    values[f"{road}.price_steps"] = float(len(steps))
    subject = f"{provider_name(rates.provider)} {rates.model}"
    for i, (m, later) in enumerate(steps, start=1):
        values[f"{road}.price_step{i}.month"] = float(m)
        changed = []
        for k in keys:
            new, old = getattr(later, k), getattr(rates, k)
            values[f"{road}.price_step{i}.{k}_factor"] = new / old
            prices.append({"field": f"{road}.price_step{i}.{k}", "value": float(new),
                           "unit": _unit(f"{road}.{k}"), "source": later.source,
                           "source_url": later.source_url,
                           "checked_on": later.checked_on.isoformat() if later.checked_on
                           else "", "note": f"{subject}: scheduled price from month {m}"})
            before = steps[i - 2][1] if i > 1 else rates
            if getattr(before, k) != new:
                changed.append(f"{k.removesuffix('_usd_per_mtok').replace('_', ' ')} "
                               f"{getattr(before, k):g} → {new:g}")
        when = getattr(later, "effective_from", None)
        on = f"on {when.isoformat()} " if when is not None and when > start else ""
        first = month_start(start, m)
        end = month_start(start, m + 1) - timedelta(days=1)
        unit = "USD per 1M tokens" if all(k.endswith("_mtok") for k in keys) else "USD"
        schedules.append(
            f"{subject}'s price changes {on}(month {m}, {first.isoformat()} to "
            f"{end.isoformat()}): {', '.join(changed)} {unit}; the {road} road pays the new "
            f"rate from month {m} on" + (f" (source: {later.source_url})"
                                          if later.source_url else ""))


def _closure_hazard(scenario: Scenario, values: dict, lookup: _Lookup, start: date,
                    notes: list) -> float:
    """``finetune.closure_hazard`` as a yearly chance (``"auto"``: calibrated for the
    offering's kind from the lifecycle table, :mod:`simulator.model.closure`), with the kind
    (``finetune.closure_closed_model``); returns the chance (0 = off)."""
    fc = scenario.finetune
    kind = closure.offering_kind(fc.provider)
    values["finetune.closure_closed_model"] = 1.0 if kind == "closed-model" else 0.0
    hazard = fc.closure_hazard
    if hazard == "auto":
        calibrated = closure.calibrate(lookup.table.lifecycle, start)[kind]
        hazard = calibrated.yearly
        notes.append(f"finetune.closure_hazard auto: {calibrated.words()}; Monte Carlo draws "
                     f"an unannounced closure from it")
    values["finetune.closure_hazard"] = float(hazard)
    return float(hazard)


def _refuse_closed(path: str, what: str, closed: str | None, life: Lifecycle, start: date,
                   instead: str) -> None:
    """An :class:`InputError` for a road that is closed on the start date (``closed`` says
    why), naming the provider's successor; nothing when ``closed`` is None."""
    if closed:
        succ = f" (its successor: {life.successor})" if life.successor else ""
        raise InputError(f"{path}: {what} from the start date {start.isoformat()}: {closed}"
                         f"{succ}; pick {instead}, or an earlier as_of")


def _record_offering(values: dict, prices: list, prefix: str, pinned: dict,
                     pinned_cap: int | None, rates: Any, what: str) -> None:
    """Set ``prefix.<rate>`` for each offering rate (pinned or ``rates``'), recording it."""
    if pinned["train_usd_per_mtok"] is None and rates.train_usd_per_mtok is None:
        raise InputError(
            f"finetune.train_usd_per_mtok: {what} is billed per training hour "
            f"({rates.train_usd_per_hour:g} USD/h), which the cost model cannot price from "
            f"tokens; set finetune.train_usd_per_mtok in the scenario")
    for key, value in pinned.items():
        path = f"{prefix}.{key}"
        if value is None and getattr(rates, key) is None:  # validation not billed
            values[path] = 0.0
            continue
        _set_rate(values, prices, path, value, rates, what, table_attr=key,
                  unit=_unit(f"finetune.{key}"))
    cap_path = f"{prefix}.max_tokens_per_example"
    if pinned_cap is not None:
        values[cap_path] = float(pinned_cap)
        prices.append({"field": cap_path, "value": float(pinned_cap), "unit": "tokens",
                       "source": "scenario (pinned)", "source_url": "", "checked_on": "",
                       "note": what})
    elif rates is not None and rates.max_tokens_per_example is not None:
        _set_rate(values, prices, cap_path, None, rates, what,
                  table_attr="max_tokens_per_example", unit="tokens")
    else:
        values[cap_path] = math.inf


def _prompt_lifecycle(scenario: Scenario, values: dict, prices: list, lookup: _Lookup,
                      rates: Any, start: date, moves: dict, notes: list, roads: list) -> None:
    """The prompted model's lifecycle: refused when retired before the start; when it
    retires inside the horizon, its successor's rates (``prompt.after.*``) from then on."""
    pc = scenario.prompt
    life = rates.lifecycle if rates else lookup.lifecycle("model", pc.provider, pc.model)
    _refuse_closed("prompt.model", f"{pc.model} cannot be prompted",
                   closed_at_start(life, start), life, start, "a model that serves")
    subject = f"{provider_name(rates.provider)} {pc.model}" if rates else pc.model
    roads.insert(0, subject)
    plan = plan_prompt(life, start, scenario.horizon_months, subject)
    if not plan.moves:
        return
    S = int(plan.switch_month)
    successor = pc.successor or life.successor
    values["prompt.switch_month"] = float(S)
    if successor is None:
        for key in (*PROMPT_RATES, "cache_write_usd_per_mtok"):
            values[f"prompt.after.{key}"] = values[f"prompt.{key}"]
        moves["prompt"] = Move(road="prompt", month=S, events=plan.events,
                               to=f"an unnamed successor of {pc.model}",
                               why="no successor is named: priced at the retiring model's "
                                   "rates; set prompt.successor")
        return
    prov, model = split_successor(successor)
    succ = lookup.call("prompt.successor", "prompt.successor",
                       lambda t: t.inference_rates(model, provider=prov,
                                                   as_of=month_start(start, S)))
    if succ.embedding:
        where = ("prompt.successor" if pc.successor is not None
                 else f"the lifecycle row of {limits.shorten(pc.model)}")
        raise InputError(f"{where}: the successor {limits.shorten(successor)} is an embedding "
                         f"model (it returns vectors, not text): name a chat model to move to")
    for key in PROMPT_RATES:
        _set_rate(values, prices, f"prompt.after.{key}", None, succ,
                  f"successor from month {S}: {succ.provider} {succ.model}", table_attr=key,
                  unit=_unit(f"prompt.{key}"))
    _set_cache_write(values, prices, "prompt.after", None, succ,
                     f"successor from month {S}: {succ.provider} {succ.model}",
                     record=pc.cache_write_share > 0)
    moves["prompt"] = Move(road="prompt", month=S, events=plan.events,
                           to=f"{provider_name(succ.provider)} {succ.model}",
                           why="" if pc.successor is None else "prompt.successor")
    if succ.lifecycle.serving_ends is not None and plan_prompt(
            succ.lifecycle, month_start(start, S), scenario.horizon_months - S + 1,
            "").moves:
        notes.append(f"prompt.successor: {succ.model} retires inside the horizon too (last "
                     f"day {succ.lifecycle.serving_ends.isoformat()}); ftroi prices one "
                     f"migration only: set prompt.successor to a later model")


def _static_tokens(number: Any, text: str | None, fewshot: Any, model: str, default: int,
                   path: str, notes: list) -> float:
    """The token count of a static prompt part: the number given, else the text counted."""
    if number is not None:
        return float(number)
    if text is None and fewshot is None:
        return float(default)
    if text is not None:
        count = tokens.count_tokens(text, model)
    elif isinstance(fewshot, str):
        count = tokens.count_tokens(fewshot, model)
    elif fewshot and isinstance(fewshot[0], str):
        counts = [tokens.count_tokens(t, model) for t in fewshot]
        count = tokens.TokenCount(sum(counts), exact=all(c.exact for c in counts),
                                  note=next((c.note for c in counts if not c.exact), ""))
    else:
        # Chat messages: count_chat_tokens adds the reply priming, which k already counts.
        counted = tokens.count_chat_tokens(list(fewshot), model)
        count = tokens.TokenCount(max(int(counted) - tokens.REPLY_PRIMING_TOKENS, 0),
                                  exact=counted.exact, note=counted.note)
    if not getattr(count, "exact", True):
        notes.append(f"{path}: {int(count)} tokens is an estimate ({count.note})")
    return float(count)


def _count_dataset(scenario: Scenario, values: dict, notes: list) -> None:
    fc = scenario.finetune
    path = Path(fc.dataset)
    if not path.is_absolute() and scenario.source_dir is not None:
        path = scenario.source_dir / path
    cap = values["finetune.max_tokens_per_example"]
    report = tokens.analyze_dataset(
        path, fc.model, epochs=fc.epochs,
        max_tokens_per_example=None if math.isinf(cap) else int(cap))
    if report.n_examples == 0:
        bad = (f" ({report.n_errors} bad line(s); first: {report.errors[0]})"
               if report.n_errors else "")
        raise InputError(f"finetune.dataset: {path}: no valid training examples{bad}")
    if report.n_errors:
        # Like `ftroi dataset`: bad lines are left out of every figure, and the reader is told.
        notes.append(f"finetune.dataset: {report.n_errors} bad line(s) left out "
                     f"(first: {report.errors[0]}); run ftroi dataset {path} to list them")
    values["finetune.tokens_per_example"] = report.billed_tokens_per_epoch / report.n_examples
    values["finetune.max_tokens_per_example"] = math.inf  # the cap is already applied
    scaled = ""
    if fc.examples is None:
        values["finetune.examples"] = float(report.n_examples)
    else:  # the file is a sample of the set: it measures tokens per example
        scaled = (f"; a sample: the set of {fc.examples:,} examples (finetune.examples) is "
                  f"priced at this mean")
    notes.append(f"finetune.dataset: {report.n_examples} examples, "
                 f"{report.billed_tokens_per_epoch} billed tokens per epoch "
                 f"(mean {values['finetune.tokens_per_example']:.1f} per example){scaled}"
                 + ("" if report.exact else f"; estimate: {report.note}"))


def value_fields() -> list[str]:
    """Every path :func:`resolve` may fill (for messages)."""
    out = list(Scenario.RULES)
    for section, cls in SECTION_TYPES.items():
        out += [f"{section}.{f.name}" for f in fields(cls) if f.name in cls.RULES]
    return out


# ---- training data ([data]) ---------------------------------------------------------------------

def _data_inputs(scenario: Scenario, values: dict, prices: list, lookup: _Lookup, start: date,
                 notes: list, warnings: list) -> None:
    """The ``[data]`` values the chain reads (:func:`simulator.model.cost.training_data_usd`): the
    source, the review share for it, and for a teacher its tokens and rates (and the
    judge's), looked up like the prompted model's; the warnings the answer carries."""
    dc = scenario.data
    values["data.source"] = dc.source
    values["data.review_share"] = dc.resolved_review_share
    if dc.resolved_review_share:
        _set_rate(values, prices, "data.review_usd_per_example", dc.review_usd_per_example,
                  None, f"a person checks {dc.resolved_review_share:.0%} of the kept examples")
    for key in ("teacher_input_tokens", "teacher_output_tokens", "teacher_input_usd_per_mtok",
                "teacher_cached_input_usd_per_mtok", "teacher_output_usd_per_mtok",
                "teacher_batch_discount", "judge_input_tokens", "judge_input_usd_per_mtok",
                "judge_output_usd_per_mtok", "judge_batch_discount"):
        if values.get(f"data.{key}") is None:
            values[f"data.{key}"] = 0.0
    if dc.source == "teacher":
        _teacher_inputs(scenario, values, prices, lookup, start, notes, warnings)
    elif dc.source == "logs":
        warning = logs_shortfall(scenario, values)
        if warning:
            warnings.append(warning)


def teacher_names(scenario: Scenario) -> tuple[str, str | None]:
    """The teacher model and its provider: ``data.teacher_model``, else the prompted model."""
    dc = scenario.data
    if dc.teacher_model is not None:
        return dc.teacher_model, dc.teacher_provider
    return scenario.prompt.model, dc.teacher_provider or scenario.prompt.provider


def _teacher_inputs(scenario: Scenario, values: dict, prices: list, lookup: _Lookup,
                    start: date, notes: list, warnings: list) -> None:
    from pricing.datasources import output_terms

    dc = scenario.data
    model, provider = teacher_names(scenario)
    pinned = {"input_usd_per_mtok": dc.teacher_input_usd_per_mtok,
              "cached_input_usd_per_mtok": dc.teacher_cached_input_usd_per_mtok,
              "output_usd_per_mtok": dc.teacher_output_usd_per_mtok,
              "batch_discount": dc.teacher_batch_discount}
    rates = None
    if any(v is None for v in pinned.values()):
        rates = lookup.call("data.teacher_model", "data.teacher_input_usd_per_mtok",
                            lambda t: t.inference_rates(model, provider=provider, as_of=start))
    what = "teacher " + _model_note(model, rates)
    for key, value in pinned.items():
        _set_rate(values, prices, f"data.teacher_{key}", value, rates, what, table_attr=key,
                  unit=_unit(f"prompt.{key}"))
    _snapshot_warning(rates, start, notes)
    u, k = values["workload.input_tokens"], values["workload.chat_overhead_tokens"]
    if k is None:
        k = chat_overhead(model)
    if dc.teacher_input_tokens is not None:
        tokens_in = float(dc.teacher_input_tokens)
    elif dc.teacher_prompt is not None:
        tokens_in = _static_tokens(None, dc.teacher_prompt, None, model, 0,
                                   "data.teacher_prompt", notes) + u + k
    elif dc.teacher_samples is not None:
        tokens_in = None
    else:
        pc = scenario.prompt
        tokens_in = (_static_tokens(pc.system_prompt_tokens, pc.system_prompt, None, model,
                                    DEFAULT_SYSTEM_PROMPT_TOKENS, "prompt.system_prompt", notes)
                     + _static_tokens(pc.fewshot_tokens, None, pc.fewshot, model,
                                      DEFAULT_FEWSHOT_TOKENS, "prompt.fewshot", notes)
                     + u + k)
    tokens_out = None if dc.teacher_output_tokens is None else float(dc.teacher_output_tokens)
    if dc.teacher_samples is not None:
        tokens_in, tokens_out = _measure_samples(scenario, model, notes, tokens_in, tokens_out)
    if tokens_out is None:
        tokens_out = float(values["workload.output_tokens"])
    values["data.teacher_input_tokens"] = float(tokens_in)
    values["data.teacher_output_tokens"] = float(tokens_out)
    if dc.judge_model is not None:
        _judge_inputs(scenario, values, prices, lookup, start, notes)
    terms = output_terms(rates.provider if rates else provider, model, as_of=start)
    if terms is not None and terms.restricts:
        warnings.append(terms.warning(model))


def _measure_samples(scenario: Scenario, model: str, notes: list, tokens_in, tokens_out):
    from .datasamples import sample_tokens

    path = Path(scenario.data.teacher_samples)
    if not path.is_absolute() and scenario.source_dir is not None:
        path = scenario.source_dir / path
    try:
        counted = sample_tokens(path, model)
    except InputError as exc:
        raise InputError(f"data.teacher_samples: {path}: {exc}") from None
    notes.append(f"data.teacher_samples: {counted.n_examples} examples, a mean of "
                 f"{counted.input_tokens:.1f} tokens to the teacher and "
                 f"{counted.output_tokens:.1f} from it"
                 + (f" ({counted.n_errors} bad line(s) left out)" if counted.n_errors else "")
                 + ("" if counted.exact else f"; estimate: {counted.note}"))
    return (counted.input_tokens if tokens_in is None else tokens_in,
            counted.output_tokens if tokens_out is None else tokens_out)


def _judge_inputs(scenario: Scenario, values: dict, prices: list, lookup: _Lookup,
                  start: date, notes: list) -> None:
    dc = scenario.data
    pinned = {"input_usd_per_mtok": dc.judge_input_usd_per_mtok,
              "output_usd_per_mtok": dc.judge_output_usd_per_mtok}
    rates = None
    if any(v is None for v in pinned.values()) or dc.teacher_batch_share:
        rates = lookup.call("data.judge_model", "data.judge_input_usd_per_mtok",
                            lambda t: t.inference_rates(dc.judge_model,
                                                        provider=dc.judge_provider,
                                                        as_of=start))
    what = "judge " + _model_note(dc.judge_model, rates)
    for key, value in pinned.items():
        _set_rate(values, prices, f"data.judge_{key}", value, rates, what, table_attr=key,
                  unit=_unit(f"prompt.{key}"))
    values["data.judge_batch_discount"] = float(rates.batch_discount) if rates else 0.0
    _snapshot_warning(rates, start, notes)
    if dc.judge_input_tokens is None:
        values["data.judge_input_tokens"] = (values["data.teacher_input_tokens"]
                                             + values["data.teacher_output_tokens"])
    else:
        values["data.judge_input_tokens"] = float(dc.judge_input_tokens)


def logs_shortfall(scenario: Scenario, values: Mapping[str, Any]) -> str:
    """The sentence saying the logs are too few, when they are: the first training set
    (with its hold-out) takes more than a month of the prompted road's traffic to collect, or
    a retraining's new examples more than the months between retrainings (empty otherwise)."""
    from .datacost import holdout_examples, logs_examples_per_month, months_to_collect

    dc, fc = scenario.data, scenario.finetune
    v1 = float(scenario.workload.requests_per_month)
    per_month = logs_examples_per_month(v1, dc.logs_usable_share, dc.acceptance_rate)
    examples = float(values["finetune.examples"])
    first = examples + holdout_examples(examples, dc.holdout_share)
    wait = months_to_collect(first, v1, dc.logs_usable_share, dc.acceptance_rate)
    parts = []
    if wait > 1:
        parts.append(f"the first training set ({first:,.0f} examples with the hold-out) takes "
                     + (f"{wait:.1f} months of today's traffic to collect"
                        if math.isfinite(wait) else "forever: the logs give none")
                     + ", so the fine-tuned road starts that much later than priced")
    R, dN = fc.retrain_every_months, fc.new_examples_per_retrain
    if R and dN and math.isfinite(wait):
        need = dN + holdout_examples(dN, dc.holdout_share)
        if need > per_month * R:
            parts.append(f"each retraining needs {need:,.0f} new examples, more than the "
                         f"{per_month * R:,.0f} that {R} month(s) of logs give")
    if not parts:
        return ""
    return (f"Too few examples in the logs: at {v1:,.0f} requests a month, "
            f"{dc.logs_usable_share:.0%} usable (data.logs_usable_share) and "
            f"{dc.acceptance_rate:.0%} kept (data.acceptance_rate), they give "
            f"{per_month:,.0f} examples a month; " + "; and ".join(parts) + ".")
