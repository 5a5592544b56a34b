"""The Empirical distribution: observed values resampled, usable by monte_carlo."""

from __future__ import annotations

import numpy as np
import pytest
from strategies import hand_scenario

from simulator import InputError, monte_carlo, simulate
from simulator.model.uncertainty import Empirical


def test_draws_are_observed_values_in_their_proportions():
    dist = Empirical(values=[10, 20, 40], weights=[1, 1, 2])
    draws = dist.sample(np.random.default_rng(0), 40_000)
    assert set(np.unique(draws)) == {10.0, 20.0, 40.0}
    assert np.mean(draws == 40) == pytest.approx(0.5, abs=0.01)
    assert np.mean(draws == 10) == pytest.approx(0.25, abs=0.01)
    assert dist.center == pytest.approx((10 + 20 + 2 * 40) / 4)


def test_unweighted_center_is_the_mean_and_one_value_is_a_constant():
    assert Empirical(values=[1, 2, 6]).center == 3.0
    assert Empirical(values=[7]).sample(np.random.default_rng(1), 3).tolist() == [7.0] * 3


def test_same_seed_same_draws():
    dist = Empirical(values=np.arange(100))
    a = dist.sample(np.random.default_rng(5), 50)
    b = dist.sample(np.random.default_rng(5), 50)
    assert np.array_equal(a, b)


@pytest.mark.parametrize("kwargs, message", [
    ({"values": []}, "at least one value"),
    ({"values": [1, float("nan")]}, "finite"),
    ({"values": [1, 2], "weights": [1]}, "one weight per value"),
    ({"values": [1, 2], "weights": [-1, 2]}, "≥ 0"),
    ({"values": [1, 2], "weights": [0, 0]}, "positive sum"),
])
def test_bad_empirical(kwargs, message):
    with pytest.raises(InputError, match=message):
        Empirical(**kwargs)


def test_monte_carlo_with_a_one_value_empirical_equals_simulate():
    scenario = hand_scenario()
    result = simulate(scenario)
    mc = monte_carlo(scenario, {"workload.input_tokens": Empirical(values=[100])}, n=5, seed=0)
    tco = result.summary.set_index("option")["tco_usd"]
    for option in mc.tco_usd:
        assert mc.tco_usd[option].to_numpy() == pytest.approx([tco[option]] * 5)


def test_monte_carlo_draws_only_observed_values():
    scenario = hand_scenario()
    mc = monte_carlo(scenario, {"workload.output_tokens": Empirical(values=[40, 50, 60])},
                     n=200, seed=3)
    assert set(mc.draws["workload.output_tokens"]) == {40.0, 50.0, 60.0}
