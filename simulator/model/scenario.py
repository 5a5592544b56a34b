"""The scenario: what a user saves, shares and runs (README, Method).

A :class:`Scenario` is a tree of frozen, keyword-only dataclasses, one per TOML section
(``[workload]``, ``[prompt]``, ``[rag]``, ``[finetune]``, ``[selfhost]``, ``[hybrid]``,
``[data]``) plus the top-level settings. Every field is checked when the object is created;
a bad value raises :class:`~simulator.core.errors.InputError` whose message starts with the
field's path::

    workload.requests_per_month: must be ≥ 0, got -5

Field names carry their units (``*_tokens``, ``*_usd_per_mtok``, ``*_hours``, ``*_share``).
Rates the price table supplies may be *pinned* here (``prompt.input_usd_per_mtok`` …); a pinned
rate wins over the table. Rates are looked up at simulate time (:mod:`simulator.model.resolve`),
never here: a scenario is plain data, without clock, network or price table.

Text instead of numbers
    ``prompt.system_prompt`` and ``prompt.fewshot`` (text, a list of texts or a list of chat
    messages) may replace ``system_prompt_tokens`` / ``fewshot_tokens``; ``finetune.dataset``
    (a JSONL path) may replace ``examples`` / ``tokens_per_example``. They are counted by
    :mod:`simulator.tokens.tokens` when the scenario is simulated. Giving both the text and the number
    is an error (which one would you mean?).

Round trip
    ``Scenario.from_dict(s.to_dict()) == s``; :func:`load_scenario` and :func:`save_scenario`
    read and write TOML (``.toml``) and JSON (``.json``). Fields left at ``None`` are not
    written. A field that was renamed keeps loading under its old name; the scenario's
    ``notes`` then say so (no warning is raised, so scripts stay quiet).
"""

from __future__ import annotations

import json
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from ..core import limits
from ..core.errors import InputError
from .evidence import check_eval_counts, check_pilot
from .throughput import PRECISIONS, TENSOR_PARALLEL_SIZES

OPTIONS = ("prompt", "rag", "finetune", "selfhost", "hybrid")
"""The options the engine can price, in display order."""

SECTIONS = ("workload", "prompt", "rag", "finetune", "selfhost", "hybrid", "data")

# Defaults for the token numbers that text may replace (the example scenario's).
DEFAULT_SYSTEM_PROMPT_TOKENS = 1200
DEFAULT_FEWSHOT_TOKENS = 1800
DEFAULT_EXAMPLES = 600
DEFAULT_FINETUNE_MONTHS_TO_PRODUCTION = 2
"""Months before a provider fine-tune serves, when not given (an assumption: labelling a few
hundred examples, preparing the data, training, evaluating against the prompt and rolling
out take six to ten weeks for one team; see docs/method.md, Time to value)."""
DEFAULT_RETRAINED_MONTHS_TO_PRODUCTION = 1
"""The same for a tuned model that already exists (``finetune.already_trained``): evaluation
and roll-out only (an assumption)."""
DEFAULT_SELFHOST_MONTHS_TO_PRODUCTION = 3
"""Months before a self-hosted fine-tune serves, when not given: the fine-tune's two plus
one to stand up and load-test the serving stack (an assumption)."""


def default_months_to_production(road: str, already_trained: bool = False) -> int:
    """The documented time to production of ``road`` (``finetune``/``selfhost``) when the
    scenario leaves it unset [months]."""
    if road == "selfhost":
        return DEFAULT_SELFHOST_MONTHS_TO_PRODUCTION
    return (DEFAULT_RETRAINED_MONTHS_TO_PRODUCTION if already_trained
            else DEFAULT_FINETUNE_MONTHS_TO_PRODUCTION)
DEFAULT_TOKENS_PER_EXAMPLE = 700

RENAMED: dict[str, str] = {
    "selfhost.utilization": "selfhost.utilisation",
    "finetune.training_examples": "finetune.examples",
    "prompt.few_shot_tokens": "prompt.fewshot_tokens",
    "prompt.few_shot": "prompt.fewshot",
    "workload.monthly_requests": "workload.requests_per_month",
}
"""Old field path -> new field path. Old names keep loading; ``Scenario.notes`` says so."""


# ---- rules ------------------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class Rule:
    """The allowed range of one numeric field.

    ``lo``/``hi`` bound the value (open bounds with ``lo_open``/``hi_open``); ``integer`` asks
    for a whole number; ``optional`` allows ``None`` (meaning "from the table" or "default").
    """

    lo: float = 0.0
    hi: float = math.inf
    lo_open: bool = False
    hi_open: bool = False
    integer: bool = False
    optional: bool = False

    def describe(self) -> str:
        """The rule in words, for error messages."""
        if self.lo == 0 and self.hi == 1 and not self.integer:
            lo_b = "(" if self.lo_open else "["
            hi_b = ")" if self.hi_open else "]"
            return f"must be a share in {lo_b}0, 1{hi_b}"
        kind = "a whole number" if self.integer else "a number"
        parts = []
        if self.lo > -math.inf:
            parts.append(f"{'>' if self.lo_open else '≥'} {self.lo:g}")
        if self.hi < math.inf:
            parts.append(f"{'<' if self.hi_open else '≤'} {self.hi:g}")
        return f"must be {kind} " + " and ".join(parts) if parts else f"must be {kind}"

    def check(self, path: str, value: Any) -> Any:
        """``value`` if it obeys the rule; otherwise an :class:`InputError` naming ``path``."""
        if value is None:
            if self.optional:
                return None
            raise InputError(f"{path}: is required, got nothing")
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise InputError(f"{path}: {self.describe()}, got {limits.shorten(value)} "
                             f"({type(value).__name__})")
        limits.check_number(path, value)
        x = float(value)
        if not math.isfinite(x):
            raise InputError(f"{path}: {self.describe()}, got {value!r}")
        if self.integer and x != int(x):
            raise InputError(f"{path}: {self.describe()}, got {value!r}")
        if self.bad(np.asarray(x)).any():
            raise InputError(f"{path}: {self.describe()}, got {value!r}")
        return int(x) if self.integer else value

    def bad(self, x: np.ndarray) -> np.ndarray:
        """Elementwise: True where ``x`` breaks the range (not the whole-number part)."""
        too_low = (x <= self.lo) if self.lo_open else (x < self.lo)
        too_high = (x >= self.hi) if self.hi_open else (x > self.hi)
        return too_low | too_high | ~np.isfinite(x) | (np.abs(x) > limits.MAX_NUMBER)

    def check_array(self, path: str, values: np.ndarray) -> None:
        """Raise an :class:`InputError` naming ``path`` if any of ``values`` breaks the range."""
        bad = self.bad(np.asarray(values, dtype=float))
        if bad.any():
            worst = np.asarray(values, dtype=float)[bad]
            raise InputError(f"{path}: {self.describe()}, but {int(bad.sum())} drawn value(s) "
                             f"are not (from {worst.min():g} to {worst.max():g})")


NONNEG = Rule()
POSITIVE = Rule(lo_open=True)
SHARE = Rule(hi=1.0)
COUNT = Rule(integer=True)
OPT_NONNEG = Rule(optional=True)
OPT_SHARE = Rule(hi=1.0, optional=True)
DECLINE = Rule(lo=-1.0, lo_open=True, hi=1.0, hi_open=True)
OPT_DECLINE = Rule(lo=-1.0, lo_open=True, hi=1.0, hi_open=True, optional=True)
"""A yearly price decline: above -1 (a price may rise), below 1 (it cannot vanish)."""
DECLINE_KINDS = ("tokens", "training", "gpu_hours")
"""Kinds of price ``price_decline`` may be set for, as a table."""


