"""Totals, NPV, break-even month and break-even volume."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from strategies import hand_scenario, pinned, scenarios

from simulator import Scenario, evaluate, simulate
from simulator.model.breakeven import (
    ReplicaSteps,
    at_or_below_limit,
    breakeven_month,
    breakeven_month_by_month,
    breakeven_month_of_ok,
    crossings_by_row,
    cumulative_usd_by_month,
    linear_breakeven_volume,
    npv_usd,
    payback_month_of_ok,
    stepped_windows,
    tco_usd,
)
from simulator.model.resolve import resolve
from simulator.model.scenario import with_values


def test_tco_and_npv_by_hand():
    monthly = np.array([1000.0, 100.0, 100.0])
    assert tco_usd(monthly) == pytest.approx(1200.0)
    assert npv_usd(monthly, 0.1) == pytest.approx(1000 + 100 / 1.1 ** (1 / 12)
                                                  + 100 / 1.1 ** (2 / 12))
    assert npv_usd(monthly, 0.0) == pytest.approx(1200.0)
    both = npv_usd(np.stack([monthly, 2 * monthly]), np.array([[0.0], [0.0]]))
    assert both.tolist() == pytest.approx([1200.0, 2400.0])


def test_breakeven_month_cases():
    base = np.array([0.0, 50, 50, 50, 50])
    assert breakeven_month(np.array([120.0, 10, 10, 10, 10]), base) == 3     # 160 ≤ 150? no;
    assert breakeven_month(np.array([0.0, 10, 10, 10, 10]), base) == 0      # never dearer
    assert np.isnan(breakeven_month(np.array([500.0, 10, 10, 10, 10]), base))
    # cheaper early, dearer at the end: no break-even (it must *stay* below)
    assert np.isnan(breakeven_month(np.array([0.0, 10, 10, 10, 200]), base))
    # a tie counts as break-even
    assert breakeven_month(np.array([40.0, 40, 50, 50, 50]), np.array([0.0, 80, 50, 50, 50])) == 1
    arr = breakeven_month(np.array([[120.0, 10, 10, 10, 10], [500.0, 10, 10, 10, 10]]), base)
    assert arr[0] == 3 and np.isnan(arr[1])


def test_linear_breakeven_volume():
    assert linear_breakeven_volume(1000.0, -0.5) == pytest.approx(2000.0)
    assert np.isnan(linear_breakeven_volume(1000.0, 0.0))     # parallel: never equal
    assert np.isnan(linear_breakeven_volume(1000.0, 0.5))     # root at a negative volume
    assert linear_breakeven_volume(0.0, 3.0) == 0.0
    out = linear_breakeven_volume(np.array([10.0, -10.0]), np.array([-1.0, 1.0]))
    assert out.tolist() == [10.0, 10.0]


def assert_intervals(got, expected, rel=1e-8):
    """Intervals equal to the hand-computed ones, each end to ``rel``."""
    assert len(got) == len(expected), (got, expected)
    for (lo, hi), (elo, ehi) in zip(got, expected):
        assert lo == pytest.approx(elo, rel=rel, abs=1e-9)
        assert hi == pytest.approx(ehi, rel=rel)


def test_stepped_windows_by_hand():
    # D(V) = 60 - V + 50 max(1, ceil(V/100)): 110 - V on [0, 100] (never ≤ 0), 160 - V on
    # (100, 200] (≤ 0 from 160), 210 - V on (200, 300] (from 210), and so on: ≤ 0 from 210.
    steps = ReplicaSteps(per_replica=np.array([100.0]), min_replicas=1, replica_usd=50.0)
    w = stepped_windows(60.0, -1.0, steps)
    assert w.status == "windows" and not w.exact and w.smallest == pytest.approx(160.0)
    assert_intervals(w.intervals, [(160.0, 200.0), (210.0, np.inf)])
    # The baseline self-hosts: D(V) = -60 + 0.6 V - 50 max(1, ceil(V/100)). On the k-th step
    # ((k-1)100, 100k] it is ≤ 0 up to (60 + 50k)/0.6: the whole step for k ≤ 6, then
    # shrinking windows until (60 + 50k)/0.6 falls below (k-1)100 at k = 12.
    w = stepped_windows(-60.0, 0.6, steps, sign=-1.0)
    expected = [(0.0, 410 / 0.6)] + [(100.0 * (k - 1), (60 + 50 * k) / 0.6)
                                     for k in (8, 9, 10, 11)]
    assert_intervals(w.intervals, expected)
    assert w.checked_up_to == np.inf


def test_breakeven_volume_by_hand():
    # prompt: fixed 1000 + 100/month, 1e-3 USD/request; finetune: fixed 2000, 1e-4 USD/request
    s = Scenario.from_dict(pinned({
        "horizon_months": 2, "discount_rate": 0, "options": ["prompt", "finetune"],
        "hourly_rate_usd": 100,
        "workload": {"requests_per_month": 1000, "input_tokens": 0, "output_tokens": 1000,
                     "chat_overhead_tokens": 0},
        "prompt": {"system_prompt_tokens": 0, "fewshot_tokens": 0, "engineering_hours": 10,
                   "maintenance_hours_per_month": 1, "output_usd_per_mtok": 1.0},
        "finetune": {"chat_overhead_tokens": 0,  # the tuned model's own k_ft
                     "prompt_tokens": 0, "examples": 1000, "tokens_per_example": 100,
                     "epochs": 1, "labelling_usd_per_example": 1.0, "data_prep_hours": 10,
                     "eval_usd_per_run": 0, "retrain_every_months": 0,
                     "train_usd_per_mtok": 0.0, "output_usd_per_mtok": 0.1,
                     "hosting_usd_per_hour": 0.0, "storage_usd_per_month": 0.0,
                     "maintenance_hours_per_month": 0},
        "data": {"holdout_share": 0.0},
    }))
    # TCO_prompt = 1000 + 2*100 + 2 V * 1e-3 ; TCO_ft = 1000 + 1000 + 2 V * 1e-4
    expected = (2000 - 1200) / (2 * 1e-3 - 2 * 1e-4)
    summary = simulate(s).summary.set_index("option")
    assert summary.loc["finetune", "breakeven_volume"] == pytest.approx(expected)
    assert summary.loc["finetune", "tco_usd"] == pytest.approx(2000 + 2 * 1000 * 1e-4)
    assert summary.loc["prompt", "tco_usd"] == pytest.approx(1200 + 2 * 1000 * 1e-3)
    at = simulate(with_values(s, {"workload.requests_per_month": expected}))
    tco = at.summary.set_index("option")["tco_usd"]
    assert tco["finetune"] == pytest.approx(tco["prompt"])


def test_selfhost_breakeven_volume_by_bisection():
    # 2000 tokens/s: a replica-month (1460 USD) serves 14.6 M requests of 180 tokens
    s = with_values(hand_scenario(options=["prompt", "selfhost"]),
                    {"selfhost.serve_tokens_per_second": 2000})
    volume = float(simulate(s).summary.set_index("option").loc["selfhost", "breakeven_volume"])
    assert volume > 0

    def gap(v):
        t = simulate(with_values(s, {"workload.requests_per_month": v})).summary
        t = t.set_index("option")["tco_usd"]
        return t["selfhost"] - t["prompt"]
    assert gap(volume * (1 - 1e-6)) > 0 >= gap(volume * (1 + 1e-6))


def test_breakeven_volume_is_missing_for_the_baseline_and_when_never():
    s = hand_scenario(options=["prompt", "finetune"])
    summary = simulate(s).summary.set_index("option")
    assert summary.loc["prompt", "breakeven_volume"] is pd_na()
    # identical per-request costs: the gap never closes
    same = with_values(s, {"finetune.input_usd_per_mtok": 0.0, "finetune.output_usd_per_mtok": 0.0,
                           "prompt.input_usd_per_mtok": 0.0, "prompt.output_usd_per_mtok": 0.0,
                           "prompt.cached_input_usd_per_mtok": 0.0,
                           "cost_per_error_usd": 0.0})
    assert simulate(same).summary.set_index("option").loc["finetune", "breakeven_volume"] \
        is pd_na()


def pd_na():
    import pandas as pd

    return pd.NA


@settings(max_examples=40, deadline=None)
@given(s=scenarios())
def test_cumulative_curves_cross_at_the_reported_month(s):
    result = simulate(s)
    cum = result.cumulative().pivot(index="month", columns="option", values="cumulative_usd")
    base = cum[s.baseline].to_numpy()
    for option, month in result.summary.set_index("option")["breakeven_month"].items():
        mine = cum[option].to_numpy()
        tol = 1e-9 * (np.abs(base) + 1)
        if month is pd_na():
            assert mine[-1] > base[-1] + tol[-1]
            continue
        month = int(month)
        assert (mine[month:] <= base[month:] + tol[month:]).all()
        if month > 0:
            assert mine[month - 1] > base[month - 1] + tol[month - 1]


@settings(max_examples=30, deadline=None)
@given(s=scenarios(options=["prompt", "finetune"]))
def test_at_each_end_of_an_interval_the_tcos_are_equal(s):
    result = simulate(s)
    assume(s.baseline == "prompt")
    for lo, hi in result.volume_windows["finetune"].intervals:
        for end in (lo, hi):
            if not 0 < end < 1e12:
                continue
            tco = simulate(with_values(s, {"workload.requests_per_month": float(end)})).summary
            tco = tco.set_index("option")["tco_usd"]
            assert tco["finetune"] == pytest.approx(tco["prompt"], rel=1e-6, abs=1e-6)


def test_array_breakeven_volume_matches_scalar():
    s = hand_scenario()
    inputs = resolve(s)
    rates = np.array([1.0, 2.0, 8.0])
    values = dict(inputs.values, **{"prompt.output_usd_per_mtok": rates})
    _, figures = evaluate(inputs, values)
    for i, r in enumerate(rates):
        one = dict(inputs.values, **{"prompt.output_usd_per_mtok": float(r)})
        _, single = evaluate(inputs, one)
        assert figures["selfhost"]["volume_windows"][i] == single["selfhost"]["volume_windows"][0]
        assert figures["selfhost"]["breakeven_volume"][i] == pytest.approx(
            single["selfhost"]["breakeven_volume"], nan_ok=True)


def test_docstring_examples_run():
    import doctest

    import simulator.model.breakeven

    assert doctest.testmod(simulator.model.breakeven).failed == 0


def test_stepped_windows_with_a_huge_replica_floor_stay_finite():
    # 10^15 replicas kept running: the floor dominates; found by the fuzz suite (issue 13)
    steps = ReplicaSteps(per_replica=np.array([100.0, 50.0]), min_replicas=1e15,
                         replica_usd=1.0)
    w = stepped_windows(-1.0, -1.0, steps)
    # D(V) = -1 - V + T(V) with T(V) = 2e15 up to V = 5e16: cheaper from 2e15 - 1 on
    assert w.intervals[0][0] == pytest.approx(2e15 - 1, rel=1e-9)
    assert w.checked_up_to <= np.inf


def _months_by_hand(ok_row):
    """Break-even, payback and crossing months of one row of ``ok``, read month by month."""
    ok_row = [bool(x) for x in ok_row]
    breakeven = None
    if ok_row[-1]:
        breakeven = 0
        for m, fine in enumerate(ok_row):
            if not fine:
                breakeven = m + 1
    payback = next((m for m, fine in enumerate(ok_row) if fine), None)
    crossings = [(0, True)] if ok_row[0] else []
    crossings += [(m, ok_row[m]) for m in range(1, len(ok_row)) if ok_row[m] != ok_row[m - 1]]
    return breakeven, payback, tuple(crossings)


@settings(max_examples=200, deadline=None)
@given(ok=arrays(bool, st.tuples(st.integers(1, 6), st.integers(1, 40))))
def test_month_figures_of_many_rows_match_a_month_by_month_reading(ok):
    """The vectorised break-even, payback and crossing months of every row (option or draw)
    equal a plain month-by-month reading of that row."""
    breakeven = breakeven_month_of_ok(ok)
    payback = payback_month_of_ok(ok)
    for row, got_b, got_p, got_c in zip(ok, breakeven, payback, crossings_by_row(ok)):
        want_b, want_p, want_c = _months_by_hand(row)
        assert (np.isnan(got_b) if want_b is None else got_b == want_b)
        assert (np.isnan(got_p) if want_p is None else got_p == want_p)
        assert got_c == want_c


finite_usd = st.floats(-1e6, 1e6, allow_nan=False) | st.just(np.nan)


@settings(max_examples=200, deadline=None)
@given(monthly=arrays(float, st.tuples(st.integers(1, 4), st.integers(1, 30), st.integers(1, 9)),
                      elements=finite_usd),
       base=st.integers(0, 3))
def test_months_first_running_sums_and_breakeven_equal_the_draws_first_ones(monthly, base):
    """Laid out months first ``(options, H+1, n)`` (a Monte Carlo block), the running sums
    are numpy's cumulative sums to the last bit and the break-even month of each option and
    draw is the one read draw by draw, NaN (a cost that is not a number) counting as dearer."""
    base = min(base, monthly.shape[0] - 1)
    cum = cumulative_usd_by_month(monthly.copy())
    np.testing.assert_array_equal(cum, np.cumsum(monthly, axis=-2))
    limit = at_or_below_limit(cum[base])
    got = breakeven_month_by_month(cum, limit)
    draws_first = np.swapaxes(cum, -1, -2)
    want = breakeven_month_of_ok(draws_first <= np.swapaxes(limit, -1, -2))
    np.testing.assert_array_equal(got, want)
    for option, draw in np.ndindex(got.shape):   # by hand: the months of one draw
        row = [bool(c <= lim) for c, lim in zip(cum[option, :, draw], limit[:, draw])]
        expected = _months_by_hand(np.array(row))[0]
        assert np.isnan(got[option, draw]) if expected is None else got[option, draw] == expected
