"""The price table: shipped CSV files, the genai-prices snapshot, and the user's overrides.

Look-up order for an inference price: the user's override file, then the shipped
``inference.csv``, then the bundled genai-prices snapshot. Fine-tuning offerings and GPU
prices come only from the CSV files (shipped, then overridden). A price is never made up:
a model nobody prices raises :class:`UnknownModelError` with the closest known names.
"""

from __future__ import annotations

import difflib
import hashlib
import re
import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import cache, wraps
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from . import genai as _genai
from .genai import genai_prices_version
from .names import ModelId, base_model_key, params_b, parse_model_id
from .schema import (
    BATCH_COLUMNS,
    BATCH_KEY,
    FINETUNE_COLUMNS,
    FINETUNE_KEY,
    GPU_COLUMNS,
    GPU_KEY,
    INFERENCE_COLUMNS,
    INFERENCE_KEY,
    LIFECYCLE_COLUMNS,
    LIFECYCLE_KEY,
    PriceError,
    UnknownModelError,
    read_price_csv,
)

HOURS_PER_MONTH = 730.0
"""Hours in an average month [h], the convention cloud providers bill hourly fees by."""


@dataclass(frozen=True, kw_only=True)
class Lifecycle:
    """Dated lifecycle facts of a model or a fine-tuning offering, with their source.

    status : ``active``, ``deprecated`` (announced or marked, still usable) or ``retired``
    announced_on : the day the deprecation was announced (None: not known)
    training_ends : last day new fine-tuning jobs are accepted (None: no announced end)
    serving_ends : last day the model and its fine-tunes answer requests (None: no end known)
    successor : the provider's named successor as ``provider/model`` (None: none to move to)
    source_url, checked_on, comment : where the facts come from
    """

    status: str = "active"
    announced_on: date | None = None
    training_ends: date | None = None
    serving_ends: date | None = None
    successor: str | None = None
    source: str = ""
    source_url: str = ""
    checked_on: date | None = None
    comment: str = ""

    @property
    def known(self) -> bool:
        """True when some source was checked (a row or a flag), False for "no facts"."""
        return bool(self.source)

    def trains_on(self, day: date) -> bool:
        """True if a new training job can start on ``day``."""
        return (self.status != "retired"
                and (self.training_ends is None or day <= self.training_ends)
                and (self.serving_ends is None or day <= self.serving_ends))

    def serves_on(self, day: date) -> bool:
        """True if the model still answers requests on ``day``."""
        return self.serving_ends is None or day <= self.serving_ends

    def badge(self, today: date) -> str:
        """Short words for a picker, with the first day without the service, as providers
        announce it (the day after the last one, so always "from"): ``retired 2026-10-23``,
        ``no new jobs from 2027-01-06, stops serving from 2027-01-14``, ``deprecated``; empty
        for an active model with no announced end. The table's ``training_ends`` and
        ``serving_ends`` are the last days (2027-01-05, 2027-01-13 here)."""
        def closes(day: date) -> str:
            return (day + timedelta(days=1)).isoformat()

        if self.serving_ends is not None and self.serving_ends < today:
            return f"retired {closes(self.serving_ends)}"
        if self.training_ends is not None and self.training_ends < today:
            tail = f", stops serving from {closes(self.serving_ends)}" if self.serving_ends else ""
            return f"no new jobs since {closes(self.training_ends)}{tail}"
        parts = []
        if self.training_ends is not None:
            parts.append(f"no new jobs from {closes(self.training_ends)}")
        if self.serving_ends is not None:
            parts.append(f"stops serving from {closes(self.serving_ends)}")
        if parts:
            return ", ".join(parts)
        return "deprecated" if self.status != "active" else ""


NO_LIFECYCLE = Lifecycle()
"""No lifecycle facts known: treated as available throughout."""


@dataclass(frozen=True, kw_only=True)
class InferenceRates:
    """Per-token prices of calling a model.

    All prices in [USD per 1M tokens]. ``cached_input_usd_per_mtok`` equals the input price
    where the provider gives no caching discount. ``batch_discount`` is the share taken off
    for batch-API requests [0..1] (0 where there is no batch API). ``tier`` names the rate
    used where a price depends on the time of day or the prompt size (``standard hours UTC
    00:30-16:30; …``; ``standard`` otherwise); ``host`` says why a bare name went to this
    provider when several carry it (empty otherwise). ``cache_write_usd_per_mtok`` is what
    writing a prompt prefix to the cache costs where the provider bills it apart (Anthropic's
    5-minute writes at 1.25 × input, from genai-prices); None where it does not.
    """

    provider: str
    model: str
    input_usd_per_mtok: float
    cached_input_usd_per_mtok: float
    output_usd_per_mtok: float
    batch_discount: float
    source: str
    source_url: str
    checked_on: date | None
    effective_from: date | None = None
    comment: str = ""
    lifecycle: Lifecycle = NO_LIFECYCLE
    tier: str = "standard"
    host: str = ""
    cache_write_usd_per_mtok: float | None = None
    embedding: bool = False
    """The model returns vectors, not text: it has no output price (an empty cell, none in
    genai-prices) or its name says so (``text-embedding-3-small``, ``mistral-embed``)."""

    @property
    def serving_ends(self) -> date | None:
        """Last day the model serves (None: no announced end)."""
        return self.lifecycle.serving_ends