def _text(path: str, value: Any, *, optional: bool = False) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"{path}: must be a non-empty text, got {limits.shorten(value)}")
    if len(value) > MAX_NAME_CHARS:
        raise InputError(f"{path}: {limits.shorten(value)} is too long: at most "
                         f"{MAX_NAME_CHARS} characters")
    return value.strip()


def _flag(path: str, value: Any) -> bool:
    """A true/false field: only ``True`` or ``False`` (not 0/1, not text)."""
    if not isinstance(value, (bool, np.bool_)):
        raise InputError(f"{path}: must be true or false, got {limits.shorten(value)}")
    return bool(value)


MAX_NAME_CHARS = 1000
"""Characters of a name field (model, provider, GPU, dataset path) and of ``title``."""


class _Section:
    """Shared checking for the section dataclasses: ``RULES`` holds each numeric field's rule."""

    SECTION: ClassVar[str] = ""
    RULES: ClassVar[dict[str, Rule]] = {}
    TEXT: ClassVar[dict[str, bool]] = {}  # text field -> optional
    FLAGS: ClassVar[tuple[str, ...]] = ()  # true/false fields

    def _check_evals(self) -> None:
        """``eval_correct``/``eval_total``: both or neither, ``0 ≤ correct ≤ total``."""
        k, n = check_eval_counts(self.SECTION, self.eval_correct, self.eval_total)
        object.__setattr__(self, "eval_correct", k)
        object.__setattr__(self, "eval_total", n)

    def _check_fields(self) -> None:
        for name in self.FLAGS:
            object.__setattr__(self, name, _flag(f"{self.SECTION}.{name}", getattr(self, name)))
        for name, rule in self.RULES.items():
            object.__setattr__(self, name,
                               rule.check(f"{self.SECTION}.{name}", getattr(self, name)))
        for name, optional in self.TEXT.items():
            object.__setattr__(self, name, _text(f"{self.SECTION}.{name}", getattr(self, name),
                                                 optional=optional))


# ---- sections -----------------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class Workload(_Section):
    """Traffic: requests per month and tokens per request.

    requests_per_month : month-1 volume ``V_1`` [requests/month]
    growth_per_month : monthly growth ``g`` [share/month]; ``V_m = V_1 (1+g)^(m-1)``
    input_tokens : the user's content per request ``u`` [tokens]
    output_tokens : generated tokens per request ``o`` [tokens]
    chat_overhead_tokens : chat-format tokens per prompted request ``k`` [tokens]; ``None`` =
        OpenAI's rule for a system and a user message (:func:`simulator.tokens.tokens.chat_overhead_tokens`).
        The prompted road's (``prompt``, ``rag``, hybrid's prompted share); the tuned model's is
        ``finetune.chat_overhead_tokens``
    """

    SECTION: ClassVar[str] = "workload"
    RULES: ClassVar[dict[str, Rule]] = {
        "requests_per_month": NONNEG,
        "growth_per_month": Rule(lo=-1.0, lo_open=True, hi=10.0),
        "input_tokens": NONNEG,
        "output_tokens": NONNEG,
        "chat_overhead_tokens": OPT_NONNEG,
    }

    requests_per_month: float = 60_000
    growth_per_month: float = 0.0
    input_tokens: float = 400
    output_tokens: float = 150
    chat_overhead_tokens: float | None = None

    def __post_init__(self) -> None:
        self._check_fields()


@dataclass(frozen=True, kw_only=True)
class PromptConfig(_Section):
    """The prompted large model (option ``prompt``; also the fallback of ``rag`` and ``hybrid``).

    system_prompt_tokens, fewshot_tokens : the static prefix ``s``, ``f`` [tokens]; ``None``
        = counted from ``system_prompt`` / ``fewshot`` if given, else 1200 / 1800
    cached_share : share ``h`` of the static prefix billed at the cached-input rate [0..1]
    batch_share : share ``b`` of requests sent through the batch API [0..1]
    engineering_hours : one-time prompt engineering [h]
    maintenance_hours_per_month : [h/month]
    accuracy : share of answers that are right [0..1]
    input_usd_per_mtok, cached_input_usd_per_mtok, output_usd_per_mtok : pinned rates
        [USD per 1M tokens]; ``None`` = from the price table
    batch_discount : pinned batch discount ``β`` [0..1]; ``None`` = from the table
    migration_hours : re-engineering when the model retires inside the horizon and the
        prompt moves to its successor [h]
    successor : the model to move to when it retires (``provider/model``); ``None`` = the
        provider's named successor from the price table
    reasoning_tokens : hidden reasoning ("thinking") tokens per request, billed at the output
        rate ``r`` [tokens]; 0 for a model that does not reason
    cache_write_share : share ``w`` of the static prefix billed as a cache write, at
        ``cache_write_usd_per_mtok`` (Anthropic bills 5-minute cache writes at 1.25 × input);
        ``cached_share + cache_write_share ≤ 1`` [0..1]
    cache_write_usd_per_mtok : pinned cache-write rate [USD per 1M tokens]; ``None`` = the
        price table's, else the input rate (no surcharge known)
    already_built : True when the prompt is already written and in use: its engineering
        hours are sunk, charged to no option that reuses this prompt (``prompt``, ``rag``,
        ``hybrid``, and the prompted months of ``finetune``/``selfhost``), and listed as
        "not counted" in the answer
    eval_correct, eval_total : graded eval answers, right and in all; when given, the
        accuracy is the Jeffreys posterior mean ``(k+½)/(n+1)`` and wins over ``accuracy``
        (:mod:`simulator.model.evidence`)
    """

    SECTION: ClassVar[str] = "prompt"
    FLAGS: ClassVar[tuple[str, ...]] = ("already_built",)
    RULES: ClassVar[dict[str, Rule]] = {
        "system_prompt_tokens": OPT_NONNEG,
        "fewshot_tokens": OPT_NONNEG,
        "cached_share": SHARE,
        "batch_share": SHARE,
        "engineering_hours": NONNEG,
        "maintenance_hours_per_month": NONNEG,
        "accuracy": SHARE,
        "input_usd_per_mtok": OPT_NONNEG,
        "cached_input_usd_per_mtok": OPT_NONNEG,
        "output_usd_per_mtok": OPT_NONNEG,
        "batch_discount": OPT_SHARE,
        "migration_hours": NONNEG,
        "reasoning_tokens": NONNEG,
        "cache_write_share": SHARE,
        "cache_write_usd_per_mtok": OPT_NONNEG,
    }
    TEXT: ClassVar[dict[str, bool]] = {"model": False, "provider": True, "successor": True}

    model: str = "gpt-6.1-terra"
    provider: str | None = None
    system_prompt_tokens: float | None = None
    fewshot_tokens: float | None = None
    system_prompt: str | None = None
    fewshot: str | tuple | None = None
    cached_share: float = 0.0
    batch_share: float = 0.0
    engineering_hours: float = 40
    maintenance_hours_per_month: float = 4
    accuracy: float = 0.87
    input_usd_per_mtok: float | None = None
    cached_input_usd_per_mtok: float | None = None
    output_usd_per_mtok: float | None = None
    batch_discount: float | None = None
    migration_hours: float = 16
    successor: str | None = None
    reasoning_tokens: float = 0
    cache_write_share: float = 0.0
    cache_write_usd_per_mtok: float | None = None
    already_built: bool = False
    eval_correct: int | None = None
    eval_total: int | None = None

    def __post_init__(self) -> None:
        self._check_fields()
        self._check_evals()
        _check_successor("prompt.successor", self.successor)
        if self.cached_share + self.cache_write_share > 1 + 1e-12:
            raise InputError(f"prompt.cache_write_share: cached_share + cache_write_share must "
                             f"be ≤ 1 (shares of the same static prefix), got "
                             f"{self.cached_share:g} + {self.cache_write_share:g}")
        if self.system_prompt is not None:
            limits.check_text("prompt.system_prompt", self.system_prompt)
            if self.system_prompt_tokens is not None:
                raise InputError("prompt.system_prompt: give either system_prompt (text, "
                                 "counted) or system_prompt_tokens (a number), not both")
        if self.fewshot is not None:
            object.__setattr__(self, "fewshot", _check_fewshot(self.fewshot))
            if self.fewshot_tokens is not None:
                raise InputError("prompt.fewshot: give either fewshot (text or messages, "
                                 "counted) or fewshot_tokens (a number), not both")


