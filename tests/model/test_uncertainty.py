"""Monte Carlo, tornado and grid: the same chain as simulate, checked against it."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import hand_scenario, scenarios

from simulator import (
    InputError,
    Lognormal,
    Triangular,
    Uniform,
    example_scenario,
    monte_carlo,
    savings_grid,
    sensitivity,
    simulate,
)
from simulator.model.scenario import with_values
from simulator.model.uncertainty import month_percentiles, sorted_percentiles


def summary(result):
    return result.summary.set_index("option")


# ---- distributions ------------------------------------------------------------------------------

def test_distributions_sample_their_range():
    rng = np.random.default_rng(0)
    t = Triangular(low=1.0, mode=2.0, high=4.0).sample(rng, 20_000)
    assert t.min() >= 1.0 and t.max() <= 4.0
    assert t.mean() == pytest.approx((1 + 2 + 4) / 3, rel=0.02)
    u = Uniform(low=-1.0, high=1.0).sample(rng, 20_000)
    assert abs(u.mean()) < 0.02
    ln = Lognormal(median=10.0, sigma=0.5).sample(rng, 20_000)
    assert np.median(ln) == pytest.approx(10.0, rel=0.03)


def test_degenerate_distributions_are_constants():
    rng = np.random.default_rng(0)
    assert Triangular(low=3, mode=3, high=3).sample(rng, 4).tolist() == [3.0] * 4
    assert Uniform(low=2, high=2).sample(rng, 2).tolist() == [2.0, 2.0]
    assert Lognormal(median=5, sigma=0).sample(rng, 2).tolist() == [5.0, 5.0]


@pytest.mark.parametrize("make, message", [
    (lambda: Triangular(low=3, mode=1, high=5), "low ≤ mode ≤ high"),
    (lambda: Uniform(low=2, high=1), "low ≤ high"),
    (lambda: Lognormal(median=0, sigma=1), "Lognormal.median: must be > 0"),
    (lambda: Lognormal(median=1, sigma=-1), "Lognormal.sigma: must be ≥ 0"),
    (lambda: Uniform(low=float("nan"), high=1), "Uniform.low: must be a finite number"),
])
def test_bad_distributions(make, message):
    with pytest.raises(InputError, match=message):
        make()


# ---- Monte Carlo --------------------------------------------------------------------------------

@settings(max_examples=25, deadline=None)
@given(s=scenarios())
def test_zero_spread_equals_simulate(s):
    v = s.workload.requests_per_month
    mc = monte_carlo(s, {"workload.requests_per_month": Triangular(low=v, mode=v, high=v),
                         "cost_per_error_usd": Uniform(low=s.cost_per_error_usd,
                                                       high=s.cost_per_error_usd)},
                     n=7, seed=1)
    expected = summary(simulate(s))
    got = summary(mc)
    for option in s.simulated_options:
        assert got.loc[option, "savings_p50_usd"] == pytest.approx(
            expected.loc[option, "savings_usd"], rel=1e-12, abs=1e-9)
        assert got.loc[option, "p_cheaper"] == float(expected.loc[option, "savings_usd"] > 0)
        month = expected.loc[option, "breakeven_month"]
        if not _na(month):
            assert got.loc[option, "breakeven_month_p50"] == month
        else:
            assert _na(got.loc[option, "breakeven_month_p50"])


DRAWN = {  # field -> (low, high) of a uniform draw; all five options use at least one
    "workload.requests_per_month": (0.0, 3e6),
    "workload.growth_per_month": (-0.1, 0.1),
    "prompt.input_usd_per_mtok": (0.0, 20.0),
    "finetune.labelling_usd_per_example": (0.0, 8.0),
    "finetune.accuracy": (0.5, 1.0),
    "selfhost.serve_tokens_per_second": (100.0, 5000.0),
    "cost_per_error_usd": (0.0, 1.0),
}


@settings(max_examples=20, deadline=None)
@given(s=scenarios(options=["prompt", "rag", "finetune", "selfhost", "hybrid"]))
def test_each_draw_equals_simulate_of_its_own_scenario(s):
    """The streamed Monte Carlo path (components summed as they are made, shared inference
    bills, running sums per option, blocks of draws) prices every draw as ``simulate`` prices
    a scenario holding that draw's values."""
    mc = monte_carlo(s, {k: Uniform(low=lo, high=hi) for k, (lo, hi) in DRAWN.items()},
                     n=3, seed=2)
    for i in range(3):
        one = summary(simulate(with_values(s, {k: float(mc.draws[k][i]) for k in DRAWN})))
        for option in s.simulated_options:
            assert mc.tco_usd[option][i] == pytest.approx(one.loc[option, "tco_usd"],
                                                          rel=1e-9, abs=1e-6)
            month = one.loc[option, "breakeven_month"]
            got = mc.breakeven_month[option][i]
            assert (np.isnan(got) and _na(month)) or got == month