@dataclass(frozen=True, kw_only=True)
class FinetuneRates:
    """A provider's fine-tuning offering for one base model.

    Training is billed per token [USD per 1M training tokens] or, for some offerings, per hour
    [USD/h]; exactly one of ``train_usd_per_mtok`` and ``train_usd_per_hour`` is set. The tuned
    model is called at ``input/cached_input/output_usd_per_mtok`` [USD per 1M tokens] and kept
    deployed at ``hosting_usd_per_hour`` [USD/h] (0 where the provider charges no hosting).
    ``max_tokens_per_example`` [tokens] caps what one training example is billed for.
    ``storage_usd_per_month`` [USD/month] is a fee for keeping the tuned model;
    ``validation_usd_per_mtok`` [USD per 1M tokens] prices each evaluation pass over the
    validation set (None where validation is not billed). ``method`` is the training method
    (``sft``, ``lora-sft``, ``full-dpo`` …) and ``lifecycle`` the offering's dates.
    """

    provider: str
    model: str
    method: str = "sft"
    train_usd_per_mtok: float | None
    train_usd_per_hour: float | None
    input_usd_per_mtok: float
    cached_input_usd_per_mtok: float
    output_usd_per_mtok: float
    hosting_usd_per_hour: float
    min_charge_usd: float
    max_tokens_per_example: int | None
    batch_discount: float
    storage_usd_per_month: float = 0.0
    validation_usd_per_mtok: float | None = None
    source: str
    source_url: str
    checked_on: date | None
    effective_from: date | None = None
    comment: str = ""
    lifecycle: Lifecycle = NO_LIFECYCLE

    @property
    def training_ends(self) -> date | None:
        """Last day new training jobs are accepted (None: no announced end)."""
        return self.lifecycle.training_ends

    @property
    def serving_ends(self) -> date | None:
        """Last day the tuned model serves (None: no announced end)."""
        return self.lifecycle.serving_ends


@dataclass(frozen=True, kw_only=True)
class GpuRate:
    """On-demand price of one GPU [USD/h] at one provider."""

    gpu: str
    provider: str
    usd_per_hour: float
    source: str
    source_url: str
    checked_on: date | None
    effective_from: date | None = None
    comment: str = ""
    memory_gb: float | None = None
    """Memory of one GPU [GB] (the ``memory_gb`` column; None where not given)."""


def _data_path(name: str) -> Path:
    return Path(str(resources.files("pricing") / "data" / name))


def _latest(rows: Iterable[dict[str, Any]], as_of: date | None) -> dict[str, Any] | None:
    """The row in force on ``as_of`` (the latest ``effective_from`` not after it, unless its
    ``effective_until`` is before ``as_of``: a price that ended with no later price known)."""
    row = _started(rows, as_of)
    if row is None or as_of is None:
        return row
    until = row.get("effective_until")
    return None if until is not None and until < as_of else row


def _started(rows: Iterable[dict[str, Any]], as_of: date | None) -> dict[str, Any] | None:
    """The latest row that started on or before ``as_of``, ended or not."""
    valid = [r for r in rows if as_of is None or r["effective_from"] <= as_of]
    return max(valid, key=lambda r: r["effective_from"]) if valid else None


def _not_in_force(rows: list[dict[str, Any]], as_of: date | None, what: str,
                  later: str) -> str:
    """Why no row of ``rows`` is in force on ``as_of``, in words: the last price ended
    (``effective_until``) with no later price in the table, else ``later`` (every price
    starts after ``as_of``)."""
    ended = _started(rows, as_of)
    if ended is not None:
        return (f"{what}: the price in the table ended on {ended['effective_until']} "
                f"({_row_source(ended)}) and no later price is known; add the new price as a "
                f"dated row, or use an earlier date")
    return later


def schedule(rows: Iterable[dict[str, Any]], start: date, end: date
             ) -> list[dict[str, Any]]:
    """Rows of one key (provider, model …) whose prices take effect after ``start`` and up
    to ``end`` (inclusive), in date order: the scheduled price changes inside a window."""
    return sorted((r for r in rows if start < r["effective_from"] <= end),
                  key=lambda r: r["effective_from"])


def _merge(shipped: list[dict], override: list[dict], key: tuple[str, ...]) -> list[dict]:
    """Override rows replace every shipped row with the same key (dates aside)."""
    identity = [k for k in key if k != "effective_from"]
    overridden = {tuple(r[k] for k in identity) for r in override}
    kept = [r for r in shipped if tuple(r[k] for k in identity) not in overridden]
    return kept + override


@dataclass(frozen=True, kw_only=True)
class RateRuns:
    """A look-up's answers on a sequence of days, kept short: where the compared rates change.

    starts : ``(i, rates)`` for the first day ``days[i]`` of each run of days on which the
        rates named by ``keys`` are the same (``i = 0`` first): the rates of that first day
    stop : index of the first day with no rates (every later day is not asked), or None
    error : why that day has none (the :class:`PriceError`'s words), or empty
    """

    starts: tuple[tuple[int, Any], ...] = ()
    stop: int | None = None
    error: str = ""


def rate_runs(rates_on, days: Iterable[date], keys: Iterable[str]) -> RateRuns:
    """``rates_on(day)`` for each of ``days`` in order, as :class:`RateRuns`: a new run starts
    on a day whose rates differ from the previous day's in one of ``keys``; the first
    :class:`PriceError` stops it.

    >>> from types import SimpleNamespace as R
    >>> prices = {1: R(x=1.0), 2: R(x=1.0), 3: R(x=2.0)}
    >>> runs = rate_runs(lambda day: prices[day], (1, 2, 3), ("x",))
    >>> [(i, r.x) for i, r in runs.starts], runs.stop
    ([(0, 1.0), (2, 2.0)], None)
    """
    keys = tuple(keys)
    starts: list[tuple[int, Any]] = []
    current = None
    for i, day in enumerate(days):
        try:
            rates = rates_on(day)
        except PriceError as exc:
            return RateRuns(starts=tuple(starts), stop=i, error=str(exc))
        if current is None or any(getattr(rates, k) != getattr(current, k) for k in keys):
            starts.append((i, rates))
            current = rates
    return RateRuns(starts=tuple(starts))


MEMO_SIZE = 4096
"""Most look-ups a :class:`PriceTable` keeps answers to (then it starts afresh)."""