def _check_successor(path: str, value: str | None) -> None:
    if value is not None and "/" not in value:
        raise InputError(f"{path}: write it as provider/model (e.g. together/"
                         f"meta-llama/llama-3.3-70b-instruct), got {value!r}")


ON_RETIREMENT = ("migrate", "prompt")
"""What the fine-tuning road does when its offering closes: move to the successor offering
(``migrate``; back to prompting when there is none) or go back to prompting (``prompt``)."""


def _check_fewshot(value: Any) -> str | tuple:
    if isinstance(value, str):
        return limits.check_text("prompt.fewshot", value)
    if isinstance(value, (list, tuple)):
        items = tuple(value)
        if all(isinstance(v, str) for v in items):
            for i, v in enumerate(items):
                limits.check_text(f"prompt.fewshot[{i}]", v)
            return items
        if all(isinstance(v, Mapping) for v in items):
            for i, v in enumerate(items):
                if not isinstance(v.get("role"), str) or not isinstance(v.get("content"), str):
                    raise InputError(f"prompt.fewshot[{i}]: a message needs text 'role' and "
                                     f"'content', got {limits.shorten(dict(v))}")
                limits.check_text(f"prompt.fewshot[{i}].content", v["content"])
            return tuple(dict(v) for v in items)
    raise InputError("prompt.fewshot: must be a text, a list of texts or a list of "
                     f"{{role, content}} messages, got {limits.shorten(value)}")


@dataclass(frozen=True, kw_only=True)
class RagConfig(_Section):
    """Retrieval on top of the prompted model (option ``rag``).

    context_tokens : retrieved context per request ``r`` [tokens]
    embedding_model, embedding_provider : the embedding model (provider ``None`` = any)
    corpus_tokens : the corpus embedded once at t = 0 [tokens]
    reembed_share_per_month : share of the corpus re-embedded each month [share/month]
    vector_store_usd_per_month : fixed vector-store fee [USD/month]
    engineering_hours : one-time work on the retrieval pipeline, on top of the prompt's [h]
    accuracy : ``None`` = the prompt's accuracy
    embedding_usd_per_mtok : pinned embedding rate [USD per 1M tokens]
    eval_correct, eval_total : graded eval answers, right and in all; when given, the
        accuracy is the Jeffreys posterior mean ``(k+½)/(n+1)`` and wins over ``accuracy``
        (:mod:`simulator.model.evidence`)
    """

    SECTION: ClassVar[str] = "rag"
    RULES: ClassVar[dict[str, Rule]] = {
        "context_tokens": NONNEG,
        "corpus_tokens": NONNEG,
        "reembed_share_per_month": SHARE,
        "vector_store_usd_per_month": NONNEG,
        "engineering_hours": NONNEG,
        "accuracy": OPT_SHARE,
        "embedding_usd_per_mtok": OPT_NONNEG,
    }
    TEXT: ClassVar[dict[str, bool]] = {"embedding_model": False, "embedding_provider": True}

    context_tokens: float = 2000
    embedding_model: str = "text-embedding-3-small"
    embedding_provider: str | None = None
    corpus_tokens: float = 5_000_000
    reembed_share_per_month: float = 0.1
    vector_store_usd_per_month: float = 70
    engineering_hours: float = 0
    accuracy: float | None = None
    embedding_usd_per_mtok: float | None = None
    eval_correct: int | None = None
    eval_total: int | None = None

    def __post_init__(self) -> None:
        self._check_fields()
        self._check_evals()


