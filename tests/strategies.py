"""Shared hypothesis strategies and hand-checkable scenarios for the engine's tests.

Every scenario here pins every rate, so no test depends on the shipped price table.
"""

from __future__ import annotations

import json
import math
import os

from hypothesis import strategies as st

from simulator.model.scenario import OPTIONS, Scenario

PINNED_PROMPT = {"input_usd_per_mtok": 2.0, "cached_input_usd_per_mtok": 0.5,
                 "output_usd_per_mtok": 8.0, "batch_discount": 0.5}
PINNED_RAG = {"embedding_usd_per_mtok": 0.1}
PINNED_FINETUNE = {"train_usd_per_mtok": 10.0, "input_usd_per_mtok": 0.3,
                   "output_usd_per_mtok": 1.2, "hosting_usd_per_hour": 0.5,
                   "min_charge_usd": 0.0, "batch_discount": 0.5, "max_tokens_per_example": 400,
                   "storage_usd_per_month": 1.5, "validation_usd_per_mtok": 0.0}
PINNED_SELFHOST = {"gpu_usd_per_hour": 2.0, "gpu_memory_gb": 80.0}


SERVES_AT_ONCE = {"months_to_production": 0}
"""The hand-worked cases below were written for a tuned model that serves from month 1; the
time to production (issue 17) is tested on its own (tests/model/test_already_done.py)."""


NO_HOLDOUT = {"holdout_share": 0.0}
"""Hand-worked cases label ``N × cost per example``: no hold-out beside the training
examples unless the case sets one (the hold-out is tested on its own in
tests/model/test_datacost.py)."""


def pinned(data: dict) -> dict:
    """``data`` (a scenario dict) with every table rate pinned to the values above, the
    tuned models serving from month 1 and no hold-out, unless ``data`` already sets them."""
    out = {k: (dict(v) if isinstance(v, dict) else v) for k, v in data.items()}
    for section, pins in (("prompt", PINNED_PROMPT), ("rag", PINNED_RAG),
                          ("finetune", {**PINNED_FINETUNE, **SERVES_AT_ONCE}),
                          ("selfhost", {**PINNED_SELFHOST, **SERVES_AT_ONCE}),
                          ("data", NO_HOLDOUT)):
        body = out.setdefault(section, {})
        for key, value in pins.items():
            body.setdefault(key, value)
    return out


def hand_scenario_dict() -> dict:
    """A small scenario whose every cost the tests work out by hand (H = 3 months)."""
    return pinned({
        "horizon_months": 3, "discount_rate": 0.1, "price_decline": 0.2,
        "baseline": "prompt", "options": list(OPTIONS), "hourly_rate_usd": 100,
        "cost_per_error_usd": 0.01,
        "workload": {"requests_per_month": 1000, "growth_per_month": 0.1, "input_tokens": 100,
                     "output_tokens": 50, "chat_overhead_tokens": 10},
        "prompt": {"system_prompt_tokens": 200, "fewshot_tokens": 300, "cached_share": 0.5,
                   "batch_share": 0.2, "engineering_hours": 10,
                   "maintenance_hours_per_month": 1, "accuracy": 0.8},
        "rag": {"context_tokens": 1000, "corpus_tokens": 1_000_000,
                "reembed_share_per_month": 0.1, "vector_store_usd_per_month": 30,
                "engineering_hours": 2},
        "finetune": {"prompt_tokens": 20, "examples": 100, "tokens_per_example": 500,
                     "epochs": 2, "labelling_usd_per_example": 1.0, "data_prep_hours": 5,
                     "eval_usd_per_run": 20, "retrain_every_months": 2,
                     "new_examples_per_retrain": 50, "accuracy": 0.9,
                     "chat_overhead_tokens": 10, "months_to_production": 0},
        "selfhost": {"train_tokens_per_second": 1000, "training_gpus": 2,
                     "serve_tokens_per_second": 50, "utilisation": 0.5, "min_replicas": 1,
                     "engineering_hours": 3, "ops_hours_per_month": 2, "accuracy": 0.85,
                     "months_to_production": 0},
        "hybrid": {"finetuned_share": 0.25},
        # No hold-out: the labelling these tests work out by hand is N × cost per example.
        "data": {"holdout_share": 0.0},
    })


def hand_scenario(**top) -> Scenario:
    return Scenario.from_dict({**hand_scenario_dict(), **top})


shares = st.floats(0.0, 1.0, allow_nan=False)
money = st.floats(0.0, 50.0, allow_nan=False)
token_counts = st.integers(0, 5000)