def _remembered(method):
    """A look-up whose answer the table keeps: a table never changes, so the same question
    gets the same (frozen) answer until the genai-prices data is reloaded
    (:func:`pricing.genai.reload`). Errors are not kept."""

    @wraps(method)
    def remembered(self, *args, **kwargs):
        key = (method.__name__, _genai.generation(), args, tuple(sorted(kwargs.items())))
        try:
            return self._index[key]
        except KeyError:
            pass
        except TypeError:  # an argument that can't be a key: asked afresh
            return method(self, *args, **kwargs)
        answer = method(self, *args, **kwargs)
        if len(self._index) >= MEMO_SIZE:
            self._index.clear()
        self._index[key] = answer
        return answer

    return remembered


@dataclass(frozen=True, kw_only=True)
class PriceTable:
    """All prices the simulator may use, already validated.

    Build one with :func:`load_price_table`; the module-level functions of :mod:`pricing` use
    the shipped table with no overrides.
    """

    finetune: tuple[dict, ...]
    inference: tuple[dict, ...]
    gpus: tuple[dict, ...]
    batch: tuple[dict, ...]
    lifecycle: tuple[dict, ...] = ()
    use_genai_prices: bool = True
    _index: dict = field(default_factory=dict, init=False, repr=False, compare=False)
    """Answers to look-ups (:func:`_remembered`); a table made by ``replace`` starts afresh."""

    # ---- inference -------------------------------------------------------------------------
    @_remembered
    def inference_rates(self, model: str, *, provider: str | None = None,
                        as_of: date | None = None) -> InferenceRates:
        """Per-token prices of ``model`` on ``as_of`` (default: the latest known), at standard
        hours on the base tier (``.tier`` names it).

        ``model`` is a bare name (``llama-3.1-8b-instruct``: its default host, see
        :mod:`pricing.genai`; ``.host`` says why that provider), ``provider/model``
        (``ovhcloud/llama-3.1-8b-instruct``) or a provider's own id
        (``amazon.nova-pro-v1:0``). An OpenAI fine-tuned id (``ft:gpt-4o-mini-…``) gets the
        tuned-model rates.

        Raises
        ------
        UnknownModelError
            Nobody prices the name (closest names, never the name itself), or ``provider``
            does not carry it (the providers that do).
        PriceError
            The table prices the model only from a later date (that date is named).
        """
        mid = parse_model_id(model)
        if not mid.name:
            raise PriceError("model: empty model name")
        if mid.finetuned:
            tuned = self.finetune_rates(mid.provider or "openai", mid.alias, as_of=as_of)
            return InferenceRates(
                lifecycle=tuned.lifecycle,
                provider=tuned.provider, model=mid.raw,
                input_usd_per_mtok=tuned.input_usd_per_mtok,
                cached_input_usd_per_mtok=tuned.cached_input_usd_per_mtok,
                output_usd_per_mtok=tuned.output_usd_per_mtok,
                batch_discount=tuned.batch_discount, source=tuned.source,
                source_url=tuned.source_url, checked_on=tuned.checked_on,
                effective_from=tuned.effective_from, comment="tuned-model rates",
            )
        wanted = (provider or "").strip().lower() or None
        for names, prov in self._attempts(mid, wanted):
            found = self._inference_at(names, prov, as_of)
            if found is not None:
                return found
        raise UnknownModelError(self._not_found(model, mid, wanted))

    def _attempts(self, mid: ModelId, provider: str | None):
        """(names, provider) pairs to try in order for a parsed id."""
        raw = mid.raw.lower()
        if provider is not None:
            names = (raw, *mid.candidates) if raw not in mid.candidates else mid.candidates
            return [(names, provider)]
        if mid.provider is not None:
            return [(mid.candidates, mid.provider), ((raw,), None)]
        first, slash, rest = mid.name.partition("/")
        attempts = [(mid.candidates, None)]
        if slash and rest and first in self.inference_providers():
            names = tuple(dict.fromkeys((rest, *parse_model_id(rest).candidates)))
            attempts.insert(0, (names, first))
        return attempts

    def _inference_at(self, names: tuple[str, ...], provider: str | None,
                      as_of: date | None) -> InferenceRates | None:
        """The table's rates for the first of ``names`` it has, else genai-prices'."""
        for name in names:
            rows = self._local_rows(name, provider)
            if rows:
                row = _latest(rows, as_of)
                if row is None:
                    first = min(r["effective_from"] for r in rows)
                    raise PriceError(_not_in_force(
                        rows, as_of, f"inference price of model {name!r} at "
                                     f"{rows[0]['provider']} on {as_of}",
                        f"no inference price for model {name!r} at {rows[0]['provider']} in "
                        f"force on {as_of}: the table prices it from {first.isoformat()}; use "
                        f"that date or later (--as-of {first.isoformat()})"))
                rates = self._inference_from_row(row)
                return replace(rates, lifecycle=self.model_lifecycle(rates.provider,
                                                                     rates.model))
        for name in names if self.use_genai_prices else ():
            found = _genai_rates_for(name, provider, as_of)
            if found is not None:
                return self._with_table_facts(found, as_of)
        return None

    def _with_table_facts(self, found: InferenceRates, as_of: date | None) -> InferenceRates:
        discount = self.batch_discount(found.provider, as_of=as_of)
        life = self.model_lifecycle(found.provider, found.model)
        if not life.known and (found.provider, found.model.lower()) in _genai_deprecated():
            life = _deprecated_by_genai()
        return replace(found, batch_discount=discount, lifecycle=life)

    def _local_rows(self, name: str, provider: str | None) -> list[dict]:
        rows = [r for r in self.inference
                if r["model"] == name and (provider is None or r["provider"] == provider)]
        if provider is None and len({r["provider"] for r in rows}) > 1:
            # Several providers sell the model: take its maker's price.
            maker = _maker(name, {r["provider"] for r in rows})
            rows = [r for r in rows if r["provider"] == maker]
        return rows

    def _not_found(self, model: str, mid: ModelId, provider: str | None) -> str:
        """Why ``model`` has no price, with what would work instead."""
        at = f" at provider {provider!r}" if provider else ""
        head = f"no inference price for model {model!r}{at}"
        if provider and provider not in self.inference_providers():
            return head + _closest(provider, self.inference_providers(), exclude=provider,
                                   label="known providers")
        carriers = self.inference_hosts(mid.alias if provider else mid.name)
        if provider and carriers:
            return (head + f"; carried by {', '.join(carriers)} (give one as provider, or "
                    f"write provider/model, e.g. {carriers[0]}/{mid.alias})")
        return head + _closest(mid.alias, self.inference_models(), exclude=mid.alias)

    def _inference_from_row(self, row: dict) -> InferenceRates:
        cached = row["cached_input_usd_per_mtok"]
        inherited = row.get("_inherited") or {}
        source = _row_source(row)
        if inherited:
            source += "; " + "; ".join(f"{col} inherited from {src}"
                                       for col, src in inherited.items())
        return InferenceRates(
            provider=row["provider"], model=row["model"],
            input_usd_per_mtok=row["input_usd_per_mtok"],
            cached_input_usd_per_mtok=row["input_usd_per_mtok"] if cached is None else cached,
            output_usd_per_mtok=row["output_usd_per_mtok"] or 0.0,
            batch_discount=self.batch_discount(row["provider"], as_of=None),
            source=source, source_url=row["source_url"], checked_on=row["checked_on"],
            effective_from=row["effective_from"], comment=row["comment"] or "",
            embedding=is_embedding(row["model"], row["output_usd_per_mtok"]),
        )

    def inference_hosts(self, model: str) -> list[str]:
        """Every provider that prices ``model`` (the table's and genai-prices'), sorted."""
        mid = parse_model_id(model)
        out = set()
        for name in {mid.raw.lower(), *mid.candidates}:
            out |= {r["provider"] for r in self.inference if r["model"] == name}
            if self.use_genai_prices:
                out |= {p for p, _ in _genai.hosts(name)}
        return sorted(out)

    def inference_providers(self) -> list[str]:
        """Every provider with an inference price, sorted."""
        out = {r["provider"] for r in self.inference}
        if self.use_genai_prices:
            out |= set(_genai.provider_ids())
        return sorted(out)

    def inference_offers(self) -> list[tuple[str, str]]:
        """Every (provider, model) with an inference price, sorted; ``provider/model`` prices
        each of them."""
        out = {(r["provider"], r["model"]) for r in self.inference}
        if self.use_genai_prices:
            out |= set(_genai.listed())
        return sorted(out)

    def inference_models(self) -> list[str]:
        """Every model name with an inference price, sorted: each prices as a bare name (at
        its default host; :meth:`inference_hosts` lists the others)."""
        return list(self._inference_models())

    @_remembered
    def _inference_models(self) -> tuple[str, ...]:
        names = {r["model"] for r in self.inference}
        if self.use_genai_prices:
            names |= {m for _, m in _genai.listed()}
        return tuple(sorted(names))

    # ---- lifecycle ---------------------------------------------------------------------------
    def _lifecycle(self, kind: str, provider: str | None, model: str) -> Lifecycle:
        mid = parse_model_id(model)
        provider = (provider or mid.provider or "").lower() or None
        for name in mid.candidates:
            rows = [r for r in self.lifecycle if r["kind"] == kind and r["model"] == name
                    and (provider is None or r["provider"] == provider)]
            if rows:
                maker = _maker(name, {r["provider"] for r in rows})
                return _lifecycle_from_row(next(r for r in rows if r["provider"] == maker))
        return NO_LIFECYCLE

    @_remembered
    def model_lifecycle(self, provider: str | None, model: str) -> Lifecycle:
        """Lifecycle facts of inference ``model`` at ``provider`` (any provider, its maker
        first, when None); :data:`NO_LIFECYCLE` when the table has none."""
        return self._lifecycle("inference", provider, model)

    def model_lifecycles(self) -> dict[str, Lifecycle]:
        """Lifecycle facts by inference model name (its maker's where several providers
        sell it): the table's rows, then genai-prices' deprecated flags."""
        out: dict[str, Lifecycle] = {}
        if self.use_genai_prices:
            flagged = _deprecated_by_genai()
            out.update({model: flagged for _, model in sorted(_genai_deprecated())})
        names = sorted({r["model"] for r in self.lifecycle if r["kind"] == "inference"})
        for name in names:
            out[name] = self.model_lifecycle(None, name)
        return out

    @_remembered
    def offering_lifecycle(self, provider: str, model: str) -> Lifecycle:
        """Lifecycle facts of ``provider``'s fine-tuning offering for base ``model``."""
        return self._lifecycle("finetune", provider, model)

    # ---- batch -------------------------------------------------------------------------------
    @_remembered
    def batch_discount(self, provider: str, *, as_of: date | None = None) -> float:
        """Share of the price taken off for batch-API requests at ``provider`` [0..1]; 0 if none."""
        row = _latest([r for r in self.batch if r["provider"] == provider.lower()], as_of)
        return row["batch_discount"] if row else 0.0

    # ---- fine-tuning ---------------------------------------------------------------------
    @_remembered
    def finetune_rates(self, provider: str, model: str, *, as_of: date | None = None,
                       method: str | None = None) -> FinetuneRates:
        """The fine-tuning offering of ``provider`` for base ``model`` on ``as_of``.

        ``model`` is the provider's id or a friendly name (``llama-3.1-8b``,
        ``meta-llama/Llama-3.1-8B-Instruct``: :func:`pricing.names.base_model_key`); a model
        the provider has no row for is priced by the provider's size band that holds it
        (``params_min_b``..``params_max_b``), and ``.comment`` says so. ``method`` picks one
        training method (``sft``, ``lora-sft``, ``full-dpo`` …); without it, the offering's
        standard supervised method (:func:`standard_method`).
        """
        mid = parse_model_id(model)
        provider_id = (provider or mid.provider or "").strip().lower()
        if not provider_id:
            raise PriceError("provider: empty provider name")
        offered = [r for r in self.finetune if r["provider"] == provider_id]
        if not offered:
            raise UnknownModelError(
                f"no fine-tuning offerings for provider {provider!r}"
                + _closest(provider_id, sorted({r["provider"] for r in self.finetune}),
                           label="providers that tune")
            )
        rows = _named_rows(offered, model)
        if rows:
            return self._finetune_with_lifecycle(
                _pick_offering(provider_id, rows, method, as_of))
        banded = _band_rows(offered, model)
        if banded:
            row = _pick_offering(provider_id, banded, method, as_of)
            return _banded(_finetune_from_row(row), row, mid.alias)
        tuners = sorted({o.provider for o in self.finetune_offerings(model)})
        elsewhere = f"; tuned by {', '.join(tuners)}" if tuners else ""
        raise UnknownModelError(
            f"provider {provider_id!r} offers no fine-tuning for model {model!r}" + elsewhere
            + _closest(mid.alias, sorted({r["base_model"] for r in offered}), exclude=mid.alias)
        )

    def _finetune_with_lifecycle(self, row: dict) -> FinetuneRates:
        return replace(_finetune_from_row(row),
                       lifecycle=self.offering_lifecycle(row["provider"], row["base_model"]))

    def finetune_offerings(self, model: str | None = None) -> list[FinetuneRates]:
        """Every offering in force now (latest row per provider, model and method), optionally
        for one base model under any provider: by the provider's id, a friendly name, or the
        provider's size band that holds it (one per provider and method, named ``model``)."""
        out = []
        for prov in sorted({r["provider"] for r in self.finetune}):
            offered = [r for r in self.finetune if r["provider"] == prov]
            rows = offered if model is None else _named_rows(offered, model)
            banded = False
            if model is not None and not rows:
                rows, banded = _band_rows(offered, model), True
            for base, method in sorted({(r["base_model"], r["method"]) for r in rows}):
                row = _latest([r for r in rows if r["base_model"] == base
                               and r["method"] == method], None)
                out.append(_banded(_finetune_from_row(row), row, parse_model_id(model).alias)
                           if banded else self._finetune_with_lifecycle(row))
        return out

    # ---- scheduled changes -----------------------------------------------------------------
    @_remembered
    def inference_runs(self, model: str, *, provider: str | None = None,
                       days: tuple[date, ...], keys: tuple[str, ...]) -> RateRuns:
        """:meth:`inference_rates` of ``model`` on each of ``days``, as the runs of days whose
        ``keys`` rates agree (:class:`RateRuns`); kept with the table like every look-up, so
        a scenario simulated again asks the table once, not once a day."""
        return rate_runs(lambda day: self.inference_rates(model, provider=provider, as_of=day),
                         days, keys)

    @_remembered
    def finetune_runs(self, provider: str, model: str, *, method: str | None = None,
                      days: tuple[date, ...], keys: tuple[str, ...]) -> RateRuns:
        """:meth:`finetune_rates` of the offering on each of ``days``, as the runs of days
        whose ``keys`` rates agree (:class:`RateRuns`)."""
        return rate_runs(lambda day: self.finetune_rates(provider, model, as_of=day,
                                                         method=method), days, keys)

    # ---- GPUs ----------------------------------------------------------------------------
    @_remembered
    def gpu_rate(self, gpu: str, *, provider: str | None = None,
                 as_of: date | None = None) -> GpuRate:
        """On-demand price of one ``gpu`` [USD/h]; without ``provider``, the cheapest listed."""
        wanted = gpu.strip().lower()
        rows = [r for r in self.gpus if r["gpu"].lower() == wanted]
        if not rows:
            raise UnknownModelError(f"no price for GPU {gpu!r}" + _closest(gpu, self.gpu_names()))
        if provider:
            rows = [r for r in rows if r["provider"] == provider.lower()]
            if not rows:
                raise UnknownModelError(f"no price for GPU {gpu!r} at provider {provider!r}")
        latest_per_provider = [
            _latest([r for r in rows if r["provider"] == p], as_of)
            for p in sorted({r["provider"] for r in rows})
        ]
        candidates = [r for r in latest_per_provider if r is not None]
        if not candidates:
            raise PriceError(f"GPU {gpu!r}: no price in force on {as_of}")
        row = min(candidates, key=lambda r: (r["usd_per_hour"], r["provider"]))
        return GpuRate(
            gpu=row["gpu"], provider=row["provider"], usd_per_hour=row["usd_per_hour"],
            source=_row_source(row), source_url=row["source_url"], checked_on=row["checked_on"],
            effective_from=row["effective_from"], comment=row["comment"] or "",
            memory_gb=self.gpu_memory_gb(row["gpu"]),
        )

    def gpu_memory_gb(self, gpu: str) -> float | None:
        """Memory of one ``gpu`` [GB] from the ``memory_gb`` column of its rows (None when no
        row gives it); rows that disagree raise :class:`PriceError`."""
        wanted = gpu.strip().lower()
        sizes = {r["memory_gb"] for r in self.gpus
                 if r["gpu"].lower() == wanted and r.get("memory_gb") is not None}
        if len(sizes) > 1:
            raise PriceError(f"gpus.csv: GPU {gpu!r} has rows with different memory_gb "
                             f"({', '.join(f'{x:g}' for x in sorted(sizes))})")
        return sizes.pop() if sizes else None

    def gpu_names(self) -> list[str]:
        """Every GPU type with a price, sorted."""
        return sorted({r["gpu"] for r in self.gpus})

    # ---- tables for display -------------------------------------------------------------
    def frame(self, kind: str) -> pd.DataFrame:
        """One of the tables (``finetune``, ``inference``, ``gpus``, ``batch``) as a DataFrame,
        with its sources, without internal columns."""
        rows = {"finetune": self.finetune, "inference": self.inference,
                "gpus": self.gpus, "batch": self.batch, "lifecycle": self.lifecycle}.get(kind)
        if rows is None:
            raise ValueError(f"kind must be finetune, inference, gpus, batch or lifecycle, "
                             f"not {kind!r}")
        columns = SHIPPED_FILES[kind][1]
        return pd.DataFrame([{k: r[k] for k in columns} for r in rows], columns=list(columns))