@dataclass(frozen=True, kw_only=True)
class FinetuneConfig(_Section):
    """A provider's fine-tuning service (option ``finetune``; its data also feeds ``selfhost``).

    prompt_tokens : the short prompt the tuned model still needs ``s_ft`` [tokens]
    examples : initial training examples ``N_0``; ``None`` = counted from ``dataset``, else 600;
        with ``dataset`` too, the file is a sample that measures tokens per example for a set
        of ``examples``
    tokens_per_example : ``t`` [tokens]; ``None`` = mean counted from ``dataset``, else 700
    dataset : a training JSONL (path relative to the scenario file)
    epochs : ``"auto"`` (the provider's rule, :func:`simulator.tokens.tokens.auto_epochs`) or a number
    labelling_usd_per_example [USD/example], labelling_hours_per_example [h/example]
    data_prep_hours : one-time [h]; eval_usd_per_run : per training run [USD]
    maintenance_hours_per_month : upkeep of the tuned model (monitoring, drift checks) [h/month];
        ``None`` = the same hours as ``prompt.maintenance_hours_per_month`` (upkeep is
        symmetric unless you say otherwise)
    retrain_every_months : ``R`` [months]; 0 = never
    new_examples_per_retrain : ``ΔN`` labelled before each retraining
    batch_share : share of tuned-model requests sent through the batch API [0..1]
    accuracy : [0..1]
    train_usd_per_mtok, input_usd_per_mtok, output_usd_per_mtok : pinned rates
        [USD per 1M tokens]; hosting_usd_per_hour [USD/h]; min_charge_usd [USD/run];
        max_tokens_per_example [tokens]; batch_discount [0..1]; storage_usd_per_month
        [USD/month]; validation_usd_per_mtok [USD per 1M tokens]. ``None`` = from the table.
    method : training method (``sft``, ``lora-sft``, ``full-sft``, ``lora-dpo`` …); ``None`` =
        the offering's standard supervised method
    validation_examples : held-out examples evaluated once per epoch, billed where the
        provider bills validation tokens [examples]
    on_retirement : ``"migrate"`` (train the successor offering when this one closes; back to
        prompting where there is none) or ``"prompt"`` (go back to prompting)
    migrate_to : the offering to migrate to (``provider/model``); ``None`` = the provider's
        named successor from the price table
    migration_hours : engineering to move to the successor (data format, evaluation,
        integration) [h]
    reasoning_tokens : hidden reasoning tokens per request of the tuned model, billed at its
        output rate [tokens]; 0 (a tuned small model usually answers without)
    chat_overhead_tokens : chat-format tokens per request of the tuned model ``k_ft``
        [tokens]; ``None`` = its own short request (a system and a user message) counted with
        ``model``'s tokenizer and chat rule, as :func:`simulator.model.resolve.chat_overhead`: the
        prompted request's ``workload.chat_overhead_tokens`` (few-shot turns and all) is not
        charged to it. Also the self-hosted model's
    examples_on_hand : labelled examples the team already owns [examples]: labelling is
        charged only for examples beyond them, at month 0 and at each retraining
    already_trained : True when a tuned model already exists: no first training run, no
        first evaluation, no data preparation (all sunk), and its examples are on hand
    months_to_production : months before the tuned model serves [months]; until then the
        option pays the prompted road's inference and upkeep, while its set-up costs are paid
        at month 0. ``None`` = :data:`DEFAULT_FINETUNE_MONTHS_TO_PRODUCTION` (or
        :data:`DEFAULT_RETRAINED_MONTHS_TO_PRODUCTION` when ``already_trained``)
    closure_hazard : yearly chance that the offering closes without notice inside the
        horizon, drawn by Monte Carlo only (:mod:`simulator.model.closure`): ``0`` = off (default),
        a number in ``[0, 1)``, or ``"auto"`` (the rate calibrated from the dated closure list
        for the offering's kind, closed-model fine-tuning or open-weight adapters)
    eval_correct, eval_total : graded eval answers, right and in all; when given, the
        accuracy is the Jeffreys posterior mean ``(k+½)/(n+1)`` and wins over ``accuracy``
        (:mod:`simulator.model.evidence`)
    pilot : pilot runs ``[[examples, accuracy], …]`` or ``[[examples, correct, total], …]``
        at three or more training-set sizes; the tuned model's accuracy then follows the
        fitted curve ``a_max − b n^(−c)`` month by month and wins over ``accuracy``
        (finetune may not also give eval counts)
    target_accuracy : the accuracy the fine-tune should reach; the examples the curve needs
        for it are reported (``examples_for_target``) [0..1]
    adapters_per_deployment : fine-tunes (adapters) sharing one dedicated deployment billed
        by the hour (Together, Fireworks, Azure, Bedrock Provisioned Throughput); this one's
        share of the hourly hosting is ``hosting_usd_per_hour / adapters_per_deployment``
        [adapters], a whole number ≥ 1
    """

    SECTION: ClassVar[str] = "finetune"
    FLAGS: ClassVar[tuple[str, ...]] = ("already_trained",)
    RULES: ClassVar[dict[str, Rule]] = {
        "prompt_tokens": NONNEG,
        "examples": Rule(lo=1, integer=True, optional=True),
        "tokens_per_example": Rule(lo=0, lo_open=True, optional=True),
        "labelling_usd_per_example": NONNEG,
        "labelling_hours_per_example": NONNEG,
        "data_prep_hours": NONNEG,
        "eval_usd_per_run": NONNEG,
        "maintenance_hours_per_month": OPT_NONNEG,
        "retrain_every_months": COUNT,
        "new_examples_per_retrain": COUNT,
        "batch_share": SHARE,
        "accuracy": SHARE,
        "train_usd_per_mtok": OPT_NONNEG,
        "input_usd_per_mtok": OPT_NONNEG,
        "output_usd_per_mtok": OPT_NONNEG,
        "hosting_usd_per_hour": OPT_NONNEG,
        "min_charge_usd": OPT_NONNEG,
        "max_tokens_per_example": Rule(lo=1, integer=True, optional=True),
        "batch_discount": OPT_SHARE,
        "storage_usd_per_month": OPT_NONNEG,
        "validation_usd_per_mtok": OPT_NONNEG,
        "validation_examples": COUNT,
        "migration_hours": NONNEG,
        "reasoning_tokens": NONNEG,
        "chat_overhead_tokens": OPT_NONNEG,
        "examples_on_hand": COUNT,
        "months_to_production": Rule(hi=600, integer=True, optional=True),
        "target_accuracy": OPT_SHARE,
        "adapters_per_deployment": Rule(lo=1, integer=True),
    }
    TEXT: ClassVar[dict[str, bool]] = {"provider": False, "model": False, "dataset": True,
                                       "method": True, "on_retirement": False,
                                       "migrate_to": True}

    provider: str = "aws"
    model: str = "amazon.nova-micro-v1:0"
    prompt_tokens: float = 60
    examples: int | None = None
    tokens_per_example: float | None = None
    dataset: str | None = None
    epochs: int | str = "auto"
    labelling_usd_per_example: float = 2.0
    labelling_hours_per_example: float = 0.0
    data_prep_hours: float = 40
    eval_usd_per_run: float = 50
    maintenance_hours_per_month: float | None = None
    retrain_every_months: int = 6
    new_examples_per_retrain: int = 200
    batch_share: float = 0.0
    accuracy: float = 0.92
    train_usd_per_mtok: float | None = None
    input_usd_per_mtok: float | None = None
    output_usd_per_mtok: float | None = None
    hosting_usd_per_hour: float | None = None
    min_charge_usd: float | None = None
    max_tokens_per_example: int | None = None
    batch_discount: float | None = None
    storage_usd_per_month: float | None = None
    validation_usd_per_mtok: float | None = None
    method: str | None = None
    validation_examples: int = 0
    on_retirement: str = "migrate"
    migrate_to: str | None = None
    migration_hours: float = 40
    reasoning_tokens: float = 0
    chat_overhead_tokens: float | None = None
    examples_on_hand: int = 0
    already_trained: bool = False
    months_to_production: int | None = None
    closure_hazard: float | str = 0.0
    eval_correct: int | None = None
    eval_total: int | None = None
    pilot: tuple | None = None
    target_accuracy: float | None = None
    adapters_per_deployment: int = 1

    def __post_init__(self) -> None:
        self._check_fields()
        self._check_evals()
        if self.closure_hazard != "auto":
            Rule(hi=1.0, hi_open=True).check("finetune.closure_hazard (or \"auto\")",
                                              self.closure_hazard)
        if self.on_retirement not in ON_RETIREMENT:
            raise InputError(f"finetune.on_retirement: must be one of "
                             f"{', '.join(ON_RETIREMENT)}, got {self.on_retirement!r}")
        _check_successor("finetune.migrate_to", self.migrate_to)
        if self.method is not None:
            object.__setattr__(self, "method", self.method.lower())
        if self.epochs != "auto":
            object.__setattr__(self, "epochs",
                               Rule(lo=1, integer=True).check("finetune.epochs", self.epochs))
        object.__setattr__(self, "pilot", check_pilot("finetune.pilot", self.pilot))
        if self.pilot is not None and self.eval_total is not None:
            raise InputError("finetune.pilot: give either a pilot (a learning curve) or "
                             "finetune.eval_correct/eval_total, not both (add the eval as a "
                             "pilot run at its training-set size)")
        if self.dataset is not None and self.tokens_per_example is not None:
            raise InputError("finetune.dataset: give either dataset (counted) or "
                             "tokens_per_example (a number), not both")