def _na(x):
    import pandas as pd

    return x is pd.NA or (isinstance(x, float) and np.isnan(x))


def test_same_seed_same_draws_and_generator_accepted():
    s = hand_scenario()
    dists = {"workload.requests_per_month": Lognormal(median=1000, sigma=0.5),
             "finetune.accuracy": Triangular(low=0.8, mode=0.9, high=0.95)}
    a = monte_carlo(s, dists, n=200, seed=42)
    b = monte_carlo(s, dists, n=200, seed=42)
    c = monte_carlo(s, dists, n=200, seed=np.random.default_rng(42))
    d = monte_carlo(s, dists, n=200, seed=43)
    assert a.draws.equals(b.draws) and a.draws.equals(c.draws)
    assert a.savings_usd.equals(b.savings_usd)
    assert not a.draws.equals(d.draws)


def test_each_draw_equals_a_simulation_of_that_draw():
    s = hand_scenario()
    mc = monte_carlo(s, {"workload.requests_per_month": Uniform(low=0, high=5e6),
                         "finetune.examples": Uniform(low=10, high=5000),
                         "selfhost.min_replicas": Uniform(low=0, high=3),
                         "prompt.output_usd_per_mtok": Lognormal(median=8, sigma=0.3)},
                     n=6, seed=7)
    assert (mc.draws["finetune.examples"] % 1 == 0).all()     # whole numbers are rounded
    for i, row in mc.draws.iterrows():
        one = simulate(with_values(s, {k: (int(v) if k in ("finetune.examples",
                                                             "selfhost.min_replicas") else v)
                                       for k, v in row.items()}))
        sm = summary(one)
        for option in s.simulated_options:
            assert mc.savings_usd.loc[i, option] == pytest.approx(sm.loc[option, "savings_usd"])
            assert mc.tco_usd.loc[i, option] == pytest.approx(sm.loc[option, "tco_usd"])


def test_probability_and_percentiles():
    s = hand_scenario(options=["prompt", "finetune"])
    mc = monte_carlo(s, {"workload.requests_per_month": Uniform(low=0, high=2e6)}, n=4000,
                     seed=3)
    row = summary(mc).loc["finetune"]
    savings = mc.savings_usd["finetune"].to_numpy()
    assert row["p_cheaper"] == pytest.approx(np.mean(savings > 0))
    assert row["savings_p5_usd"] <= row["savings_p50_usd"] <= row["savings_p95_usd"]
    # savings are linear in volume here, so P(cheaper) = share of volumes above break-even
    volume = float(summary(simulate(s)).loc["finetune", "breakeven_volume"])
    assert row["p_cheaper"] == pytest.approx(1 - volume / 2e6, abs=0.03)


@settings(max_examples=200, deadline=None)
@given(months=st.lists(st.lists(st.one_of(st.integers(0, 12).map(float), st.just(np.nan)),
                                min_size=1, max_size=60), min_size=1, max_size=3)
       .map(lambda rows: [r[:min(map(len, rows))] for r in rows]),
       q=st.lists(st.floats(0, 100), min_size=1, max_size=4))