# Model makers, checked in this order when a model is sold by several providers.
MAKERS = ("openai", "anthropic", "google", "mistral", "meta", "deepseek", "cohere", "xai")


def _maker(model: str, providers: set[str]) -> str:
    """The provider that makes ``model`` among ``providers``; else the first by name."""
    for maker in MAKERS:
        if maker in providers:
            return maker
    return min(providers)


def _named_rows(offered: list[dict], model: str) -> list[dict]:
    """Rows of one provider for ``model``: by id (with or without its snapshot date), else
    by friendly name (:func:`base_model_key`)."""
    for name in parse_model_id(model).candidates:
        rows = [r for r in offered if r["base_model"] == name]
        if rows:
            return rows
    key = base_model_key(model)
    rows = [r for r in offered if base_model_key(r["base_model"]) == key]
    first = min((r["base_model"] for r in rows), default=None)
    return [r for r in rows if r["base_model"] == first]


def _band_rows(offered: list[dict], model: str) -> list[dict]:
    """Rows of one provider's size band holding ``model`` (its stated size), for the base
    model of the band whose name is closest; empty when the name states no size."""
    size = params_b(model)
    if size is None:
        return []
    rows = [r for r in offered if r["params_min_b"] is not None and r["params_min_b"] <= size
            and (r["params_max_b"] is None or size <= r["params_max_b"])]
    if not rows:
        return []
    key = base_model_key(model)
    bases = sorted({r["base_model"] for r in rows})
    best = max(bases, key=lambda b: (difflib.SequenceMatcher(None, key, base_model_key(b))
                                     .ratio(), b))
    return [r for r in rows if r["base_model"] == best]