@dataclass(frozen=True, kw_only=True)
class SelfhostConfig(_Section):
    """A LoRA fine-tune of an open model on rented GPUs (option ``selfhost``).

    Training data, epochs, labelling, evaluation and retraining come from ``[finetune]``.

    gpu, gpu_provider : GPU type and provider (``None`` = the cheapest listed)
    model_params_b : size of the self-hosted model [billion parameters]; with ``gpu`` it
        picks the published throughput (``simulator/data/gpu_throughput.csv``)
    train_tokens_per_second : LoRA training throughput of one GPU [tokens/s]; ``None`` = the
        table's figure for ``gpu`` and ``model_params_b``
    serve_tokens_per_second : serving throughput of one GPU of a replica [tokens/s] (a replica
        of ``n`` GPUs serves ``n`` times it); ``None`` = the table's figure (the run's
        throughput divided by its GPUs)
    precision : the weights' precision when serving (``bf16`` the default, ``fp16``,
        ``fp8``, ``int8``, ``fp4``, ``int4``, ``fp32``): 2, 1, 0.5 or 4 bytes per parameter
    kv_reserve_share : KV-cache reserve on top of the weights, as a share of their memory [1]
    gpus_per_replica : GPUs one copy of the model is sharded over (1, 2, 4 or 8); ``None`` =
        the smallest that holds weights + KV reserve in 90 % of the GPUs' memory
        (:func:`simulator.model.throughput.gpus_per_replica`)
    gpu_memory_gb : memory of one GPU [GB]; ``None`` = the ``memory_gb`` of the GPU table
    utilisation : average load of a serving replica (0..1]
    min_replicas : replicas (each of ``gpus_per_replica`` GPUs) kept running however low the
        traffic
    training_gpus : GPUs used together for training; ``G`` GPUs train at
        ``1 + (G-1) × scaling_efficiency`` times one GPU's throughput
    scaling_efficiency : the share of one GPU's throughput each further training GPU adds
        (0..1]
    engineering_hours : one-time setup [h]; ops_hours_per_month [h/month]
    accuracy : [0..1]; gpu_usd_per_hour : pinned GPU price [USD/h]
    reasoning_tokens : hidden reasoning tokens the self-hosted model generates per request
        [tokens]; served like output (they count in the serving tokens); 0 by default
    months_to_production : months before the self-hosted model serves [months]; until then
        the option pays the prompted road's inference and upkeep, and no GPU serving or
        operations. ``None`` = :data:`DEFAULT_SELFHOST_MONTHS_TO_PRODUCTION`
    eval_correct, eval_total : graded eval answers, right and in all; when given, the
        accuracy is the Jeffreys posterior mean ``(k+½)/(n+1)`` and wins over ``accuracy``
        (:mod:`simulator.model.evidence`)
    """

    SECTION: ClassVar[str] = "selfhost"
    RULES: ClassVar[dict[str, Rule]] = {
        "model_params_b": POSITIVE,
        "train_tokens_per_second": Rule(lo_open=True, optional=True),
        "serve_tokens_per_second": Rule(lo_open=True, optional=True),
        "utilisation": Rule(hi=1.0, lo_open=True),
        "min_replicas": COUNT,
        "training_gpus": Rule(lo=1, integer=True),
        "scaling_efficiency": Rule(hi=1.0, lo_open=True),
        "engineering_hours": NONNEG,
        "ops_hours_per_month": NONNEG,
        "accuracy": SHARE,
        "gpu_usd_per_hour": OPT_NONNEG,
        "reasoning_tokens": NONNEG,
        "months_to_production": Rule(hi=600, integer=True, optional=True),
        "kv_reserve_share": Rule(hi=10.0),
        "gpus_per_replica": Rule(lo=1, hi=8, integer=True, optional=True),
        "gpu_memory_gb": Rule(lo_open=True, optional=True),
    }
    TEXT: ClassVar[dict[str, bool]] = {"gpu": False, "gpu_provider": True, "precision": False}

    gpu: str = "H100 80GB"
    gpu_provider: str | None = None
    model_params_b: float = 8
    train_tokens_per_second: float | None = None
    serve_tokens_per_second: float | None = None
    utilisation: float = 0.5
    min_replicas: int = 1
    training_gpus: int = 1
    scaling_efficiency: float = 0.9
    engineering_hours: float = 0
    ops_hours_per_month: float = 10
    accuracy: float = 0.90
    gpu_usd_per_hour: float | None = None
    reasoning_tokens: float = 0
    months_to_production: int | None = None
    precision: str = "bf16"
    kv_reserve_share: float = 0.1
    gpus_per_replica: int | None = None
    gpu_memory_gb: float | None = None
    eval_correct: int | None = None
    eval_total: int | None = None

    def __post_init__(self) -> None:
        self._check_fields()
        self._check_evals()
        object.__setattr__(self, "precision", self.precision.lower())
        if self.precision not in PRECISIONS:
            raise InputError(f"selfhost.precision: must be one of {', '.join(PRECISIONS)}, "
                             f"got {self.precision!r}")
        if self.gpus_per_replica is not None \
                and self.gpus_per_replica not in TENSOR_PARALLEL_SIZES:
            raise InputError(f"selfhost.gpus_per_replica: must be one of "
                             f"{', '.join(map(str, TENSOR_PARALLEL_SIZES))} (the tensor-parallel "
                             f"sizes engines use), got {self.gpus_per_replica!r}")


@dataclass(frozen=True, kw_only=True)
class HybridConfig(_Section):
    """Share ``q`` of traffic to the fine-tuned model, the rest to the prompted model.

    finetuned_share : ``q`` [0..1]
    accuracy : ``None`` = ``q a_ft + (1-q) a_prompt``
    eval_correct, eval_total : graded eval answers, right and in all; when given, the
        accuracy is the Jeffreys posterior mean ``(k+½)/(n+1)`` and wins over ``accuracy``
        (:mod:`simulator.model.evidence`)
    """

    SECTION: ClassVar[str] = "hybrid"
    RULES: ClassVar[dict[str, Rule]] = {"finetuned_share": SHARE, "accuracy": OPT_SHARE}

    finetuned_share: float = 0.8
    accuracy: float | None = None
    eval_correct: int | None = None
    eval_total: int | None = None

    def __post_init__(self) -> None:
        self._check_fields()
        self._check_evals()


DATA_SOURCES = ("human", "teacher", "logs")
"""Where the training examples come from: people write them (``human``), a large model
writes the answers and the good ones are kept (``teacher``), or the prompted road's own
requests and answers are taken from the logs (``logs``)."""

DEFAULT_HOLDOUT_SHARE = 0.2
"""Share of all produced examples held out (10% validation + 10% test, the seeds' 80/10/10
guidance; an assumption the user can change)."""

DEFAULT_REVIEW_SHARE = {"human": 0.0, "teacher": 0.1, "logs": 1.0}
"""``data.review_share`` when left unset, by source (assumptions): a person's own example is
not checked twice; a teacher's kept answers are spot-checked (one in ten); every answer taken
from the logs is read by a person before it trains a model."""


