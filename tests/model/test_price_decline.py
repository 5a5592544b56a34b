"""Prices that move by kind and may rise (issue 20): ``price_decline`` as a scalar (per-token
prices) or per kind (``tokens``, ``training``, ``gpu_hours``), each in (-1, 1); and
``finetune.adapters_per_deployment`` sharing a dedicated deployment's hourly fee."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import hand_scenario, hand_scenario_dict

from simulator import simulate
from simulator.core.errors import InputError
from simulator.model.scenario import Scenario

BY_KIND = {"tokens": 0.2, "training": 0.1, "gpu_hours": -0.05}


def _costs(**top):
    return simulate(hand_scenario(**top)).costs


def test_each_kind_moves_its_own_prices_by_hand():
    """The hand scenario (H = 3, retraining at month 2) with prices flat, then with tokens
    falling 20 %, training 10 % and GPU-hours rising 5 % a year: month m's price is
    (1 - d)^((m-1)/12) of today's. One figure by hand from scratch: a prompted request costs
    [500 × (0.5 × 0.5 + 0.5 × 2) + 110 × 2 + 50 × 8] / 1e6 × (1 - 0.2 × 0.5) = 0.0011205 USD,
    so month 2 (1,100 requests) pays 1.23255 × 0.8^(1/12)."""
    flat = _costs(price_decline=0.0)
    moved = _costs(price_decline=BY_KIND)
    f = {kind: (1 - d) ** ((np.arange(4) - 1).clip(0) / 12) for kind, d in BY_KIND.items()}
    assert moved["prompt"]["inference"][2] == pytest.approx(1_100 * 0.0011205 * 0.8 ** (1 / 12))
    for option in ("prompt", "rag", "finetune", "hybrid"):
        np.testing.assert_allclose(moved[option]["inference"],
                                   flat[option]["inference"] * f["tokens"], rtol=1e-12)
    # per-token training (month 0 and the retraining in month 2) by the training factor
    np.testing.assert_allclose(moved["finetune"]["training"],
                               flat["finetune"]["training"] * f["training"], rtol=1e-12)
    # the dedicated deployment's hourly fee by the GPU-hour factor, storage unmoved:
    # 0.5 USD/h × 730 × 1.05^((m-1)/12) + 1.5
    np.testing.assert_allclose(moved["finetune"]["hosting"][1:],
                               0.5 * 730 * f["gpu_hours"][1:] + 1.5, rtol=1e-12)
    # rented GPUs: self-hosted training and serving by the GPU-hour factor
    for component in ("training", "hosting"):
        np.testing.assert_allclose(moved["selfhost"][component],
                                   flat["selfhost"][component] * f["gpu_hours"], rtol=1e-12)
    assert moved["selfhost"]["hosting"][3] > flat["selfhost"]["hosting"][3]
    # people's time does not move
    np.testing.assert_array_equal(moved["prompt"]["engineering"], flat["prompt"]["engineering"])


def test_the_scalar_form_still_moves_per_token_prices_only():
    scalar = _costs(price_decline=0.2)
    table = _costs(price_decline={"tokens": 0.2, "training": 0.2})
    fields = _costs(price_decline_tokens=0.2, price_decline_training=0.2)
    for option, comps in scalar.items():
        for component, values in comps.items():
            np.testing.assert_array_equal(table[option][component], values)
            np.testing.assert_array_equal(fields[option][component], values)
    flat = _costs(price_decline=0.0)
    np.testing.assert_array_equal(scalar["selfhost"]["hosting"], flat["selfhost"]["hosting"])


def test_a_negative_scalar_is_a_rising_price():
    """price_decline = -0.1: month 13 pays 1.1 × today's per-token price."""
    rising = simulate(hand_scenario(price_decline=-0.1, horizon_months=13)).costs
    flat = simulate(hand_scenario(price_decline=0.0, horizon_months=13)).costs
    assert rising["prompt"]["inference"][13] == pytest.approx(
        flat["prompt"]["inference"][13] * 1.1, rel=1e-12)


@settings(max_examples=30, deadline=None)
@given(kind=st.sampled_from(["price_decline", "price_decline_tokens",
                             "price_decline_training", "price_decline_gpu_hours"]),
       lower=st.floats(-0.9, 0.9), gap=st.floats(0.0, 0.9))
def test_a_rising_price_never_lowers_cost(kind, lower, gap):
    """Of two declines d1 < d2 of one kind, d1 (the price rising faster or falling slower)
    never gives a lower cost in any month, component or option."""
    higher = min(lower + gap, 0.95)
    cheap = _costs(**{kind: higher})
    dear = _costs(**{kind: lower})
    for option, comps in dear.items():
        for component, values in comps.items():
            assert (values >= cheap[option][component] * (1 - 1e-12) - 1e-9).all(), \
                (option, component)