def _pick_offering(provider: str, rows: list[dict], method: str | None,
                   as_of: date | None) -> dict:
    """The row of ``rows`` (one base model) for ``method`` in force on ``as_of``."""
    name = rows[0]["base_model"]
    methods = sorted({r["method"] for r in rows})
    wanted = method.strip().lower() if method else standard_method(methods)
    if wanted not in methods:
        raise UnknownModelError(
            f"{provider} {name}: no {wanted!r} training (offered: {', '.join(methods)})")
    rows = [r for r in rows if r["method"] == wanted]
    row = _latest(rows, as_of)
    if row is None:
        first = min(r["effective_from"] for r in rows)
        raise PriceError(_not_in_force(
            rows, as_of, f"{provider} {name} ({wanted}) fine-tuning on {as_of}",
            f"{provider} {name}: no fine-tuning price in force on {as_of} "
            f"(earliest from {first}; use that date or later)"))
    return row


def _banded(rates: FinetuneRates, row: dict, model: str) -> FinetuneRates:
    """``rates`` of a size-band row, applied to ``model``."""
    low, high = row["params_min_b"], row["params_max_b"]
    band = f"{low:g}-{high:g}B" if high is not None else f"over {low:g}B"
    words = (f"priced by {row['provider']}'s {band} size band (the row of "
             f"{row['base_model']}: its training, tuned-model and hosting rates)")
    return replace(rates, model=model, comment=words + "; " + rates.comment,
                   source=rates.source + " (size band)")


