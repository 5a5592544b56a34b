"""The engine's numbers do not move when it is made faster (issue 23): Monte Carlo draws and
a savings grid, same seed, against figures computed before the change
(``tests/engine_regression.json``, made on main's engine before issue 23 for the scenario it holds), and
blocks of draws against one call over all of them."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import scenarios

from simulator import (
    Lognormal,
    Scenario,
    Triangular,
    Uniform,
    example_scenario,
    monte_carlo,
    savings_grid,
)
from simulator.core import limits
from simulator.core.errors import InputError
from simulator.model.cost import growth_factors, month_index, total_usd
from simulator.model.engine import evaluate
from simulator.model.resolve import resolve
from simulator.model.uncertainty import _prepare

SAVED = json.loads((Path(__file__).parents[1] / "engine_regression.json").read_text())
PICK = [0, 1, 2, 4_999, 9_999]
DISTRIBUTIONS = {
    "workload.requests_per_month": Triangular(low=20_000, mode=60_000, high=200_000),
    "workload.growth_per_month": Uniform(low=0.0, high=0.05),
    "prompt.input_usd_per_mtok": Lognormal(median=2.0, sigma=0.2),
    "finetune.labelling_usd_per_example": Triangular(low=0.5, mode=2.0, high=8.0),
    "finetune.accuracy": Uniform(low=0.85, high=0.95),
}


def close(value: float) -> pytest.approx:
    """Equal within 1e-12 relative, or a millionth of a dollar for a saving near 0."""
    return pytest.approx(value, rel=1e-12, abs=1e-6)


def scenario() -> Scenario:
    """The example scenario over 36 months, as it was when the figures were saved."""
    return Scenario.from_dict(SAVED["scenario"])


@pytest.mark.parametrize("n, seed", [(10_000, 0), (30_000, 1)])
def test_monte_carlo_gives_the_numbers_it_gave_before(n, seed):
    saved = SAVED[f"mc_{n}"]
    mc = monte_carlo(scenario(), DISTRIBUTIONS, n=n, seed=seed)
    for option, want in saved.items():
        tco = mc.tco_usd[option].to_numpy()
        months = mc.breakeven_month[option].to_numpy()
        assert tco[PICK].tolist() == [close(v) for v in want["tco"]]
        assert mc.savings_usd[option].to_numpy()[PICK].tolist() == [
            close(v) for v in want["savings"]]
        assert [None if math.isnan(m) else m for m in months[PICK]] == want["breakeven"]
        assert float(tco.sum()) == close(want["tco_sum"])
        assert float(np.nansum(months)) == want["breakeven_sum"]
        assert int(np.isnan(months).sum()) == want["never"]


def test_grid_gives_the_numbers_it_gave_before():
    grid = savings_grid(scenario(), x=("workload.requests_per_month",
                                       np.linspace(1_000, 500_000, 100)),
                        y=("prompt.fewshot_tokens", np.linspace(0, 5_000, 100)))
    for option, want in SAVED["grid"].items():
        a = grid.tco_usd[option]
        got = [a[0, 0], a[0, -1], a[-1, 0], a[-1, -1], a[37, 61]]
        assert [float(v) for v in got] == [close(v) for v in want["corners"]]
        assert float(a.sum()) == close(want["sum"])


def test_blocks_of_draws_give_the_same_numbers_as_one_block(monkeypatch):
    one = monte_carlo(scenario(), DISTRIBUTIONS, n=1_000, seed=5)
    monkeypatch.setattr(limits, "BLOCK_DRAWS", 7)       # 143 blocks, the last one of 6
    blocks = monte_carlo(scenario(), DISTRIBUTIONS, n=1_000, seed=5)
    assert blocks.tco_usd.equals(one.tco_usd)
    assert blocks.breakeven_month.equals(one.breakeven_month)
    assert blocks.summary.equals(one.summary)


def test_growth_powers_by_multiplication_match_the_power():
    g = np.linspace(0.0, 0.2, 500)[:, None]
    months = month_index(120)
    fast = growth_factors(g, months)
    assert fast[:, :2].tolist() == [[1.0, 1.0]] * 500               # month 0 and month 1
    # (1.2)^119 by hand from the power, and every month within a few units in the last place
    assert fast[-1, -1] == pytest.approx(1.2 ** 119, rel=1e-13)
    np.testing.assert_allclose(fast, (1.0 + g) ** np.maximum(months - 1, 0), rtol=1e-13)


# ---- memory layout: months first or draws first, the same numbers ---------------------------

LAYOUT_DRAWS = {      # field -> (low, high): volume fields, and fields that make other arrays
    "workload.requests_per_month": (0.0, 500_000.0),
    "workload.growth_per_month": (0.0, 0.05),
    "price_decline": (-0.3, 0.5),
    "finetune.months_to_production": (0.0, 6.0),
    "prompt.maintenance_hours_per_month": (0.0, 20.0),
    "finetune.labelling_usd_per_example": (0.0, 10.0),
    "finetune.accuracy": (0.5, 1.0),
    "cost_per_error_usd": (0.0, 2.0),
}


@settings(max_examples=100, deadline=None)
@given(s=scenarios(), fields=st.lists(st.sampled_from(sorted(LAYOUT_DRAWS)), min_size=1,
                                      max_size=4, unique=True),
       n=st.integers(2, 40), seed=st.integers(0, 2**32 - 1))
def test_months_first_and_draws_first_give_the_same_numbers(s, fields, n, seed):
    """A block priced with its arrays laid out months first (``order="F"``) gives every
    draw's TCO, saving and break-even month to the last bit as draws first does, whichever
    fields are drawn (those that make both layouts at once included)."""
    inputs = resolve(s, varied=set(fields))
    rng = np.random.default_rng(seed)
    values = dict(inputs.values)
    for field in fields:
        low, high = LAYOUT_DRAWS[field]
        try:
            values[field] = _prepare(field, rng.uniform(low, high, n), inputs)
        except InputError:              # a field no simulated option reads
            continue
    names = ("savings_usd", "tco_usd", "breakeven_month")
    figures = {}
    for order in ("C", "F"):
        _, figures[order] = evaluate(inputs, values, volumes=False, names=names,
                                     keep_costs=False, order=order)
    for option in inputs.options:
        for name in names:
            np.testing.assert_array_equal(figures["F"][option][name],
                                          figures["C"][option][name], err_msg=name)


def test_a_block_reports_the_layouts_its_components_came_in():
    """Drawn volumes alone give months-first components only; a drawn price decline makes
    draws-first ones besides, which sends a Monte Carlo run back to draws first."""
    inputs = resolve(scenario())
    volume = {"workload.requests_per_month": np.linspace(1e4, 1e5, 50)}
    seen: set = set()
    evaluate(inputs, dict(inputs.values, **volume), volumes=False, keep_costs=False,
             names=("tco_usd",), order="F", layouts=seen)
    assert seen == {"F"}
    seen = set()
    evaluate(inputs, dict(inputs.values, **volume, price_decline=np.linspace(0, 0.4, 50)),
             volumes=False, keep_costs=False, names=("tco_usd",), order="F", layouts=seen)
    assert seen == {"F", "C"}


def test_a_run_that_mixes_layouts_gives_the_numbers_of_one_block(monkeypatch):
    """Blocks of draws that go back from months first to draws first after the first block
    give the numbers of one call over all draws."""
    mixed = dict(DISTRIBUTIONS, price_decline=Uniform(low=0.0, high=0.4),
                 **{"finetune.months_to_production": Uniform(low=0.0, high=4.0)})
    one = monte_carlo(scenario(), mixed, n=500, seed=3)
    monkeypatch.setattr(limits, "BLOCK_DRAWS", 37)
    blocks = monte_carlo(scenario(), mixed, n=500, seed=3)
    assert blocks.tco_usd.equals(one.tco_usd)
    assert blocks.breakeven_month.equals(one.breakeven_month)


@settings(max_examples=100, deadline=None)
@given(layouts=st.lists(st.sampled_from("CF"), min_size=0, max_size=6),
       small=st.integers(0, 3), out_layout=st.sampled_from("CF"), seed=st.integers(0, 2**32 - 1))
def test_total_adds_in_the_same_order_whatever_the_layouts(layouts, small, out_layout, seed):
    """:func:`total_usd` gives, to the last bit, the large components added one after the
    other and then the small ones (added together first), whichever layouts they come in."""
    rng = np.random.default_rng(seed)
    large = [np.asarray(rng.normal(0, 1e6, (9, 7)), order=o) for o in layouts]
    smalls = [rng.normal(0, 1e3, 7) for _ in range(small)]
    components = {f"l{i}": a for i, a in enumerate(large)} | {f"s{i}": a
                                                              for i, a in enumerate(smalls)}
    if not components:
        return
    want = np.zeros((9, 7))
    if large:
        want = large[0] + large[1] if len(large) >= 2 else large[0].copy()
        for a in large[2:]:
            want = want + a
    if smalls:
        rest = smalls[0]
        for a in smalls[1:]:
            rest = rest + a
        want = want + rest
    out = np.empty((9, 7), order=out_layout)
    got = total_usd(components, out=out)
    assert got is out
    np.testing.assert_array_equal(got, np.broadcast_to(want, (9, 7)))


def test_a_last_block_of_one_draw_gives_the_numbers_of_one_block(monkeypatch):
    """A draw priced alone in the last block is added up in the order it is in a larger
    block: the same TCO to the last bit (2,001 draws in blocks of 2,000 once came out one
    unit in the last place off in the 2,001st)."""
    s = replace(example_scenario(), horizon_months=12)
    volume = {"workload.requests_per_month": Uniform(low=1, high=1e6)}
    one = monte_carlo(s, volume, n=50, seed=1)
    monkeypatch.setattr(limits, "BLOCK_DRAWS", 7)              # 7 blocks of 7, then 1
    blocks = monte_carlo(s, volume, n=50, seed=1)
    assert blocks.tco_usd.equals(one.tco_usd)
    assert blocks.savings_usd.equals(one.savings_usd)