def test_month_percentiles_are_numpys_inverted_cdf(months, q):
    """Counting draws per month picks the same draw as numpy's inverted-CDF percentile with
    "never" (NaN) read as infinity, for any count of draws and any percentile."""
    months = np.array(months)
    never_as_inf = np.where(np.isnan(months), np.inf, months)
    expected = np.percentile(never_as_inf, q, axis=1, method="inverted_cdf")
    got = month_percentiles(months, q, 12)
    np.testing.assert_array_equal(np.where(np.isnan(got), np.inf, got), expected)


@settings(max_examples=200, deadline=None)
@given(rows=st.lists(st.lists(st.one_of(st.floats(-1e12, 1e12), st.just(np.nan)), min_size=1,
                              max_size=50), min_size=1,
                     max_size=3).map(lambda rows: [r[:min(map(len, rows))] for r in rows]),
       q=st.lists(st.floats(0, 100), min_size=1, max_size=4))
def test_sorted_percentiles_are_numpys(rows, q):
    """The savings percentiles read off sorted draws are numpy's to the last bit."""
    rows = np.array(rows)
    np.testing.assert_array_equal(sorted_percentiles(np.sort(rows, axis=1), q),
                                  np.percentile(rows, q, axis=1))


def test_month_percentiles_by_hand():
    # 20 draws: 10 in month 2, 6 in month 5, 4 never. p5 = 1st smallest (rank ⌈1⌉),
    # p50 = 10th (month 2), p80 = 16th (month 5), p85 = 17th (never)
    months = np.array([[2.0] * 10 + [5.0] * 6 + [np.nan] * 4])
    got = month_percentiles(months, (5, 50, 80, 85), 36)
    assert got[:3, 0].tolist() == [2.0, 2.0, 5.0] and np.isnan(got[3, 0])


@pytest.mark.parametrize("dists, message", [
    ({"workload.volume": Uniform(low=0, high=1)}, r"^workload\.volume: not a numeric"),
    ({"finetune.accuracy": Uniform(low=0.9, high=1.2)},
     r"^finetune\.accuracy: must be a share in \[0, 1\], but \d+ drawn value"),
    ({"horizon_months": Uniform(low=6, high=12)}, r"^horizon_months: cannot vary"),
    ({"workload.input_tokens": (1, 2)}, r"^workload\.input_tokens: expected a Triangular"),
])
def test_monte_carlo_refuses_bad_fields(dists, message):
    with pytest.raises(InputError, match=message):
        monte_carlo(hand_scenario(), dists, n=100, seed=0)


def test_monte_carlo_refuses_bad_n_and_seed():
    with pytest.raises(InputError, match="^n: "):
        monte_carlo(hand_scenario(), {}, n=0)
    with pytest.raises(InputError, match="^seed: "):
        monte_carlo(hand_scenario(), {}, n=10, seed="x")


def test_field_of_an_option_not_simulated():
    s = hand_scenario(options=["prompt", "finetune"])
    with pytest.raises(InputError, match=r"^selfhost\.gpu_usd_per_hour: not used"):
        monte_carlo(s, {"selfhost.gpu_usd_per_hour": Uniform(low=1, high=2)}, n=10, seed=0)


# ---- tornado ------------------------------------------------------------------------------------

def test_sensitivity_by_hand():
    s = hand_scenario(options=["prompt", "finetune"])
    table = sensitivity(s, {"finetune.labelling_usd_per_example": (0.5, 10.0),
                            "finetune.eval_usd_per_run": (0.0, 100.0),
                            "workload.output_tokens": (50, 50)})
    assert list(table.field) == ["finetune.labelling_usd_per_example",
                                 "finetune.eval_usd_per_run", "workload.output_tokens"]
    rows = table.set_index("field")
    # 100 examples at t=0 and 50 at month 2 are labelled: 150 x (10 - 0.5)
    assert rows.loc["finetune.labelling_usd_per_example", "swing_usd"] == pytest.approx(
        150 * 9.5)
    # two runs (months 0 and 2) evaluated: 2 x 100
    assert rows.loc["finetune.eval_usd_per_run", "swing_usd"] == pytest.approx(200.0)
    assert rows.loc["workload.output_tokens", "swing_usd"] == 0.0
    base = summary(simulate(s)).loc["finetune", "savings_usd"]
    assert np.allclose(table.base_savings_usd, base)
    low = simulate(with_values(s, {"finetune.labelling_usd_per_example": 0.5}))
    assert rows.loc["finetune.labelling_usd_per_example", "savings_low_usd"] == pytest.approx(
        summary(low).loc["finetune", "savings_usd"])