STANDARD_METHODS = ("sft", "lora-sft", "full-sft")
"""Methods tried, in order, when a scenario names none: supervised tuning, LoRA first."""


def standard_method(methods) -> str:
    """The method used when none is named: the first of :data:`STANDARD_METHODS` offered,
    else the first offered by name."""
    methods = sorted(methods)
    return next((m for m in STANDARD_METHODS if m in methods), methods[0])


def _lifecycle_from_row(row: dict) -> Lifecycle:
    return Lifecycle(status=row["status"], announced_on=row["announced_on"],
                     training_ends=row["training_ends"], serving_ends=row["serving_ends"],
                     successor=row["successor"], source=_row_source(row),
                     source_url=row["source_url"], checked_on=row["checked_on"],
                     comment=row["comment"] or "")


def _row_source(row: dict) -> str:
    return f"ftroi table ({row['_file']}, row {row['_row']})"


def _finetune_from_row(row: dict) -> FinetuneRates:
    cached = row["cached_input_usd_per_mtok"]
    source = _row_source(row)
    if row.get("_inherited"):
        source += "; " + "; ".join(f"{col} inherited from {src}"
                                   for col, src in row["_inherited"].items())
    return FinetuneRates(
        provider=row["provider"], model=row["base_model"], method=row["method"],
        train_usd_per_mtok=row["train_usd_per_mtok"], train_usd_per_hour=row["train_usd_per_hour"],
        input_usd_per_mtok=row["input_usd_per_mtok"],
        cached_input_usd_per_mtok=row["input_usd_per_mtok"] if cached is None else cached,
        output_usd_per_mtok=row["output_usd_per_mtok"],
        hosting_usd_per_hour=row["hosting_usd_per_hour"] or 0.0,
        min_charge_usd=row["min_charge_usd"] or 0.0,
        max_tokens_per_example=row["max_tokens_per_example"],
        batch_discount=row["batch_discount"] or 0.0,
        storage_usd_per_month=row["storage_usd_per_month"] or 0.0,
        validation_usd_per_mtok=row["validation_usd_per_mtok"],
        source=source, source_url=row["source_url"], checked_on=row["checked_on"],
        effective_from=row["effective_from"], comment=row["comment"] or "",
    )


