"""From a scenario to the numbers the cost chain needs: rates looked up, texts counted.

:func:`resolve` turns a :class:`~simulator.scenario.Scenario` into :class:`Inputs`: a flat
mapping of field paths (``"prompt.input_usd_per_mtok"``) to floats, plus a record of every
rate used with its source and check date. A rate pinned in the scenario wins over the price
table; only the sections that the simulated options need are looked up, so a scenario that
pins every rate never touches the table.

A missing price raises :class:`~simulator.errors.InputError` naming the field to pin.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from pricing import PriceError, PriceTable, default_table

from . import tokens
from .errors import InputError
from .scenario import (
    DEFAULT_EXAMPLES,
    DEFAULT_FEWSHOT_TOKENS,
    DEFAULT_SYSTEM_PROMPT_TOKENS,
    DEFAULT_TOKENS_PER_EXAMPLE,
    SECTION_TYPES,
    Scenario,
)

PRICE_COLUMNS = ("field", "value", "unit", "source", "source_url", "checked_on", "note")

TABLE_RATES = frozenset({
    "prompt.input_usd_per_mtok", "prompt.cached_input_usd_per_mtok",
    "prompt.output_usd_per_mtok", "prompt.batch_discount", "rag.embedding_usd_per_mtok",
    "finetune.train_usd_per_mtok", "finetune.input_usd_per_mtok",
    "finetune.output_usd_per_mtok", "finetune.hosting_usd_per_hour", "finetune.min_charge_usd",
    "finetune.batch_discount", "finetune.max_tokens_per_example", "selfhost.gpu_usd_per_hour",
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
    """

    horizon_months: int
    baseline: str
    options: tuple[str, ...]
    values: Mapping[str, Any]
    prices: tuple[dict, ...]
    notes: tuple[str, ...]


def scenario_values(scenario: Scenario) -> dict[str, Any]:
    """Every numeric field of the scenario by path, as given (``None`` where unset)."""
    out: dict[str, Any] = {name: getattr(scenario, name) for name in Scenario.RULES}
    for section, cls in SECTION_TYPES.items():
        body = getattr(scenario, section)
        for name in cls.RULES:
            out[f"{section}.{name}"] = getattr(body, name)
    fe = scenario.finetune.epochs
    out["finetune.epochs"] = None if fe == "auto" else float(fe)
    return {k: (float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v)
            for k, v in out.items()}


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


def resolve(scenario: Scenario, table: PriceTable | None = None) -> Inputs:
    """Look up unpinned rates, count texts and return the chain's :class:`Inputs`.

    ``table`` defaults to the shipped price table (:func:`pricing.default_table`), loaded
    only if some rate is not pinned.
    """
    values = scenario_values(scenario)
    prices: list[dict] = []
    notes: list[str] = list(scenario.notes)
    options = scenario.simulated_options
    need = needs(options)
    lookup = _Lookup(table)
    as_of = scenario.as_of

    # ---- workload ---------------------------------------------------------------------------
    if values["workload.chat_overhead_tokens"] is None:
        values["workload.chat_overhead_tokens"] = float(tokens.chat_overhead_tokens(2))

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
        for key, value in pinned.items():
            _set_rate(values, prices, f"prompt.{key}", value, rates,
                      f"{pc.model}" + (f" ({rates.provider})" if rates else ""))
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
                  rates, rc.embedding_model, table_attr="input_usd_per_mtok")
        _set_rate(values, prices, "rag.vector_store_usd_per_month", rc.vector_store_usd_per_month,
                  None, "")
    # ---- finetune ---------------------------------------------------------------------------
    fc = scenario.finetune
    if need["finetune_data"]:
        if need["finetune_api"]:
            _finetune_rates(scenario, values, prices, lookup)
        else:
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
    # ---- people -----------------------------------------------------------------------------
    _set_rate(values, prices, "hourly_rate_usd", scenario.hourly_rate_usd, None, "people's time",
              unit="USD/h")
    if scenario.cost_per_error_usd:
        _set_rate(values, prices, "cost_per_error_usd", scenario.cost_per_error_usd, None, "",
                  unit="USD/error")
    return Inputs(horizon_months=scenario.horizon_months, baseline=scenario.baseline,
                  options=options, values=values, prices=tuple(prices), notes=tuple(notes))


class _Lookup:
    """Price-table look-ups that turn a missing price into an InputError naming the field."""

    def __init__(self, table: PriceTable | None):
        self._table = table

    @property
    def table(self) -> PriceTable:
        if self._table is None:
            self._table = default_table()
        return self._table

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


def _finetune_rates(scenario: Scenario, values: dict, prices: list, lookup: _Lookup) -> None:
    fc = scenario.finetune
    keys = ("train_usd_per_mtok", "input_usd_per_mtok", "output_usd_per_mtok",
            "hosting_usd_per_hour", "min_charge_usd", "batch_discount")
    pinned = {k: getattr(fc, k) for k in keys}
    rates = None
    if any(v is None for v in pinned.values()) or fc.max_tokens_per_example is None:
        rates = lookup.call("finetune.model", "finetune.train_usd_per_mtok",
                            lambda t: t.finetune_rates(fc.provider, fc.model,
                                                       as_of=scenario.as_of))
    what = f"{fc.provider} {fc.model}"
    if pinned["train_usd_per_mtok"] is None and rates.train_usd_per_mtok is None:
        raise InputError(
            f"finetune.train_usd_per_mtok: {what} is billed per training hour "
            f"({rates.train_usd_per_hour:g} USD/h), which the cost model cannot price from "
            f"tokens; set finetune.train_usd_per_mtok in the scenario")
    for key, value in pinned.items():
        _set_rate(values, prices, f"finetune.{key}", value, rates, what)
    cap = fc.max_tokens_per_example
    if cap is not None:
        values["finetune.max_tokens_per_example"] = float(cap)
        prices.append({"field": "finetune.max_tokens_per_example", "value": float(cap),
                       "unit": "tokens", "source": "scenario (pinned)", "source_url": "",
                       "checked_on": "", "note": what})
    elif rates.max_tokens_per_example is not None:
        _set_rate(values, prices, "finetune.max_tokens_per_example", None, rates, what)
    else:
        values["finetune.max_tokens_per_example"] = math.inf


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
    if report.n_errors:
        first = report.errors[0]
        raise InputError(f"finetune.dataset: {path}: {report.n_errors} bad line(s); "
                         f"first: {first}")
    if report.n_examples == 0:
        raise InputError(f"finetune.dataset: {path}: no training examples")
    values["finetune.examples"] = float(report.n_examples)
    values["finetune.tokens_per_example"] = report.billed_tokens_per_epoch / report.n_examples
    values["finetune.max_tokens_per_example"] = math.inf  # the cap is already applied
    notes.append(f"finetune.dataset: {report.n_examples} examples, "
                 f"{report.billed_tokens_per_epoch} billed tokens per epoch "
                 f"(mean {values['finetune.tokens_per_example']:.1f} per example)"
                 + ("" if report.exact else f"; estimate: {report.note}"))


def value_fields() -> list[str]:
    """Every path :func:`resolve` may fill (for messages)."""
    out = list(Scenario.RULES)
    for section, cls in SECTION_TYPES.items():
        out += [f"{section}.{f.name}" for f in fields(cls) if f.name in cls.RULES]
    return out