@pytest.mark.parametrize("top, message", [
    ({"price_decline": 1.0}, "price_decline: must be a number > -1 and < 1, got 1.0"),
    ({"price_decline": -1}, "price_decline: must be a number > -1 and < 1, got -1"),
    ({"price_decline": {"tokens": 1.5}},
     "price_decline.tokens: must be a number > -1 and < 1, got 1.5"),
    ({"price_decline": {"gpus": 0.1}},
     "price_decline.gpus: unknown kind (known: tokens, training, gpu_hours)"),
    ({"price_decline_gpu_hours": -2}, "price_decline_gpu_hours: must be a number > -1 and < 1"),
    ({"price_decline": {"training": 0.1}, "price_decline_training": 0.2},
     "price_decline.training: also given as price_decline_training; keep one"),
])
def test_a_bad_decline_is_refused_in_one_line(top, message):
    with pytest.raises(InputError) as err:
        Scenario.from_dict({**hand_scenario_dict(), **top})
    assert str(err.value).startswith(message)
    assert "\n" not in str(err.value)


def test_the_table_form_round_trips_as_three_fields():
    s = hand_scenario(price_decline=BY_KIND)
    assert (s.price_decline_tokens, s.price_decline_training, s.price_decline_gpu_hours) == (
        0.2, 0.1, -0.05)
    assert Scenario.from_dict(s.to_dict()) == s


# ---- adapters sharing a dedicated deployment ---------------------------------------------------

def test_adapters_sharing_a_deployment_share_its_hourly_fee():
    """By hand: 0.5 USD/h × 730 h = 365 USD a month for the deployment; with 4 adapters on
    it, this fine-tune's share is 91.25, plus its own storage 1.5 = 92.75 a month."""
    one = _costs(price_decline=0.0)
    four = simulate(hand_scenario(price_decline=0.0).with_values(
        **{"finetune.adapters_per_deployment": 4})).costs
    assert one["finetune"]["hosting"][1] == pytest.approx(365 + 1.5)
    np.testing.assert_allclose(four["finetune"]["hosting"][1:], 365 / 4 + 1.5, rtol=1e-12)
    assert four["finetune"]["hosting"][0] == 0
    for component in ("inference", "training", "labelling"):
        np.testing.assert_array_equal(four["finetune"][component], one["finetune"][component])


@pytest.mark.parametrize("value, message", [
    (0, "finetune.adapters_per_deployment: must be a whole number ≥ 1, got 0"),
    (2.5, "finetune.adapters_per_deployment: must be a whole number ≥ 1, got 2.5"),
])
def test_adapters_per_deployment_is_a_whole_number_from_one(value, message):
    with pytest.raises(InputError) as err:
        Scenario.from_dict({"finetune": {"adapters_per_deployment": value}})
    assert str(err.value) == message


# ---- break-even volumes when GPU-hours move -----------------------------------------------------

@pytest.mark.parametrize("gpu_hours", [0.2, -0.02])
def test_volume_windows_follow_gpu_prices_that_move_by_month(gpu_hours):
    """With GPU-hour prices moving, a replica step costs a different amount each month; the
    volume windows where self-hosting is cheaper must still be where the TCOs say so: inside
    each window (midpoints) self-hosting's TCO is at most prompting's, in each gap above."""
    from test_breakeven_audit import fix, selfhost_scenario

    s = selfhost_scenario(1.85, 2500).with_values(price_decline_gpu_hours=gpu_hours)
    flat = simulate(selfhost_scenario(1.85, 2500)).volume_windows["selfhost"].intervals
    windows = simulate(s).volume_windows["selfhost"].intervals
    assert windows and windows != flat
    ends = [x for lo, hi in windows for x in (lo, hi) if np.isfinite(x)]
    inside = [(lo + hi) / 2 for lo, hi in windows if np.isfinite(hi)]
    gaps = [(a[1] + b[0]) / 2 for a, b in itertools.pairwise(windows)]
    for volume in inside:
        assert fix(s, volume) <= 1e-6, volume
    for volume in gaps + [windows[0][0] * 0.99]:
        assert fix(s, volume) > 0, volume
    for end in ends:
        assert fix(s, end * (1 - 1e-6)) * fix(s, end * (1 + 1e-6)) <= 0 or abs(
            fix(s, end)) < 1e-3, end


def test_gpu_prices_rising_fast_close_every_window():
    """GPU-hours 30 % dearer a year: the flat case's windows (cheaper by at most ~1,300 USD
    over 12 months) close, and the TCO difference is positive where they were."""
    from test_breakeven_audit import fix, selfhost_scenario

    s = selfhost_scenario(1.85, 2500).with_values(price_decline_gpu_hours=-0.3)
    assert simulate(s).volume_windows["selfhost"].intervals == ()
    for volume in (4.6e6, 4.9e6, 5.0e6, 10e6, 15.1e6):
        assert fix(s, volume) > 0