@dataclass(frozen=True, kw_only=True)
class DataConfig(_Section):
    """Where the training examples come from and what they cost (``[data]``).

    The number of examples trained on is ``finetune.examples`` (and
    ``finetune.new_examples_per_retrain`` at each retraining), whatever the source.

    source : ``human`` (``finetune.labelling_usd_per_example`` and
        ``labelling_hours_per_example`` per example), ``teacher`` (a model writes the answers)
        or ``logs`` (requests the prompted road already served; only reviews are paid)
    holdout_share : share ``h`` of all produced examples held out for validation and test
        [0..1); the hold-out adds ``N × h / (1 − h)`` examples, produced and paid like the
        training examples but not trained on
    review_share : share of the kept examples a person checks [0..1]; ``None`` = 0 for
        ``human``, 0.1 for ``teacher``, 1 for ``logs``
    review_usd_per_example : one check [USD/example]
    teacher_model, teacher_provider : the model that writes the answers; ``None`` = the
        prompted model (``prompt.model``, ``prompt.provider``)
    teacher_input_tokens : tokens sent to the teacher per generated example [tokens];
        ``None`` = counted from ``teacher_prompt`` plus the user's content
        (``workload.input_tokens``), else from ``teacher_samples``, else the prompted road's
        request (system prompt, few-shot, user content, chat overhead)
    teacher_output_tokens : tokens the teacher writes per generated example [tokens];
        ``None`` = from ``teacher_samples``, else ``workload.output_tokens``
    teacher_prompt : the instruction sent to the teacher with each input (text, counted with
        the teacher's tokenizer)
    teacher_samples : a chat JSONL of sample examples (path relative to the scenario file):
        the mean tokens before the last assistant message are the teacher's input, the last
        assistant message its output
    teacher_cached_share : share of the teacher's input billed at the cached rate [0..1]
    teacher_batch_share : share of generation sent through the batch API [0..1]
    teacher_input_usd_per_mtok, teacher_cached_input_usd_per_mtok,
        teacher_output_usd_per_mtok : pinned rates [USD per 1M tokens]; teacher_batch_discount
        [0..1]. ``None`` = from the price table
    acceptance_rate : share of generated (or logged) examples kept (0..1]; generated =
        needed ÷ acceptance
    judge_model, judge_provider : an optional model that grades each generated example
    judge_input_tokens : [tokens per generated example]; ``None`` = the teacher's input and
        output (the judge reads both)
    judge_output_tokens : the verdict [tokens per generated example]
    judge_input_usd_per_mtok, judge_output_usd_per_mtok : pinned rates [USD per 1M tokens]
    logs_usable_share : share of the prompted road's requests that may be used as training
        examples (consent, privacy, topic) [0..1]; with ``acceptance_rate`` it sets how many
        examples the logs give each month
    """

    SECTION: ClassVar[str] = "data"
    RULES: ClassVar[dict[str, Rule]] = {
        "holdout_share": Rule(hi=1.0, hi_open=True),
        "review_share": OPT_SHARE,
        "review_usd_per_example": NONNEG,
        "teacher_input_tokens": OPT_NONNEG,
        "teacher_output_tokens": OPT_NONNEG,
        "teacher_cached_share": SHARE,
        "teacher_batch_share": SHARE,
        "teacher_input_usd_per_mtok": OPT_NONNEG,
        "teacher_cached_input_usd_per_mtok": OPT_NONNEG,
        "teacher_output_usd_per_mtok": OPT_NONNEG,
        "teacher_batch_discount": OPT_SHARE,
        "acceptance_rate": Rule(hi=1.0, lo_open=True),
        "judge_input_tokens": OPT_NONNEG,
        "judge_output_tokens": NONNEG,
        "judge_input_usd_per_mtok": OPT_NONNEG,
        "judge_output_usd_per_mtok": OPT_NONNEG,
        "logs_usable_share": SHARE,
    }
    TEXT: ClassVar[dict[str, bool]] = {"teacher_model": True, "teacher_provider": True,
                                       "judge_model": True, "judge_provider": True,
                                       "teacher_samples": True}

    source: str = "human"
    holdout_share: float = DEFAULT_HOLDOUT_SHARE
    review_share: float | None = None
    review_usd_per_example: float = 0.5
    teacher_model: str | None = None
    teacher_provider: str | None = None
    teacher_input_tokens: float | None = None
    teacher_output_tokens: float | None = None
    teacher_prompt: str | None = None
    teacher_samples: str | None = None
    teacher_cached_share: float = 0.0
    teacher_batch_share: float = 0.0
    teacher_input_usd_per_mtok: float | None = None
    teacher_cached_input_usd_per_mtok: float | None = None
    teacher_output_usd_per_mtok: float | None = None
    teacher_batch_discount: float | None = None
    acceptance_rate: float = 0.8
    judge_model: str | None = None
    judge_provider: str | None = None
    judge_input_tokens: float | None = None
    judge_output_tokens: float = 50
    judge_input_usd_per_mtok: float | None = None
    judge_output_usd_per_mtok: float | None = None
    logs_usable_share: float = 0.05

    def __post_init__(self) -> None:
        if self.source not in DATA_SOURCES:
            raise InputError(f"data.source: must be one of {', '.join(DATA_SOURCES)}, "
                             f"got {limits.shorten(self.source)}")
        self._check_fields()
        if self.teacher_prompt is not None:
            limits.check_text("data.teacher_prompt", self.teacher_prompt)
        given = [n for n in ("teacher_prompt", "teacher_samples") if getattr(self, n) is not None]
        if len(given) > 1:
            raise InputError("data.teacher_prompt: give either teacher_prompt (counted) or "
                             "teacher_samples (measured), not both")
        if given and self.teacher_input_tokens is not None:
            raise InputError(f"data.{given[0]}: give either {given[0]} (counted) or "
                             f"teacher_input_tokens (a number), not both")
        if self.teacher_samples is not None and self.teacher_output_tokens is not None:
            raise InputError("data.teacher_samples: give either teacher_samples (measured) or "
                             "teacher_output_tokens (a number), not both")
        if self.judge_model is None:
            for name in ("judge_provider", "judge_input_tokens", "judge_input_usd_per_mtok",
                         "judge_output_usd_per_mtok"):
                if getattr(self, name) is not None:
                    raise InputError(f"data.{name}: set only with data.judge_model (the model "
                                     f"that grades each generated example)")

    @property
    def resolved_review_share(self) -> float:
        """``review_share``, or the source's default (:data:`DEFAULT_REVIEW_SHARE`)."""
        return (DEFAULT_REVIEW_SHARE[self.source] if self.review_share is None
                else float(self.review_share))


SECTION_TYPES: dict[str, type] = {
    "workload": Workload, "prompt": PromptConfig, "rag": RagConfig,
    "finetune": FinetuneConfig, "selfhost": SelfhostConfig, "hybrid": HybridConfig,
    "data": DataConfig,
}