@st.composite
def scenario_dicts(draw, options=None) -> dict:
    """Valid scenario dicts with every rate pinned."""
    opts = options or draw(st.lists(st.sampled_from(OPTIONS), min_size=1, max_size=5,
                                    unique=True))
    baseline = draw(st.sampled_from(list(opts)))
    return {
        "horizon_months": draw(st.integers(1, 48)),
        "discount_rate": draw(st.floats(0.0, 0.5)),
        "price_decline": draw(st.floats(0.0, 0.9)),
        "baseline": baseline, "options": list(opts),
        "hourly_rate_usd": draw(st.floats(0.0, 300.0)),
        "cost_per_error_usd": draw(st.floats(0.0, 1.0)),
        "workload": {"requests_per_month": draw(st.floats(0.0, 5e6)),
                     "growth_per_month": draw(st.floats(-0.3, 0.3)),
                     "input_tokens": draw(token_counts), "output_tokens": draw(token_counts),
                     "chat_overhead_tokens": draw(st.integers(0, 20))},
        "prompt": {"system_prompt_tokens": draw(token_counts),
                   "fewshot_tokens": draw(token_counts), "cached_share": draw(shares),
                   "batch_share": draw(shares), "engineering_hours": draw(st.floats(0, 200)),
                   "maintenance_hours_per_month": draw(st.floats(0, 20)),
                   "accuracy": draw(shares), "input_usd_per_mtok": draw(money),
                   "cached_input_usd_per_mtok": draw(money), "output_usd_per_mtok": draw(money),
                   "batch_discount": draw(shares), "already_built": draw(st.booleans())},
        "rag": {"context_tokens": draw(token_counts),
                "corpus_tokens": draw(st.floats(0, 1e8)),
                "reembed_share_per_month": draw(shares),
                "vector_store_usd_per_month": draw(st.floats(0, 500)),
                "embedding_usd_per_mtok": draw(money)},
        "finetune": {"prompt_tokens": draw(st.integers(0, 500)),
                     "examples": draw(st.integers(1, 20_000)),
                     "tokens_per_example": draw(st.integers(1, 4000)),
                     "epochs": draw(st.one_of(st.just("auto"), st.integers(1, 10))),
                     "labelling_usd_per_example": draw(st.floats(0, 10)),
                     "data_prep_hours": draw(st.floats(0, 100)),
                     "eval_usd_per_run": draw(st.floats(0, 200)),
                     "retrain_every_months": draw(st.integers(0, 12)),
                     "new_examples_per_retrain": draw(st.integers(0, 1000)),
                     "batch_share": draw(shares), "accuracy": draw(shares),
                     "train_usd_per_mtok": draw(money), "input_usd_per_mtok": draw(money),
                     "output_usd_per_mtok": draw(money),
                     "hosting_usd_per_hour": draw(st.floats(0, 5)),
                     "min_charge_usd": draw(st.floats(0, 20)),
                     "max_tokens_per_example": draw(st.integers(1, 65_536)),
                     "batch_discount": draw(shares),
                     "storage_usd_per_month": draw(st.floats(0, 5)),
                     "validation_usd_per_mtok": draw(money),
                     "validation_examples": draw(st.integers(0, 500)),
                     "examples_on_hand": draw(st.integers(0, 5000)),
                     "already_trained": draw(st.booleans()),
                     "months_to_production": draw(st.integers(0, 6))},
        "selfhost": {"train_tokens_per_second": draw(st.floats(100, 1e4)),
                     "serve_tokens_per_second": draw(st.floats(100, 1e4)),
                     "utilisation": draw(st.floats(0.05, 1.0)),
                     "min_replicas": draw(st.integers(0, 4)),
                     "training_gpus": draw(st.integers(1, 8)),
                     "ops_hours_per_month": draw(st.floats(0, 40)),
                     "accuracy": draw(shares), "gpu_usd_per_hour": draw(st.floats(0.1, 10)),
                     "months_to_production": draw(st.integers(0, 6))},
        "hybrid": {"finetuned_share": draw(shares)},
    }


def scenarios(options=None):
    """Valid :class:`Scenario` objects with every rate pinned."""
    return scenario_dicts(options).map(Scenario.from_dict)


# ---- hostile input (issue 13's fuzz suite) -------------------------------------------------------

FUZZ_SCALE = float(os.environ.get("FTROI_FUZZ_SCALE", "1"))
"""Multiplies every fuzz test's example count: 1 in CI, larger for ``benchmarks/fuzz_long.py``."""


def fuzz_examples(n: int) -> int:
    """``n`` examples scaled by :data:`FUZZ_SCALE` (at least 1)."""
    return max(1, int(n * FUZZ_SCALE))