def _closest(name: str, known: Iterable[str], *, exclude: str | None = None,
             label: str = "closest known") -> str:
    """A message tail naming up to five known names closest to ``name`` (case-insensitive),
    never ``exclude`` (the name just rejected)."""
    wanted = name.strip().lower()
    skip = {wanted, (exclude or "").strip().lower()}
    by_lower = {k.lower(): k for k in known if k.lower() not in skip}
    close = difflib.get_close_matches(wanted, list(by_lower), n=5, cutoff=0.5)
    close += [k for k in sorted(by_lower) if wanted and k.startswith(wanted) and k not in close]
    names = [by_lower[k] for k in close[:5]]
    return f"; {label}: {', '.join(names)}" if names else ""


# ---- genai-prices ---------------------------------------------------------------------------

_DEPRECATED: dict[int, frozenset[tuple[str, str]]] = {}


def _genai_deprecated() -> frozenset[tuple[str, str]]:
    """``(provider, model id)`` pairs genai-prices marks deprecated, read once per snapshot
    (a ``--update`` brings a new snapshot object)."""
    snap = _genai.snapshot()
    if id(snap) not in _DEPRECATED:
        _DEPRECATED.clear()
        _DEPRECATED[id(snap)] = frozenset((p.id, m.id.lower()) for p in snap.providers
                                          for m in p.models if m.deprecated)
    return _DEPRECATED[id(snap)]


def _deprecated_by_genai() -> Lifecycle:
    """The lifecycle of a model genai-prices flags deprecated, with no date."""
    return Lifecycle(status="deprecated",
                     source=f"genai-prices {genai_prices_version()} (deprecated flag)",
                     source_url="https://github.com/pydantic/genai-prices",
                     comment="marked deprecated in the genai-prices data; no date given")


def _genai_rates(mid: ModelId, provider: str | None, as_of: date | None) -> InferenceRates | None:
    """Rates of ``mid`` at ``provider`` (None: its default host) from genai-prices, at
    standard hours on the base tier; None when no provider carries it with a price."""
    for name in mid.candidates:
        found = _genai_rates_for(name, provider, as_of)
        if found is not None:
            return found
    return None


_EMBEDDING_NAME = re.compile(r"(^|[-_/.:])embed", re.IGNORECASE)


def is_embedding(model: str, output_usd_per_mtok: float | None) -> bool:
    """Whether ``model`` is an embedding model: no output price, or ``embed`` in its name.

    >>> is_embedding("text-embedding-3-small", None), is_embedding("gpt-4o", 10.0)
    (True, False)
    """
    return output_usd_per_mtok is None or bool(_EMBEDDING_NAME.search(model))


def _genai_rates_for(name: str, provider: str | None, as_of: date | None
                     ) -> InferenceRates | None:
    """Rates of the exact id ``name`` (no parsing) at ``provider`` from genai-prices."""
    found = _genai.find(name, provider)
    if found is None:
        return None
    prov, model, why = found
    input_price, cached, output, tier = _genai.standard_prices(model, as_of)
    if input_price is None:
        return None
    notes = [n for n in (tier, model.price_comments) if n]
    urls = prov.pricing_urls or []
    return InferenceRates(
        provider=prov.id, model=model.id.lower(),
        input_usd_per_mtok=input_price,
        cached_input_usd_per_mtok=input_price if cached is None else cached,
        output_usd_per_mtok=output or 0.0,
        cache_write_usd_per_mtok=_genai.cache_write_price(model, as_of),
        batch_discount=0.0,
        source=_genai.snapshot_info().label,
        source_url=urls[0] if urls else "https://github.com/pydantic/genai-prices",
        checked_on=_genai.snapshot_info().fetched_on, comment="; ".join(notes),
        tier=tier or "standard", host=why,
        embedding=is_embedding(model.id, output),
    )


# ---- loading ------------------------------------------------------------------------------

SHIPPED_FILES = {
    "finetune": ("finetune_offerings.csv", FINETUNE_COLUMNS, FINETUNE_KEY),
    "inference": ("inference.csv", INFERENCE_COLUMNS, INFERENCE_KEY),
    "gpus": ("gpus.csv", GPU_COLUMNS, GPU_KEY),
    "batch": ("batch_discounts.csv", BATCH_COLUMNS, BATCH_KEY),
    "lifecycle": ("lifecycle.csv", LIFECYCLE_COLUMNS, LIFECYCLE_KEY),
}


def read_shipped(kind: str) -> list[dict]:
    """Rows of one shipped price file, validated."""
    filename, columns, key = SHIPPED_FILES[kind]
    path = _data_path(filename)
    if not path.exists():
        return []
    return read_price_csv(path, columns, key, kind=kind, name=f"pricing/data/{filename}")


def load_price_table(
    *,
    finetune: str | Path | None = None,
    inference: str | Path | None = None,
    gpus: str | Path | None = None,
    batch: str | Path | None = None,
    lifecycle: str | Path | None = None,
    use_genai_prices: bool = True,
) -> PriceTable:
    """The shipped price table with the user's override files merged in.

    Each override file has the same columns as the shipped file of its kind (optional columns
    may be left out). An override row replaces every shipped row for the same provider and
    model (or GPU and provider), whatever their dates.

    Raises
    ------
    PriceError
        A file is broken; the message names the file, row and column.
    """
    overrides = {"finetune": finetune, "inference": inference, "gpus": gpus, "batch": batch,
                 "lifecycle": lifecycle}
    tables = {}
    for kind, override in overrides.items():
        rows = _shipped_cached(kind)
        if override is not None:
            _, columns, key = SHIPPED_FILES[kind]
            extra = read_price_csv(override, columns, key, kind=kind)
            if kind in INHERITED:
                extra = [_inherit(kind, row, use_genai_prices) for row in extra]
            rows = _merge(list(rows), extra, key)
        tables[kind] = tuple(rows)
    return PriceTable(**tables, use_genai_prices=use_genai_prices)