def test_sensitivity_errors():
    s = hand_scenario()
    with pytest.raises(InputError, match=r"^ranges: give at least one"):
        sensitivity(s, {})
    with pytest.raises(InputError, match=r"^prompt\.accuracy: expected a \(low, high\) pair"):
        sensitivity(s, {"prompt.accuracy": 0.5})
    with pytest.raises(InputError, match=r"^option: 'nothing' is not simulated"):
        sensitivity(s, {"prompt.accuracy": (0.5, 0.6)}, option="nothing")


# ---- grid ---------------------------------------------------------------------------------------

def test_grid_matches_simulate_and_contour_is_break_even():
    s = hand_scenario(options=["prompt", "finetune"])
    volumes = np.linspace(0, 2e6, 21)
    fewshot = np.array([0.0, 300.0, 3000.0])
    grid = savings_grid(s, x=("workload.requests_per_month", volumes),
                        y=("prompt.fewshot_tokens", fewshot))
    assert grid.savings_usd["finetune"].shape == (3, 21)
    for j, f in enumerate(fewshot):
        for i in (0, 7, 20):
            one = simulate(with_values(s, {"workload.requests_per_month": volumes[i],
                                           "prompt.fewshot_tokens": f}))
            assert grid.savings_usd["finetune"][j, i] == pytest.approx(
                summary(one).loc["finetune", "savings_usd"])
    contour = grid.contour("finetune")
    assert len(contour) >= 1
    # savings are linear in volume, so the interpolated points are exact break-evens
    for _, point in contour.iterrows():
        if point.y in fewshot:
            one = simulate(with_values(s, {"workload.requests_per_month": point.x,
                                           "prompt.fewshot_tokens": point.y}))
            assert summary(one).loc["finetune", "savings_usd"] == pytest.approx(0.0, abs=1e-6)
    assert set(grid.frame().columns) == {"option", "x", "y", "savings_usd"}


def test_grid_errors():
    s = hand_scenario()
    with pytest.raises(InputError, match=r"^y: must be another field"):
        savings_grid(s, x=("prompt.accuracy", [0.5]), y=("prompt.accuracy", [0.6]))
    with pytest.raises(InputError, match=r"^x: expected \(field path, values\)"):
        savings_grid(s, x="prompt.accuracy", y=("prompt.accuracy", [0.6]))
    with pytest.raises(InputError, match=r"^prompt\.accuracy: must be a share"):
        savings_grid(s, x=("prompt.accuracy", [1.5]), y=("workload.input_tokens", [1]))


def test_unset_tuned_upkeep_follows_the_prompts_in_draws_and_swings():
    """The tuned model's upkeep defaults to the prompt's: moving the prompt's moves both, so
    the savings do not change; once set, it stays put and the savings do."""
    from simulator import example_scenario

    s = example_scenario()
    assert s.finetune.maintenance_hours_per_month is None
    swing = sensitivity(s, {"prompt.maintenance_hours_per_month": (2, 8)}, option="finetune")
    assert float(swing.swing_usd.iloc[0]) == pytest.approx(0.0, abs=1e-6)
    pinned = s.with_values(**{"finetune.maintenance_hours_per_month": 4})
    swing = sensitivity(pinned, {"prompt.maintenance_hours_per_month": (2, 8)},
                        option="finetune")
    # the fine-tune also pays the prompt's upkeep in the months before it serves
    from simulator.model.scenario import DEFAULT_FINETUNE_MONTHS_TO_PRODUCTION

    serving = 24 - DEFAULT_FINETUNE_MONTHS_TO_PRODUCTION
    assert float(swing.swing_usd.iloc[0]) == pytest.approx(6 * 100 * serving)
    mc = monte_carlo(s, {"prompt.maintenance_hours_per_month": Uniform(low=0, high=20)},
                     n=200, seed=7)
    row = mc.summary.set_index("option").loc["finetune"]
    assert row["savings_p5_usd"] == pytest.approx(row["savings_p95_usd"])