@dataclass(frozen=True, kw_only=True)
class Scenario:
    """Everything one comparison needs (README, Method). Checked on creation.

    horizon_months : ``H`` [months], 1..600
    discount_rate : yearly discount rate ``ρ`` for the NPV [share/year]
    price_decline : yearly share ``d`` by which per-token API prices (inference and training)
        fall [share/year], ``-1 < d < 1``; negative = prices rise. May also be written as a
        table by kind, ``price_decline = {tokens = 0.2, training = 0.1, gpu_hours = -0.05}``,
        which sets the three fields below (a kind left out does not move)
    price_decline_tokens, price_decline_training, price_decline_gpu_hours : the yearly
        decline of per-token API rates, of per-token training rates and of GPU-hour prices
        (rented GPUs, a dedicated deployment's hourly fee) [share/year]; ``None`` = tokens
        and training follow ``price_decline``, GPU-hours do not move
    baseline : the option the others are compared with (always simulated)
    options : the options to simulate
    hourly_rate_usd : people's time [USD/h]
    cost_per_error_usd : what one wrong answer costs [USD/error]
    as_of : the start date: month 0 is this day, month ``m`` the ``m``-th calendar month from
        it; prices in force on it are used and lifecycle dates (last training day, last
        serving day) are placed on this calendar. ``None`` = today, when simulated
    title : a free label
    prices : price rows that travel with the scenario: price-file kind (``finetune``,
        ``inference``, ``gpus``, ``batch``, ``lifecycle``) -> CSV text with that file's
        columns, merged over the price table when simulated (the app's price edits)
    source_dir : folder the scenario was loaded from (for relative ``finetune.dataset``);
        not saved
    notes : messages from loading (renamed fields); not saved
    focus : the option the answer talks about against the baseline (the headline, the cards,
        the tornado and the Monte Carlo chart); ``None`` = ``finetune`` when it is among the
        options, else the first option that is not the baseline (:attr:`focus_option`)
    """

    RULES: ClassVar[dict[str, Rule]] = {
        "horizon_months": Rule(lo=1, hi=600, integer=True),
        "discount_rate": Rule(hi=10.0),
        "price_decline": DECLINE,
        "price_decline_tokens": OPT_DECLINE,
        "price_decline_training": OPT_DECLINE,
        "price_decline_gpu_hours": OPT_DECLINE,
        "hourly_rate_usd": NONNEG,
        "cost_per_error_usd": NONNEG,
    }

    title: str = ""
    horizon_months: int = 24
    discount_rate: float = 0.10
    price_decline: float = 0.0
    price_decline_tokens: float | None = None
    price_decline_training: float | None = None
    price_decline_gpu_hours: float | None = None
    baseline: str = "prompt"
    options: tuple[str, ...] = ("prompt", "finetune")
    hourly_rate_usd: float = 100
    cost_per_error_usd: float = 0.0
    as_of: date | None = None
    workload: Workload = field(default_factory=Workload)
    prompt: PromptConfig = field(default_factory=PromptConfig)
    rag: RagConfig = field(default_factory=RagConfig)
    finetune: FinetuneConfig = field(default_factory=FinetuneConfig)
    selfhost: SelfhostConfig = field(default_factory=SelfhostConfig)
    hybrid: HybridConfig = field(default_factory=HybridConfig)
    data: DataConfig = field(default_factory=DataConfig)
    prices: tuple[tuple[str, str], ...] = ()
    focus: str | None = None
    source_dir: Path | None = field(default=None, compare=False, repr=False)
    notes: tuple[str, ...] = field(default=(), compare=False, repr=False)

    def __post_init__(self) -> None:
        if isinstance(self.price_decline, Mapping):
            _expand_price_decline(self)
        for name, rule in self.RULES.items():
            object.__setattr__(self, name, rule.check(name, getattr(self, name)))
        if not isinstance(self.title, str):
            raise InputError(f"title: must be text, got {limits.shorten(self.title)}")
        if len(self.title) > MAX_NAME_CHARS:
            raise InputError(f"title: {limits.shorten(self.title)} is too long: at most "
                             f"{MAX_NAME_CHARS} characters")
        if isinstance(self.options, str) or not isinstance(self.options, (list, tuple)):
            raise InputError(f"options: must be a list of option names, got {self.options!r}")
        opts = tuple(self.options)
        for i, name in enumerate(opts):
            if name not in OPTIONS:
                raise InputError(f"options[{i}]: unknown option {name!r} "
                                 f"(known: {', '.join(OPTIONS)})")
        if len(set(opts)) != len(opts):
            dup = next(o for o in opts if opts.count(o) > 1)
            raise InputError(f"options: {dup!r} is listed twice")
        if not opts:
            raise InputError("options: must name at least one option, got []")
        if self.baseline not in OPTIONS:
            raise InputError(f"baseline: unknown option {self.baseline!r} "
                             f"(known: {', '.join(OPTIONS)})")
        object.__setattr__(self, "options", opts)
        if self.focus is not None:
            if not isinstance(self.focus, str) or self.focus not in OPTIONS:
                raise InputError(f"focus: unknown option {limits.shorten(self.focus)} "
                                 f"(known: {', '.join(OPTIONS)})")
            if self.focus not in opts and self.focus != self.baseline:
                raise InputError(f"focus: {self.focus!r} is not among the options "
                                 f"({', '.join(opts)})")
        if isinstance(self.as_of, str):
            try:
                object.__setattr__(self, "as_of", date.fromisoformat(self.as_of))
            except ValueError:
                raise InputError(f"as_of: expected a date YYYY-MM-DD, got {self.as_of!r}") \
                    from None
        elif isinstance(self.as_of, datetime):  # TOML's 2026-11-23T10:00: its day
            object.__setattr__(self, "as_of", self.as_of.date())
        elif self.as_of is not None and not isinstance(self.as_of, date):
            raise InputError(f"as_of: expected a date YYYY-MM-DD, got "
                             f"{limits.shorten(self.as_of)}")
        if self.as_of is not None and not (
                date.fromisoformat(limits.EARLIEST_AS_OF) <= self.as_of
                <= date.fromisoformat(limits.LATEST_AS_OF)):
            raise InputError(f"as_of: {self.as_of.isoformat()} is outside the calendar ftroi "
                             f"prices: from {limits.EARLIEST_AS_OF} to {limits.LATEST_AS_OF}")
        for name, cls in SECTION_TYPES.items():
            if not isinstance(getattr(self, name), cls):
                raise InputError(f"{name}: must be a {cls.__name__}, "
                                 f"got {type(getattr(self, name)).__name__}")
        if self.source_dir is not None:
            object.__setattr__(self, "source_dir", Path(self.source_dir))
        object.__setattr__(self, "prices", check_prices(self.prices))
        limits.check_volume_growth(self.workload.requests_per_month,
                                   self.workload.growth_per_month, self.horizon_months)

    @property
    def focus_option(self) -> str:
        """The option the answer talks about: ``focus``, else ``finetune`` when simulated,
        else the first simulated option that is not the baseline (the baseline itself when
        it is the only one)."""
        if self.focus is not None:
            return self.focus
        others = [o for o in self.simulated_options if o != self.baseline]
        if "finetune" in others:
            return "finetune"
        return others[0] if others else self.baseline

    @property
    def simulated_options(self) -> tuple[str, ...]:
        """The options simulated: the baseline first, then ``options`` in their order."""
        return (self.baseline,) + tuple(o for o in self.options if o != self.baseline)

    # ---- dict round trip ------------------------------------------------------------------
    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source_dir: str | Path | None = None
                  ) -> Scenario:
        """Build a scenario from a parsed TOML/JSON document, refusing unknown fields.

        Old field names (:data:`RENAMED`) are accepted and reported in ``notes``.
        """
        if not isinstance(data, Mapping):
            raise InputError(f"scenario: expected a table of fields, got {type(data).__name__}")
        data = dict(data)
        notes: list[str] = []
        top_names = {f.name for f in fields(cls) if f.name not in ("source_dir", "notes")}
        kwargs: dict[str, Any] = {}
        for key, value in data.items():
            if key in SECTION_TYPES:
                continue
            key = _renamed(key, notes, data)
            if key not in top_names:
                raise InputError(f"{key}: unknown field (known top-level fields: "
                                 f"{', '.join(sorted(top_names - set(SECTIONS)))}; "
                                 f"sections: {', '.join(SECTIONS)})")
            kwargs[key] = value
        for section, section_cls in SECTION_TYPES.items():
            if section not in data:
                continue
            body = data[section]
            if not isinstance(body, Mapping):
                raise InputError(f"{section}: must be a table of fields, got {body!r}")
            known = {f.name for f in fields(section_cls)}
            section_kwargs: dict[str, Any] = {}
            for key, value in body.items():
                path = _renamed(f"{section}.{key}", notes, {f"{section}.{k}": v
                                                            for k, v in body.items()})
                name = path.split(".", 1)[1]
                if name not in known:
                    raise InputError(f"{section}.{key}: unknown field (known: "
                                     f"{', '.join(sorted(known))})")
                section_kwargs[name] = value
            try:
                kwargs[section] = section_cls(**section_kwargs)
            except TypeError as exc:  # pragma: no cover - guarded by the name check above
                raise InputError(f"{section}: {exc}") from None
        if "options" in kwargs and isinstance(kwargs["options"], list):
            kwargs["options"] = tuple(kwargs["options"])
        return cls(**kwargs, source_dir=None if source_dir is None else Path(source_dir),
                   notes=tuple(notes))

    def to_dict(self) -> dict[str, Any]:
        """The scenario as a plain dict (TOML/JSON-ready); ``None`` fields are left out."""
        out: dict[str, Any] = {}
        for f in fields(self):
            if f.name in ("source_dir", "notes") or f.name in SECTION_TYPES:
                continue
            value = getattr(self, f.name)
            if value is None:
                continue
            if f.name == "options":
                value = list(value)
            elif f.name == "prices":
                if not value:
                    continue
                value = dict(value)
            elif isinstance(value, date):
                value = value.isoformat()
            out[f.name] = value
        for section in SECTION_TYPES:
            body = getattr(self, section)
            part = {}
            for f in fields(body):
                value = getattr(body, f.name)
                if value is None:
                    continue
                if isinstance(value, tuple):
                    value = [dict(v) if isinstance(v, Mapping) else v for v in value]
                part[f.name] = value
            out[section] = part
        return out

    def with_values(self, **paths: Any) -> Scenario:
        """A copy with fields changed by path, e.g.
        ``s.with_values(**{"workload.input_tokens": 900})``."""
        return with_values(self, paths)