hostile_text = st.one_of(
    st.text(max_size=60),
    st.sampled_from(["", " ", "=1+1", "@SUM(A1)", "x;=cmd|' /C calc'!A0", "+x", "-2+3",
                     "\x00", "\ud800", "<|endoftext|>", "a" * 300, " " * 200, "\t=x",
                     "é" * 50, "💥" * 20, "\r\n", "[" * 50, "{}"]),
)
"""Texts a hostile user types: formulas, control characters, surrogates, long runs."""

bad_values = st.one_of(
    st.none(), st.booleans(), hostile_text,
    st.sampled_from([float("nan"), float("inf"), -float("inf"), 10 ** 5000, -(10 ** 30),
                     10 ** 19, 1e308, -1e-300, [], {}, [1, 2], {"a": 1}]),
    st.floats(), st.integers(),
)
"""Anything at all, for a field that wants a number."""


def _rule_values(rule, integer_field: bool):
    """Values inside ``rule``'s range, biased to its edges and to the magnitude cap."""
    from simulator.core.limits import MAX_NUMBER

    lo = rule.lo if rule.lo > -math.inf else -MAX_NUMBER
    hi = min(rule.hi, MAX_NUMBER)
    if integer_field:
        lo_i, hi_i = math.ceil(lo + (1 if rule.lo_open else 0)), math.floor(
            hi - (1 if rule.hi_open else 0))
        return st.one_of(st.sampled_from([lo_i, hi_i]), st.integers(lo_i, hi_i),
                         st.integers(lo_i, min(hi_i, lo_i + 10)))
    edges = [x for x in (lo, hi, lo + 1e-300, hi * (1 - 1e-12), 1e-9, 1.0, 1e6, 1e12)
             if (lo < x or (x == lo and not rule.lo_open))
             and (x < hi or (x == hi and not rule.hi_open))]
    return st.one_of(st.sampled_from(edges),
                     st.floats(lo, hi, exclude_min=rule.lo_open, exclude_max=rule.hi_open,
                               allow_nan=False))


@st.composite
def hostile_scenario_dicts(draw, bad_share: float = 0.1) -> dict:
    """Scenario dicts with every rate pinned and numbers anywhere in their allowed range
    (edges and the 1e15 cap included); about ``bad_share`` of the fields get a value of any
    type or size (:data:`bad_values`). Fields are read from the dataclasses' ``RULES``, so
    new fields are fuzzed too."""
    from simulator.model.scenario import SECTION_TYPES
    from simulator.model.scenario import Scenario as _S

    data = draw(scenario_dicts())
    for name, rule in _S.RULES.items():
        if draw(st.booleans()):
            data[name] = draw(_rule_values(rule, rule.integer))
    for section, cls in SECTION_TYPES.items():
        body = data.setdefault(section, {})
        for name, rule in cls.RULES.items():
            roll = draw(st.integers(0, 99))
            if roll < 100 * bad_share:
                body[name] = draw(bad_values)
            elif roll < 60:
                body[name] = draw(_rule_values(rule, rule.integer))
    if draw(st.integers(0, 99)) < 100 * bad_share:
        section = draw(st.sampled_from(sorted(SECTION_TYPES)))
        data[section][draw(st.sampled_from(["model", "provider", "title", "accuracy"]))] = \
            draw(bad_values)
    return data


# ---- graded eval files (simulator.model.evals) ---------------------------------------------------------

graded_lines = st.lists(st.one_of(
    st.text(max_size=40),
    st.sampled_from(["id,option,correct", "q1,a,1", '{"id": 1, "option": "a", "correct": '
                     + "9" * 5000 + "}", '{"eval": {}, "samples": [1]}', "[", "{", '"',
                     '{"results": {"results": [{"testIdx": 0}]}}']),
    st.builds(json.dumps, st.dictionaries(
        st.sampled_from(["id", "option", "correct", "score", "model", "x"]),
        st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.floats(allow_nan=True),
                  st.text(max_size=8)), max_size=5)),
), max_size=12)
"""Lines of a graded eval file: any text, JSON objects with eval-like fields of any type, and
a few shapes that trip readers (a 5,000-digit integer, half a document, a lone quote)."""


graded_answer_sets = st.dictionaries(
    st.tuples(st.text("abcxyz019", min_size=1, max_size=4),
              st.sampled_from(["prompt", "finetune", "rag"])),
    st.booleans(), min_size=1, max_size=40)
"""``{(example id, option): right}``: a valid set of graded answers."""