def test_runs_in_threads_at_once_match_runs_one_by_one():
    """Each thread writes its blocks' monthly totals in its own kept workspace: runs in
    several threads at once (the app's sessions) give the numbers of runs one by one."""
    from concurrent.futures import ThreadPoolExecutor

    s = hand_scenario()
    dists = {"workload.requests_per_month": Uniform(low=1e4, high=1e6),
             "finetune.accuracy": Uniform(low=0.7, high=0.99)}

    def run(seed):
        return monte_carlo(s, dists, n=5000, seed=seed).tco_usd.to_numpy()

    alone = [run(seed) for seed in range(6)]
    with ThreadPoolExecutor(max_workers=3) as pool:
        together = list(pool.map(run, range(6)))
    for a, b in zip(alone, together):
        np.testing.assert_array_equal(a, b)


def test_what_a_run_holds_for_the_next_is_its_own_and_bounded(monkeypatch):
    """Between runs, a thread holds the last block's shared arrays (so that the next run's
    first block does not fault their memory in again): arrays that own their memory, not
    views of the run's draws, at most KEPT_SHARED_BYTES of them, and nothing when a block's
    are larger."""
    from simulator.model import uncertainty

    s = hand_scenario()
    draws = {"workload.requests_per_month": Uniform(low=1e4, high=1e6),
             "hourly_rate_usd": Uniform(low=50, high=150),
             "price_decline": Uniform(low=0.0, high=0.3)}
    monte_carlo(s, draws, n=5_000, seed=1)
    held = uncertainty._KEPT.shared
    assert held and all(a.base is None for a in held)
    assert 0 < sum(a.nbytes for a in held) <= uncertainty.KEPT_SHARED_BYTES
    long = replace(s, horizon_months=120)
    monte_carlo(long, draws, n=5_000, seed=1)
    size = sum(a.nbytes for a in uncertainty._KEPT.shared)
    assert size > sum(a.nbytes for a in held)             # a longer horizon's arrays
    monkeypatch.setattr(uncertainty, "KEPT_SHARED_BYTES", size - 1)
    monte_carlo(long, draws, n=5_000, seed=1)
    assert uncertainty._KEPT.shared == []


def test_a_time_to_production_varied_above_the_scenarios_zero_is_priced():
    """A fine-tuning-only scenario that serves from month 1 (time to production 0), with the
    time to production drawn, swung or on a grid axis: the draws that wait are priced with
    the prompted road serving meanwhile, as a scenario with that time to production is (found
    by the layout property test: the prompt's prices had not been looked up)."""
    s = replace(with_values(example_scenario(), {"finetune.months_to_production": 0.0}),
                options=("finetune",), baseline="finetune")
    field = "finetune.months_to_production"

    def tco(months: float) -> float:
        return float(summary(simulate(with_values(s, {field: months}))).loc["finetune",
                                                                             "tco_usd"])
    mc = monte_carlo(s, {field: Uniform(low=0, high=4)}, n=12, seed=1)
    assert set(mc.draws[field]) > {0.0}                         # some draws wait
    for i, months in mc.draws[field].items():
        assert mc.tco_usd.loc[i, "finetune"] == pytest.approx(tco(months), rel=1e-12)
    grid = savings_grid(s, x=("workload.requests_per_month", [60_000.0]), y=(field, [0, 3]))
    assert grid.tco_usd["finetune"][:, 0].tolist() == pytest.approx([tco(0.0), tco(3.0)],
                                                                    rel=1e-12)
    assert tco(3.0) != tco(0.0)          # three months of prompting, and its prompt written
    swing = sensitivity(s, {field: (0, 3)}, option="finetune")
    assert swing.loc[0, ["low", "high"]].tolist() == [0.0, 3.0]