def with_overrides(table: PriceTable, **files: str | Path | Any) -> PriceTable:
    """``table`` with more override files merged in, as :func:`load_price_table` merges them
    into the shipped table (``files``: kind -> path or text file object)."""
    tables = {}
    for kind, source in files.items():
        if kind not in SHIPPED_FILES:
            raise PriceError(f"{kind}: not a price file (known: {', '.join(SHIPPED_FILES)})")
        _, columns, key = SHIPPED_FILES[kind]
        extra = read_price_csv(source, columns, key, kind=kind)
        if kind in INHERITED:
            extra = [_inherit(kind, row, table.use_genai_prices) for row in extra]
        tables[kind] = tuple(_merge(list(getattr(table, kind)), extra, key))
    return replace(table, **tables) if tables else table


INHERITED = {
    "inference": ("cached_input_usd_per_mtok", "output_usd_per_mtok"),
    "finetune": ("cached_input_usd_per_mtok", "hosting_usd_per_hour", "min_charge_usd",
                 "max_tokens_per_example", "batch_discount", "storage_usd_per_month",
                 "validation_usd_per_mtok", "params_min_b", "params_max_b"),
}
"""Optional rate columns an override row inherits from the shipped price of the same model
(and method) when it leaves them out or empty."""


def _inherit(kind: str, row: dict, use_genai_prices: bool) -> dict:
    """``row`` with every rate it leaves out taken from the shipped price of the same model,
    recorded in ``_inherited``; a left-out output price with nothing to inherit is refused."""
    missing = [c for c in INHERITED[kind] if c not in row["_given"]]
    if not missing:
        return row
    found, where = _shipped_values(kind, row, use_genai_prices)
    row = dict(row)
    inherited = {}
    for col in missing:
        value = found.get(col)
        if col == "cached_input_usd_per_mtok" and value is not None and \
                value >= found.get("input_usd_per_mtok", value):
            value = None  # no shipped discount: cached = input, as documented
        if value is not None:
            row[col] = value
            inherited[col] = where
        elif kind == "inference" and col == "output_usd_per_mtok" and not found.get("_seen"):
            raise PriceError(
                f"{row['_file']}, row {row['_row']}, column 'output_usd_per_mtok': no output "
                f"price given and no shipped price of {row['provider']} {row['model']} to "
                f"inherit; give the rate (0 only if output is free)")
    row["_inherited"] = inherited
    return row


def _shipped_values(kind: str, row: dict, use_genai_prices: bool) -> tuple[dict, str]:
    """(column -> value, where from) of the shipped price ``row`` overrides; ``_seen`` is
    True when there is one (even with an empty output, as for embedding models)."""
    if kind == "finetune":
        same = [r for r in _shipped_cached("finetune") if r["provider"] == row["provider"]
                and r["base_model"] == row["base_model"] and r["method"] == row["method"]]
        ship = _latest(same, row["effective_from"]) or _latest(same, None)
        return ({**ship, "_seen": True}, _row_source(ship)) if ship else ({}, "")
    same = [r for r in _shipped_cached("inference") if r["provider"] == row["provider"]
            and r["model"] == row["model"]]
    ship = _latest(same, row["effective_from"]) or _latest(same, None)
    if ship:
        return {**ship, "_seen": True}, _row_source(ship)
    if use_genai_prices:
        found = _genai_rates_for(row["model"], row["provider"], row["effective_from"])
        if found is not None:
            return ({"input_usd_per_mtok": found.input_usd_per_mtok,
                     "cached_input_usd_per_mtok": found.cached_input_usd_per_mtok,
                     "output_usd_per_mtok": found.output_usd_per_mtok, "_seen": True},
                    found.source)
    return {}, ""


def price_file_kind(path: str | Path) -> str:
    """Which table a price file overrides (``inference``, ``finetune``, ``gpus``, ``batch``,
    ``lifecycle``), told by its header."""
    try:
        with open(path, encoding="utf-8-sig") as fh:
            header = {h.strip() for h in fh.readline().split(",")}
    except FileNotFoundError:
        raise PriceError(f"{path}: no such price file") from None
    for kind, marker in (("lifecycle", "status"), ("finetune", "base_model"), ("gpus", "gpu"),
                         ("inference", "model")):
        if marker in header:
            return kind
    if "batch_discount" in header:
        return "batch"
    raise PriceError(f"{path}, header: not a price file (no base_model, model, gpu, status or "
                     f"batch_discount column; see README, Prices)")


def load_price_files(paths: Iterable[str | Path], *, use_genai_prices: bool = True
                     ) -> PriceTable:
    """The shipped table with override files of any kind merged in, each kind told by its
    header (:func:`price_file_kind`); at most one file per kind."""
    files: dict[str, str | Path] = {}
    for path in paths:
        kind = price_file_kind(path)
        if kind in files:
            raise PriceError(f"{path}: a second {kind} price file (the first is {files[kind]}); "
                             f"put the rows in one file")
        files[kind] = path
    return load_price_table(**files, use_genai_prices=use_genai_prices)


@cache
def _shipped_cached(kind: str) -> tuple[dict, ...]:
    return tuple(read_shipped(kind))


_FINGERPRINTS: dict[int, tuple[Any, str]] = {}
"""id(table) -> (a weak reference to it, its fingerprint), for the tables seen lately."""


def table_fingerprint(table: PriceTable) -> str:
    """A short hash of every row of ``table`` (ten hex digits): two tables with the same rows
    have the same fingerprint. Computed once per table object (kept beside it, not in it)."""
    seen = _FINGERPRINTS.get(id(table))
    if seen is not None and seen[0]() is table:
        return seen[1]
    rows = [[(k, str(v)) for k, v in sorted(row.items()) if not k.startswith("_")]
            for kind in (table.finetune, table.inference, table.gpus, table.batch,
                         table.lifecycle) for row in kind]
    text = repr((rows, table.use_genai_prices))
    fingerprint = hashlib.sha256(text.encode()).hexdigest()[:10]
    if len(_FINGERPRINTS) >= 64:
        _FINGERPRINTS.clear()
    _FINGERPRINTS[id(table)] = (weakref.ref(table), fingerprint)
    return fingerprint


@cache
def default_table() -> PriceTable:
    """The shipped table, loaded once."""
    return load_price_table()