def _expand_price_decline(scenario: Scenario) -> None:
    """``price_decline = {tokens = …, training = …, gpu_hours = …}`` as the three fields
    ``price_decline_<kind>`` (``price_decline`` itself then 0: a kind left out does not
    move); an unknown kind or a kind also given as a field is refused."""
    table = dict(scenario.price_decline)
    for kind, value in table.items():
        if kind not in DECLINE_KINDS:
            raise InputError(f"price_decline.{str(kind)[:40]}: unknown kind (known: "
                             f"{', '.join(DECLINE_KINDS)})")
        if getattr(scenario, f"price_decline_{kind}") is not None:
            raise InputError(f"price_decline.{kind}: also given as price_decline_{kind}; "
                             f"keep one")
        object.__setattr__(scenario, f"price_decline_{kind}",
                           OPT_DECLINE.check(f"price_decline.{kind}", value))
    object.__setattr__(scenario, "price_decline", 0.0)


PRICE_KINDS = ("finetune", "inference", "gpus", "batch", "lifecycle")
"""Price-file kinds a scenario's ``prices`` may carry (as :func:`pricing.load_price_table`)."""


def check_prices(value: Any) -> tuple[tuple[str, str], ...]:
    """``prices`` as sorted ``(kind, csv text)`` pairs; an InputError naming the kind."""
    if value is None:
        return ()
    pairs = value.items() if isinstance(value, Mapping) else value
    try:
        pairs = [(k, v) for k, v in pairs]
    except (TypeError, ValueError):
        raise InputError(f"prices: expected a table of price-file kind = CSV text, got "
                         f"{limits.shorten(value)}") from None
    out = {}
    for kind, text in pairs:
        if kind not in PRICE_KINDS:
            raise InputError(f"prices.{limits.shorten(kind)}: unknown price file (known: "
                             f"{', '.join(PRICE_KINDS)})")
        out[kind] = limits.check_text(f"prices.{kind}", text)
    return tuple(sorted(out.items()))


def with_values(scenario: Scenario, values: Mapping[str, Any]) -> Scenario:
    """A copy of ``scenario`` with fields set by dotted path (checked like any new scenario)."""
    top: dict[str, Any] = {}
    per_section: dict[str, dict[str, Any]] = {}
    for path, value in values.items():
        section, dot, name = path.partition(".")
        if dot:
            if section not in SECTION_TYPES or name not in {
                    f.name for f in fields(SECTION_TYPES[section])}:
                raise InputError(f"{path}: unknown field")
            per_section.setdefault(section, {})[name] = value
        else:
            if path not in {f.name for f in fields(Scenario)}:
                raise InputError(f"{path}: unknown field")
            top[path] = value
    for section, changes in per_section.items():
        top[section] = replace(getattr(scenario, section), **changes)
    return replace(scenario, **top)


def _renamed(path: str, notes: list[str], siblings: Mapping[str, Any]) -> str:
    """The current name of field ``path``; an old name is noted (``siblings``: the other
    fields given, by the same kind of path, to refuse old and new together)."""
    new = RENAMED.get(path)
    if new is None:
        return path
    if new in siblings:
        raise InputError(f"{path}: renamed to {new}, and both are given; keep only {new}")
    notes.append(f"{path} was renamed {new}; it was read as {new} "
                 f"(save the scenario to update the file)")
    return new


# ---- files --------------------------------------------------------------------------------------

def load_scenario(path: str | Path) -> Scenario:
    """Read a scenario from a ``.toml`` or ``.json`` file.

    ``finetune.dataset`` paths are taken relative to the file's folder.
    """
    if not isinstance(path, (str, Path)):
        raise InputError(f"path: expected a scenario file path, got {limits.shorten(path)} "
                         f"({type(path).__name__})")
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".toml", ".json"):
        raise InputError(f"{path}: a scenario file must end in .toml or .json")
    try:
        with path.open("rb") as fh:  # never more than the cap in memory
            raw = fh.read(limits.MAX_DOCUMENT_BYTES + 1)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, not a file") from None
    if len(raw) > limits.MAX_DOCUMENT_BYTES:
        raise InputError(f"{path}: more than {limits.MAX_DOCUMENT_BYTES:,} bytes: a scenario "
                         f"file is at most {limits.MAX_DOCUMENT_BYTES / 2**20:g} MiB")
    parse = limits.parse_toml if suffix == ".toml" else limits.parse_json
    data = parse(raw, field=str(path))
    try:
        return Scenario.from_dict(data, source_dir=path.parent)
    except InputError as exc:
        raise InputError(f"{path}: {exc}") from None


def dumps_scenario(scenario: Scenario, fmt: str = "toml") -> str:
    """The scenario as TOML (``fmt="toml"``) or JSON (``fmt="json"``) text."""
    if not isinstance(scenario, Scenario):
        raise InputError(f"scenario: expected a Scenario, got {type(scenario).__name__}")
    data = scenario.to_dict()
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if fmt == "toml":
        import tomli_w

        return tomli_w.dumps(data)
    raise InputError(f"format: must be 'toml' or 'json', got {fmt!r}")


def save_scenario(scenario: Scenario, path: str | Path, *, overwrite: bool = False,
                  header: str = "") -> Path:
    """Write ``scenario`` to ``path`` (``.toml`` or ``.json``; a TOML file may start with the
    comment lines ``header``); returns the path.

    Like every writer here it never follows a symbolic link, writes atomically, and refuses
    an existing file unless ``overwrite`` is True (nothing is lost by accident).
    """
    from ..core.files import write_files

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".toml", ".json"):
        raise InputError(f"{path}: a scenario file must end in .toml or .json")
    text = dumps_scenario(scenario, suffix[1:])
    if header and suffix == ".toml":
        text = header + text
    write_files({path: text}, overwrite=overwrite, what="scenario file")
    return path


def example_scenario_text() -> str:
    """The commented starting scenario that ``ftroi example`` prints (TOML text)."""
    from importlib import resources

    return (resources.files("simulator") / "data" / "example_scenario.toml").read_text(
        encoding="utf-8")


def example_scenario() -> Scenario:
    """The starting scenario, parsed."""
    return Scenario.from_dict(tomllib.loads(example_scenario_text()))


def field_rule(path: str) -> Rule:
    """The :class:`Rule` of a numeric field given by dotted path (``"workload.input_tokens"``).

    Raises :class:`InputError` for a path that is not a numeric field.
    """
    section, dot, name = path.partition(".")
    if not dot:
        rule = Scenario.RULES.get(path)
    else:
        cls = SECTION_TYPES.get(section)
        rule = cls.RULES.get(name) if cls is not None else None
        if path == "finetune.epochs":
            rule = Rule(lo=1, integer=True)
    if rule is None:
        raise InputError(f"{path}: not a numeric scenario field (known: "
                         f"{', '.join(numeric_fields())})")
    return rule


def numeric_fields() -> list[str]:
    """Every numeric field path, in file order."""
    out = list(Scenario.RULES)
    for section, cls in SECTION_TYPES.items():
        out += [f"{section}.{name}" for name in cls.RULES]
    out.append("finetune.epochs")
    return out
