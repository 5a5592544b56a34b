"""The engine's numbers do not move when it is made faster (issue 23): Monte Carlo draws and
a savings grid, same seed, against figures computed before the change
(``tests/engine_regression.json``, made on main's engine before issue 23 for the scenario it holds), and
blocks of draws against one call over all of them."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from simulator import Lognormal, Scenario, Triangular, Uniform, monte_carlo, savings_grid
from simulator.core import limits
from simulator.model.cost import growth_factors, month_index

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
