"""Monthly cost components: values worked out by hand, arrays, edge cases and properties."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from strategies import hand_scenario, scenarios

from simulator import Scenario, evaluate, simulate
from simulator.model.cost import (
    month_index,
    month_where,
    price_decline_factor,
    requests_per_month,
    total_usd,
    training_schedule,
    whole_replicas,
)
from simulator.model.resolve import resolve
from simulator.model.scenario import with_values

# The hand scenario (tests/strategies.py): V_1 = 1000, g = 0.1, u = 100, o = 50, k = 10,
# d = 0.2/year, 100 USD/h, 0.01 USD per error, H = 3.
V = [0.0, 1000.0, 1100.0, 1210.0]
DECLINE = [1.0, 1.0, 0.8 ** (1 / 12), 0.8 ** (2 / 12)]


def cell(result, option: str, month: int, component: str) -> float:
    m = result.monthly
    rows = m[(m.option == option) & (m.month == month) & (m.component == component)]
    assert len(rows) <= 1
    return float(rows.cost_usd.iloc[0]) if len(rows) else 0.0


@pytest.fixture(scope="module")
def hand():
    return simulate(hand_scenario())


def test_prompt_by_hand(hand):
    # static 500 tokens: half cached at 0.5, half at 2.0 -> 500 * 1.25; u + k = 110 at 2.0;
    # 50 output at 8.0; 20% batch at half price -> x (1 - 0.2 * 0.5) = 0.9
    per_request = (500 * 1.25 + 110 * 2.0 + 50 * 8.0) / 1e6 * 0.9
    for m in (1, 2, 3):
        assert cell(hand, "prompt", m, "inference") == pytest.approx(
            V[m] * per_request * DECLINE[m])
        assert cell(hand, "prompt", m, "engineering") == pytest.approx(100.0)
        assert cell(hand, "prompt", m, "errors") == pytest.approx(V[m] * 0.2 * 0.01)
    assert cell(hand, "prompt", 0, "engineering") == pytest.approx(1000.0)
    assert cell(hand, "prompt", 0, "inference") == 0.0


def test_rag_by_hand(hand):
    per_request = (500 * 1.25 + (1000 + 110) * 2.0 + 50 * 8.0) / 1e6 * 0.9
    assert cell(hand, "rag", 0, "embedding") == pytest.approx(1e6 * 0.1 / 1e6)
    assert cell(hand, "rag", 0, "engineering") == pytest.approx((10 + 2) * 100)
    for m in (1, 2, 3):
        assert cell(hand, "rag", m, "inference") == pytest.approx(V[m] * per_request * DECLINE[m])
        # re-embedding 10% of the corpus plus each query's 100 tokens, at the declined rate
        reembed = 1e6 * 0.1 * 0.1 / 1e6
        queries = V[m] * 100 * 0.1 / 1e6
        assert cell(hand, "rag", m, "embedding") == pytest.approx((reembed + queries) * DECLINE[m])
        assert cell(hand, "rag", m, "infrastructure") == pytest.approx(30.0)
        assert cell(hand, "rag", m, "engineering") == pytest.approx(100.0)
        assert cell(hand, "rag", m, "errors") == pytest.approx(V[m] * 0.2 * 0.01)


def test_finetune_by_hand(hand):
    # 100 examples of 500 tokens capped at 400, 2 epochs, 10 USD/Mtok
    assert cell(hand, "finetune", 0, "training") == pytest.approx(100 * 400 * 2 * 10 / 1e6)
    assert cell(hand, "finetune", 0, "labelling") == pytest.approx(100 * 1.0)
    assert cell(hand, "finetune", 0, "evaluation") == pytest.approx(20.0)
    assert cell(hand, "finetune", 0, "engineering") == pytest.approx(5 * 100)
    # retraining at month 2 on 150 examples at month 2's declined price; 50 newly labelled
    assert cell(hand, "finetune", 2, "training") == pytest.approx(
        150 * 400 * 2 * 10 / 1e6 * 0.8 ** (1 / 12))
    assert cell(hand, "finetune", 2, "labelling") == pytest.approx(50.0)
    assert cell(hand, "finetune", 2, "evaluation") == pytest.approx(20.0)
    for m in (1, 3):
        assert cell(hand, "finetune", m, "training") == 0.0
        assert cell(hand, "finetune", m, "evaluation") == 0.0
    per_request = ((20 + 100 + 10) * 0.3 + 50 * 1.2) / 1e6
    for m in (1, 2, 3):
        assert cell(hand, "finetune", m, "inference") == pytest.approx(
            V[m] * per_request * DECLINE[m])
        # hosting 0.5 USD/h around the clock plus 1.5 USD/month of model storage
        assert cell(hand, "finetune", m, "hosting") == pytest.approx(0.5 * 730 + 1.5)
        assert cell(hand, "finetune", m, "errors") == pytest.approx(V[m] * 0.1 * 0.01)
        # upkeep: unset, so the same 1 h/month as the prompt's, at 100 USD/h
        assert cell(hand, "finetune", m, "engineering") == pytest.approx(1 * 100)


def test_selfhost_by_hand(hand):
    # training: 100 x 500 tokens (no provider cap) x 2 epochs at 1000 tok/s per GPU on 2 GPUs
    # that scale at 90% (1.9 x one GPU's speed), billed 2 GPUs x 2 USD/h
    assert cell(hand, "selfhost", 0, "training") == pytest.approx(
        100 * 500 * 2 / (1000 * 1.9 * 3600) * 2 * 2.0)
    assert cell(hand, "selfhost", 2, "training") == pytest.approx(
        150 * 500 * 2 / (1000 * 1.9 * 3600) * 2 * 2.0)
    assert cell(hand, "selfhost", 0, "engineering") == pytest.approx((5 + 3) * 100)
    # 180 tokens per request; one replica serves 50 x 3600 x 730 x 0.5 tokens a month
    capacity = 50 * 3600 * 730 * 0.5
    for m in (1, 2, 3):
        replicas = max(1, math.ceil(V[m] * 180 / capacity))
        assert replicas == 1
        assert cell(hand, "selfhost", m, "hosting") == pytest.approx(replicas * 730 * 2.0)
        assert cell(hand, "selfhost", m, "engineering") == pytest.approx(2 * 100)
        assert cell(hand, "selfhost", m, "errors") == pytest.approx(V[m] * 0.15 * 0.01)


def test_selfhost_replicas_step_with_traffic():
    result = simulate(with_values(hand_scenario(), {"workload.requests_per_month": 1e6}))
    capacity = 50 * 3600 * 730 * 0.5                 # 65.7 M tokens per replica-month
    for m, expected in ((1, 3), (2, 4), (3, 4)):      # 180e6, 198e6, 217.8e6 tokens
        volume = 1e6 * 1.1 ** (m - 1)
        assert math.ceil(volume * 180 / capacity) == expected
        assert cell(result, "selfhost", m, "hosting") == pytest.approx(expected * 730 * 2.0)


def test_hybrid_by_hand(hand):
    prompt = (500 * 1.25 + 110 * 2.0 + 50 * 8.0) / 1e6 * 0.9
    tuned = ((20 + 100 + 10) * 0.3 + 50 * 1.2) / 1e6
    assert cell(hand, "hybrid", 0, "engineering") == pytest.approx((10 + 5) * 100)
    assert cell(hand, "hybrid", 0, "training") == pytest.approx(0.8)
    for m in (1, 2, 3):
        assert cell(hand, "hybrid", m, "inference") == pytest.approx(
            V[m] * (0.25 * tuned + 0.75 * prompt) * DECLINE[m])
        assert cell(hand, "hybrid", m, "hosting") == pytest.approx(0.5 * 730 + 1.5)
        accuracy = 0.25 * 0.9 + 0.75 * 0.8
        assert cell(hand, "hybrid", m, "errors") == pytest.approx(V[m] * (1 - accuracy) * 0.01)
        # prompt upkeep 1 h plus the tuned model's (the same 1 h by default), at 100 USD/h
        assert cell(hand, "hybrid", m, "engineering") == pytest.approx(200.0)


def test_auto_epochs_per_run():
    s = with_values(hand_scenario(), {"finetune.epochs": "auto", "finetune.examples": 20})
    result = simulate(s)
    # OpenAI's rule: 20 examples x 3 < 100 -> 100 // 20 = 5 epochs; 70 examples -> 3 epochs
    assert cell(result, "finetune", 0, "training") == pytest.approx(20 * 400 * 5 * 10 / 1e6)
    assert cell(result, "finetune", 2, "training") == pytest.approx(
        70 * 400 * 3 * 10 / 1e6 * 0.8 ** (1 / 12))


def test_minimum_training_charge():
    s = with_values(hand_scenario(), {"finetune.min_charge_usd": 5.0})
    result = simulate(s)
    assert cell(result, "finetune", 0, "training") == pytest.approx(5.0)
    assert cell(result, "finetune", 2, "training") == pytest.approx(5.0)
    assert cell(result, "finetune", 1, "training") == 0.0


def test_no_retraining():
    result = simulate(with_values(hand_scenario(), {"finetune.retrain_every_months": 0}))
    assert cell(result, "finetune", 2, "training") == 0.0
    assert cell(result, "finetune", 2, "labelling") == 0.0


def test_labelling_hours_are_billed_at_the_hourly_rate():
    s = with_values(hand_scenario(), {"finetune.labelling_hours_per_example": 0.1})
    result = simulate(s)
    assert cell(result, "finetune", 0, "labelling") == pytest.approx(100 * (1.0 + 0.1 * 100))


# ---- the small functions -----------------------------------------------------------------------

def test_requests_per_month_scalar_and_array():
    months = month_index(3)
    assert requests_per_month(100.0, 0.5, months).tolist() == [0.0, 100.0, 150.0, 225.0]
    v1 = np.array([[100.0], [200.0]])
    out = requests_per_month(v1, 0.0, months)
    assert out.shape == (2, 4)
    assert out[1].tolist() == [0.0, 200.0, 200.0, 200.0]


def test_price_decline_factor_starts_at_one():
    f = price_decline_factor(0.5, month_index(13))
    assert f[0] == f[1] == 1.0
    assert f[13] == pytest.approx(0.5)


def test_training_schedule_never_retrains_when_every_is_zero():
    runs, n, new = training_schedule(600, 200, 0, month_index(12))
    assert runs.tolist() == [1.0] + [0.0] * 12
    assert n[0] == 600 and new[0] == 600 and new[1:].sum() == 0


def test_training_schedule_includes_the_horizon_month():
    runs, n, _ = training_schedule(10, 5, 4, month_index(8))
    assert np.flatnonzero(runs).tolist() == [0, 4, 8]
    assert n[8] == 20


def test_whole_replicas_respect_the_minimum_and_month_zero():
    months = np.array([0.0, 1.0, 2.0])
    # 5e9 tokens at 100 tokens/s x 3600 x 730 h = 19.03 replicas at month 0 (none then)
    assert whole_replicas(np.array([5e9 / 2.628e8, 0.0, 1.0 / 2.628e8]), 2,
                          months).tolist() == [0.0, 2.0, 2.0]
    assert whole_replicas(np.zeros(3), 0, months).tolist() == [0.0, 0.0, 0.0]
    assert whole_replicas(np.array([0.0, 2.5, 3.0 + 1e-12]), 1, months).tolist() == \
        [0.0, 3.0, 3.0]


# ---- vectorised = scalar ------------------------------------------------------------------------

def test_array_inputs_match_scalar_simulations():
    s = hand_scenario()
    inputs = resolve(s)
    volumes = np.array([0.0, 500.0, 1e6])
    tokens = np.array([0.0, 300.0, 2000.0])
    values = dict(inputs.values, **{"workload.requests_per_month": volumes,
                                    "prompt.fewshot_tokens": tokens})
    costs, figures = evaluate(inputs, values)
    for i in range(3):
        one = simulate(with_values(s, {"workload.requests_per_month": float(volumes[i]),
                                       "prompt.fewshot_tokens": float(tokens[i])}))
        summary = one.summary.set_index("option")
        for option in s.simulated_options:
            assert figures[option]["tco_usd"][i] == pytest.approx(summary.loc[option, "tco_usd"])
            assert figures[option]["npv_usd"][i] == pytest.approx(summary.loc[option, "npv_usd"])
            for arr in costs[option].values():
                assert arr.shape == (3, 4)


# ---- properties ---------------------------------------------------------------------------------

def _monthly_totals(result):
    return result.monthly.groupby(["option", "month"])["cost_usd"].sum()


@settings(max_examples=40, deadline=None)
@given(s=scenarios(), factor=st.floats(1.0, 10.0))
def test_cost_never_falls_when_volume_rises(s, factor):
    v = s.workload.requests_per_month
    low = simulate(s)
    high = simulate(with_values(s, {"workload.requests_per_month": v * factor + 1.0}))
    a, b = _monthly_totals(low), _monthly_totals(high)
    a = a.reindex(b.index, fill_value=0.0)
    assert (b >= a - 1e-9 * (1 + a.abs())).all()


RATE_FIELDS = ("prompt.input_usd_per_mtok", "prompt.cached_input_usd_per_mtok",
               "prompt.output_usd_per_mtok", "rag.embedding_usd_per_mtok",
               "finetune.train_usd_per_mtok", "finetune.input_usd_per_mtok",
               "finetune.output_usd_per_mtok", "finetune.hosting_usd_per_hour",
               "finetune.min_charge_usd", "finetune.storage_usd_per_month",
               "finetune.validation_usd_per_mtok", "selfhost.gpu_usd_per_hour")
VARIABLE = ("inference", "embedding", "hosting", "training")


@settings(max_examples=40, deadline=None)
@given(s=scenarios())
def test_doubling_every_rate_doubles_every_variable_cost(s):
    inputs = resolve(s)
    doubled = dict(inputs.values)
    for f in RATE_FIELDS:
        doubled[f] = 2 * doubled[f]
    base_costs, _ = evaluate(inputs, volumes=False)
    double_costs, _ = evaluate(inputs, doubled, volumes=False)
    for option, comps in base_costs.items():
        for component in VARIABLE:
            if component in comps:
                np.testing.assert_allclose(double_costs[option][component], 2 * comps[component],
                                           rtol=1e-12, atol=1e-9)


@settings(max_examples=40, deadline=None)
@given(s=scenarios())
def test_no_nan_or_infinity_for_a_valid_scenario(s):
    result = simulate(s)
    assert np.isfinite(result.monthly.cost_usd.to_numpy()).all()
    for col in ("tco_usd", "npv_usd", "upfront_usd", "savings_usd", "requests"):
        assert np.isfinite(result.summary[col].to_numpy(dtype=float)).all()
    assert (result.monthly.cost_usd >= 0).all()


def test_all_rates_pinned_needs_no_price_table():
    """Only lifecycle facts are read when every rate is pinned: a negotiated rate does not
    keep a model from retiring."""
    from pricing import NO_LIFECYCLE

    class NoTable:
        def model_lifecycle(self, provider, model):
            return NO_LIFECYCLE

        def offering_lifecycle(self, provider, model):
            return NO_LIFECYCLE

        def __getattr__(self, name):
            raise AssertionError(f"the price table was consulted ({name})")

    result = simulate(hand_scenario(), table=NoTable())
    assert set(result.summary.option) == {"prompt", "rag", "finetune", "selfhost", "hybrid"}


def test_scenario_type_is_checked():
    with pytest.raises(TypeError):
        simulate({"horizon_months": 3})
    assert isinstance(hand_scenario(), Scenario)


def test_docstring_examples_run():
    import doctest

    import simulator.model.cost

    assert doctest.testmod(simulator.model.cost).failed == 0


def test_finetune_upkeep_hours_are_charged_every_month():
    """finetune.maintenance_hours_per_month × hourly rate lands in engineering, months 1..H."""
    from simulator import example_scenario, simulate

    base = example_scenario()
    with_upkeep = base.with_values(**{"finetune.maintenance_hours_per_month": 3})
    rate, horizon = base.hourly_rate_usd, base.horizon_months
    a, b = (simulate(s).summary.set_index("option") for s in (base, with_upkeep))
    # unset, the tuned model's upkeep is the prompt's (4 h/month in the example); it is paid
    # from the month the tuned model serves (after months_to_production)
    change = 3 - base.prompt.maintenance_hours_per_month
    from simulator.model.scenario import DEFAULT_FINETUNE_MONTHS_TO_PRODUCTION

    serving = horizon - DEFAULT_FINETUNE_MONTHS_TO_PRODUCTION
    assert b.loc["finetune", "tco_usd"] - a.loc["finetune", "tco_usd"] == \
        pytest.approx(change * rate * serving)
    assert b.loc["hybrid", "tco_usd"] - a.loc["hybrid", "tco_usd"] == \
        pytest.approx(change * rate * serving)
    assert b.loc["prompt", "tco_usd"] == a.loc["prompt", "tco_usd"]


@settings(max_examples=100, deadline=None)
@given(n=st.integers(1, 50), months=st.integers(1, 40), data=st.data())
def test_total_usd_equals_the_plain_sum(n, months, data):
    """Components of mixed shapes (the same in every draw, per draw, per draw and month) sum
    to what adding them one by one gives."""
    shapes = data.draw(st.lists(st.sampled_from([(months,), (n, months), (n, 1)]),
                                min_size=1, max_size=8))
    parts = {f"c{i}": data.draw(arrays(float, shape, elements=st.floats(0, 1e6)))
             for i, shape in enumerate(shapes)}
    expected = sum(parts.values())
    got = total_usd(parts)
    assert got.shape == np.shape(expected)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-6)


# ---- reasoning tokens, cache writes and each road's chat overhead (issue 17) -------------------

def test_reasoning_cache_writes_and_tuned_chat_overhead_by_hand():
    from simulator.model.cost import selfhost_tokens_per_request

    s = with_values(hand_scenario(), {
        "prompt.reasoning_tokens": 40, "prompt.cache_write_share": 0.2,
        "prompt.cache_write_usd_per_mtok": 2.5, "finetune.reasoning_tokens": 10,
        "finetune.chat_overhead_tokens": 4, "selfhost.reasoning_tokens": 30,
        "workload.requests_per_month": 1000})
    result = simulate(s)
    # static 500: half read from the cache at 0.5, a fifth written at 2.5, the rest at 2.0;
    # u + k = 110 at 2.0; 50 output + 40 reasoning at 8.0; 20% batch at half price
    static = 500 * (0.5 * 0.5 + 0.2 * 2.5 + 0.3 * 2.0)
    prompt = (static + 110 * 2.0 + (50 + 40) * 8.0) / 1e6 * 0.9
    rag = (static + (1000 + 110) * 2.0 + (50 + 40) * 8.0) / 1e6 * 0.9
    # the tuned model: its own 4 chat-format tokens (not the prompted 10), 50 + 10 out
    tuned = ((20 + 100 + 4) * 0.3 + (50 + 10) * 1.2) / 1e6
    for m in (1, 2, 3):
        assert cell(result, "prompt", m, "inference") == pytest.approx(
            V[m] * prompt * DECLINE[m])
        assert cell(result, "rag", m, "inference") == pytest.approx(V[m] * rag * DECLINE[m])
        assert cell(result, "finetune", m, "inference") == pytest.approx(
            V[m] * tuned * DECLINE[m])
        assert cell(result, "hybrid", m, "inference") == pytest.approx(
            V[m] * (0.25 * tuned + 0.75 * prompt) * DECLINE[m])
    # self-hosted serving tokens: s_ft + u + k_ft + o + reasoning = 20 + 100 + 4 + 50 + 30
    assert selfhost_tokens_per_request(resolve(s).values) == 204


def test_reasoning_tokens_at_zero_change_nothing(hand):
    same = simulate(with_values(hand_scenario(), {"prompt.reasoning_tokens": 0,
                                                  "finetune.reasoning_tokens": 0,
                                                  "selfhost.reasoning_tokens": 0}))
    assert same.monthly.cost_usd.tolist() == hand.monthly.cost_usd.tolist()


def test_cache_write_rate_from_the_price_table():
    # Anthropic bills 5-minute cache writes at 1.25 × the input rate (3.00 -> 3.75 USD/Mtok
    # for claude-sonnet-4-5), through genai-prices' cache_write_mtok.
    s = with_values(hand_scenario(), {
        "prompt.model": "claude-sonnet-4-5", "prompt.input_usd_per_mtok": None,
        "prompt.cached_input_usd_per_mtok": None, "prompt.output_usd_per_mtok": None,
        "prompt.batch_discount": None, "prompt.cache_write_share": 0.1,
        "options": ["prompt"], "as_of": "2026-12-07"})
    inputs = resolve(s)
    assert inputs.values["prompt.input_usd_per_mtok"] == 3.0
    assert inputs.values["prompt.cache_write_usd_per_mtok"] == pytest.approx(1.25 * 3.0)
    row = next(r for r in inputs.prices if r["field"] == "prompt.cache_write_usd_per_mtok")
    assert row["value"] == pytest.approx(3.75) and "genai-prices" in row["source"]


def test_no_cache_write_rate_listed_bills_the_input_rate():
    # gpt-4.1: OpenAI lists no cache-write price; writing the prefix costs the input rate.
    s = with_values(hand_scenario(), {"prompt.model": "gpt-4.1", "as_of": "2026-12-07",
                                      "prompt.cache_write_share": 0.5,
                                      "prompt.cached_share": 0.5})
    inputs = resolve(s)
    assert inputs.values["prompt.cache_write_usd_per_mtok"] == 2.0   # the pinned input rate
    row = next(r for r in inputs.prices if r["field"] == "prompt.cache_write_usd_per_mtok")
    assert "no cache-write rate listed" in row["note"]


def test_tuned_chat_overhead_defaults_to_the_tuned_model_s_own_rule():
    from simulator.model.resolve import chat_overhead

    s = with_values(hand_scenario(), {"finetune.chat_overhead_tokens": None,
                                      "workload.chat_overhead_tokens": 107})
    values = resolve(s).values
    assert values["workload.chat_overhead_tokens"] == 107
    assert values["finetune.chat_overhead_tokens"] == chat_overhead(s.finetune.model)
    # the hand scenario's tuned model is unpriced but named: its chat rule is counted all the same
    assert values["finetune.chat_overhead_tokens"] < 20


def test_cached_and_cache_write_shares_cannot_exceed_the_prefix():
    from simulator import InputError

    with pytest.raises(InputError, match=r"prompt.cache_write_share: cached_share \+ "
                                         r"cache_write_share must be ≤ 1.*0.9 \+ 0.2"):
        with_values(hand_scenario(), {"prompt.cached_share": 0.9,
                                      "prompt.cache_write_share": 0.2})


@settings(max_examples=300, deadline=None)
@given(data=st.data(), draws=st.integers(1, 5), months=st.integers(1, 8),
       b_kind=st.sampled_from(["number", "column", "row", "full"]), times=st.booleans(),
       overwrite=st.booleans())
def test_month_where_is_numpys_where(data, draws, months, b_kind, times, overwrite):
    """Masks of months that are one run (a time to production, a fall back) or not, any
    shape of the value for the months off: the same numbers as ``np.where``, and the caller's
    arrays untouched unless it gives ``a`` up."""
    floats = st.floats(-1e6, 1e6)
    on = np.array(data.draw(st.lists(st.booleans(), min_size=months, max_size=months)))
    a = data.draw(arrays(float, (draws, months), elements=floats))
    shape = {"number": (), "column": (draws, 1), "row": (months,), "full": (draws, months)}
    b = data.draw(arrays(float, shape[b_kind], elements=floats))
    b = float(b) if b_kind == "number" else b
    b_times = data.draw(arrays(float, (draws, months), elements=floats)) if times else None
    expected = np.where(on, a, b if b_times is None else b_times * b)
    kept = a.copy()
    got = month_where(on, a, b, b_times=b_times, overwrite=overwrite)
    np.testing.assert_array_equal(got, expected)
    if not overwrite:
        np.testing.assert_array_equal(a, kept)
