"""Fuzz: scenarios (dicts, TOML/JSON files) — every one is refused with an InputError or
simulates to finite, non-negative monthly costs and finite summary figures (issue 13)."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import fuzz_examples, hostile_scenario_dicts, scenario_dicts

from simulator import simulate
from simulator.core.errors import InputError
from simulator.model.scenario import Scenario, load_scenario

ALWAYS_THERE = {"tco_usd", "npv_usd", "upfront_usd", "requests", "accuracy"}
"""Summary columns never missing; in the others a missing value is documented ("never",
"undefined", the baseline's own comparison cells)."""


def check_result(result) -> None:
    """Finite, non-negative monthly costs; finite summary figures or a documented gap."""
    costs = result.monthly["cost_usd"].to_numpy(dtype=float)
    assert np.isfinite(costs).all(), "a monthly cost is not finite"
    assert (costs >= 0).all(), f"a monthly cost is negative: {costs.min()}"
    for col in result.summary.columns:
        values = result.summary[col]
        if not pd.api.types.is_numeric_dtype(values):
            continue
        numbers = pd.to_numeric(values, errors="coerce")
        missing = numbers.isna()
        if col in ALWAYS_THERE:
            assert not missing.any(), f"summary.{col} is missing: {list(values)}"
        assert np.isfinite(numbers[~missing].to_numpy(dtype=float)).all(), \
            f"summary.{col} is not finite: {list(values)}"


def accepted(data):
    """The simulated result of ``data``, or None when ftroi refuses it with an InputError
    (any other exception fails the test)."""
    try:
        return simulate(Scenario.from_dict(data))
    except InputError as exc:
        assert str(exc).strip() and "\n" not in str(exc).strip()
        return None


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # overflow on the way to a refusal
@settings(max_examples=fuzz_examples(150), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(hostile_scenario_dicts())
def test_every_accepted_scenario_has_finite_non_negative_costs(data):
    result = accepted(data)
    if result is not None:
        check_result(result)


@settings(max_examples=fuzz_examples(40), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(scenario_dicts())
def test_ordinary_scenarios_are_accepted(data):
    """The fuzz above must not pass by refusing everything: plain scenarios simulate."""
    check_result(simulate(Scenario.from_dict(data)))


@settings(max_examples=fuzz_examples(60), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.binary(max_size=300), st.text(max_size=300).map(str.encode)),
       st.sampled_from([".toml", ".json"]))
def test_scenario_files_of_random_bytes_are_refused_in_one_line(tmp_path_factory, raw, suffix):
    path = tmp_path_factory.mktemp("s") / f"s{suffix}"
    path.write_bytes(raw)
    try:
        load_scenario(path)
    except InputError as exc:
        assert "\n" not in str(exc).strip()


@pytest.mark.parametrize("text, needle", [
    ("horizon_months = " + "9" * 5000, "digits"),
    ("horizon_months = 1e999", "infinity"),
    ("x = " + "[" * 100_000, "nested"),
    ("[workload]\nrequests_per_month = " + "1" * 30, "requests_per_month: an integer of 30 digits is too large"),
    ("[workload]\nrequests_per_month = 1e300", "too large"),
    ("[workload]\ngrowth_per_month = 10\nrequests_per_month = 1e6\n", "compounds"),
])
def test_hostile_toml_is_refused_naming_the_problem(tmp_path, text, needle):
    path = tmp_path / "s.toml"
    path.write_text(text)
    with pytest.raises(InputError, match=needle):
        load_scenario(path)


@pytest.mark.parametrize("text, needle", [
    ('{"horizon_months": ' + "9" * 5000 + "}", "5,000 digits: at most 4,300"),
    ('{"horizon_months": NaN}', "NaN"),
    ("[" * 100_000, "nested"),
    ('{"title": "' + "x" * (2**20) + '"}', "at most 1 MiB"),
])
def test_hostile_json_is_refused_naming_the_problem(tmp_path, text, needle):
    path = tmp_path / "s.json"
    path.write_text(text)
    with pytest.raises(InputError, match=needle):
        load_scenario(path)


def test_growth_cap_message_names_field_value_and_range():
    with pytest.raises(InputError) as info:
        Scenario.from_dict({"horizon_months": 600,
                            "workload": {"growth_per_month": 1.0}})
    message = str(info.value)
    assert message.startswith("workload.growth_per_month: 1 compounds")
    assert "at most 1e+15 requests/month" in message and "must be ≤ 0.0" in message


def test_a_huge_integer_is_described_not_converted():
    with pytest.raises(InputError, match=r"horizon_months: an integer of 5001 digits is too "
                                         r"large: ftroi takes numbers from -1e\+15 to 1e\+15"):
        Scenario.from_dict({"horizon_months": 10 ** 5000})
    assert math.isfinite(float(json.loads("1e15")))
