"""The sidebar widgets of issue 20's fields: adapters sharing a deployment, the serving
precision, the GPUs per replica and the per-kind price declines. Each one set in the app gives
the TCO that ``simulate`` gives for the same scenario built here; empty (automatic) leaves the
field unset; a link keeps the value; a bad value is explained under its widget."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest
from test_app import APP, assert_clean

from simulator import example_scenario, simulate
from simulator.app import state as appstate
from simulator.reports import charts

FIREWORKS = "fireworks/accounts/fireworks/models/qwen3-8b"
"""An offering served on a dedicated deployment billed by the hour."""


def new_app(**query) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    for key, value in query.items():
        at.query_params[key] = value
    return at


def app_tco(at: AppTest) -> dict[str, float]:
    """The TCO column of the Breakdown tab's table, by option [USD]."""
    options = {label: option for option, label in charts.OPTION_LABELS.items()}
    table = at.tabs[1].dataframe[0].value
    return {options[label]: float(tco) for label, tco in zip(table["option"], table["tco_usd"])}


def rate(at: AppTest, field: str) -> float:
    """A rate the answer used, from the Prices tab's table of rates in use."""
    rates = next(d.value for d in at.dataframe if "field" in d.value.columns)
    return float(rates.loc[rates["field"] == field, "value"].iloc[0])


def monthly(at: AppTest) -> pd.DataFrame:
    """The Data tab's monthly cost table (option, month, component, cost_usd)."""
    return next(d.value for d in at.dataframe
                if list(d.value.columns) == ["option", "month", "component", "cost_usd"])


def cost(frame: pd.DataFrame, option: str, component: str, month: int) -> float:
    rows = frame[(frame["option"] == option) & (frame["component"] == component)
                 & (frame["month"] == month)]
    return float(rows["cost_usd"].sum())


def expected_tco(**values) -> dict[str, float]:
    """The TCO ``simulate`` gives for the example scenario (the app's default) with ``values``."""
    summary = simulate(example_scenario().with_values(**values)).summary
    return dict(zip(summary["option"], summary["tco_usd"].astype(float)))


def assert_same_tco(at: AppTest, **values) -> dict[str, float]:
    assert_clean(at)
    assert not at.error, [e.value for e in at.error]
    shown, expected = app_tco(at), expected_tco(**values)
    assert shown.keys() == expected.keys()
    for option, tco in expected.items():
        assert shown[option] == pytest.approx(tco, rel=1e-12), option
    return shown


@pytest.fixture(scope="module")
def default_tco() -> dict[str, float]:
    return expected_tco()


@pytest.fixture(scope="module")
def defaults():
    return appstate.default_state()


# ---- each widget gives simulate's answer ------------------------------------------------------

def test_adapters_per_deployment_divides_the_hosting_fee():
    at = new_app().run()
    at.selectbox(key="finetune.offering").set_value(FIREWORKS).run()
    one = assert_same_tco(at, **{"finetune.provider": "fireworks",
                                 "finetune.model": "accounts/fireworks/models/qwen3-8b"})
    widget = at.number_input(key="finetune.adapters_per_deployment")
    assert widget.value == 1 and "Fine-tunes sharing one deployment" in widget.label
    widget.set_value(4).run()
    four = assert_same_tco(at, **{"finetune.provider": "fireworks",
                                  "finetune.model": "accounts/fireworks/models/qwen3-8b",
                                  "finetune.adapters_per_deployment": 4})
    # By hand: the deployment's hourly fee × 730 h a month, from month 3 to 24 (two months
    # to production): this fine-tune now pays a quarter of it.
    fee = rate(at, "finetune.hosting_usd_per_hour")
    assert fee > 0
    hosted = monthly(at).query("option == 'finetune' and component == 'hosting' "
                               "and cost_usd > 0")["month"]
    assert list(hosted) == list(range(3, 25))
    assert cost(monthly(at), "finetune", "hosting", 3) == pytest.approx(fee * 730 / 4)
    assert one["finetune"] - four["finetune"] == pytest.approx(fee * 730 * 22 * 3 / 4)
    assert one["prompt"] == four["prompt"]


def seventy_b() -> AppTest:
    """The app with a 70B model to self-host, set as a user sets it (the throughput widgets
    follow the published figures for the size)."""
    at = new_app().run()
    at.number_input(key="selfhost.model_params_b").set_value(70.0).run()
    return at


def test_precision_sizes_the_replica(default_tco):
    at = seventy_b()
    bf16 = assert_same_tco(at, **{"selfhost.model_params_b": 70})
    picker = at.selectbox(key="selfhost.precision")
    assert picker.value == "bf16" and "fp8 (1 bytes/parameter)" in picker.options
    picker.set_value("fp8").run()
    fp8 = assert_same_tco(at, **{"selfhost.model_params_b": 70, "selfhost.precision": "fp8"})
    # 70B at FP8 = 70 GB + 10% KV reserve = 77 GB: 2 × H100 (2 × 80 × 0.9 = 144 GB), not 4.
    assert rate(at, "selfhost.gpus_per_replica") == 2
    assert fp8["selfhost"] < bf16["selfhost"]
    assert fp8["prompt"] == bf16["prompt"] == pytest.approx(default_tco["prompt"])


def test_gpus_per_replica_pins_the_replica_and_automatic_unsets_it(default_tco):
    at = new_app().run()
    picker = at.selectbox(key="selfhost.gpus_per_replica")
    assert picker.value is None
    assert picker.options[0] == "auto: fewest that fit"
    picker.set_value(8).run()
    eight = assert_same_tco(at, **{"selfhost.gpus_per_replica": 8})
    # The 8B model fits one H100: eight GPUs per replica is eight times the minimum replica,
    # whose GPU-hours dominate a month at this volume.
    gpu_month_1 = cost(monthly(at), "selfhost", "hosting", 3)
    assert eight["selfhost"] > default_tco["selfhost"]
    at.selectbox(key="selfhost.gpus_per_replica").set_value(None).run()
    assert_same_tco(at)
    assert cost(monthly(at), "selfhost", "hosting", 3) == pytest.approx(gpu_month_1 / 8)


@pytest.mark.parametrize("path, percent, kind", [
    ("price_decline_tokens", 20.0, "tokens"),
    ("price_decline_training", 30.0, "training"),
    ("price_decline_gpu_hours", -10.0, "gpu_hours"),
])
def test_each_price_decline_moves_its_kind(default_tco, path, percent, kind):
    at = new_app().run()
    widget = at.number_input(key=path)
    assert widget.value is None       # empty: automatic, the field unset
    before = monthly(at)
    widget.set_value(percent).run()
    shown = assert_same_tco(at, **{path: percent / 100})
    assert shown != default_tco
    after = monthly(at)
    d = percent / 100
    if kind == "tokens":   # the prompted model's inference in month 13: a year of decline
        assert cost(after, "prompt", "inference", 13) == pytest.approx(
            cost(before, "prompt", "inference", 13) * (1 - d))
    elif kind == "gpu_hours":  # rented GPUs for the self-hosted model: rising 10% a year
        assert cost(after, "selfhost", "hosting", 13) == pytest.approx(
            cost(before, "selfhost", "hosting", 13) * (1 - d))
        assert cost(after, "prompt", "inference", 13) == cost(before, "prompt", "inference", 13)
    else:   # retraining every 6 months: month 13's run at 0.7 of today's rate per token
        assert cost(after, "finetune", "training", 13) == pytest.approx(
            cost(before, "finetune", "training", 13) * (1 - d))
        assert cost(after, "prompt", "inference", 13) == cost(before, "prompt", "inference", 13)
    at.number_input(key=path).set_value(None).run()
    assert_same_tco(at)


# ---- automatic = unset ---------------------------------------------------------------------

def test_automatic_choices_leave_the_fields_unset(defaults):
    assert {defaults[p] for p in ("price_decline_tokens", "price_decline_training",
                                  "price_decline_gpu_hours", "selfhost.gpus_per_replica")} \
        == {None}
    assert defaults["selfhost.precision"] == "bf16"
    assert defaults["finetune.adapters_per_deployment"] == 1
    scenario = appstate.scenario_from_state(defaults)
    assert scenario.price_decline_tokens is None and scenario.price_decline_training is None
    assert scenario.price_decline_gpu_hours is None and scenario.selfhost.gpus_per_replica is None
    saved = json.loads(appstate.scenario_json(scenario))
    assert "price_decline_tokens" not in saved
    assert "gpus_per_replica" not in saved.get("selfhost", {})


def test_widgets_take_a_scenario_files_values():
    scenario = example_scenario().with_values(**{
        "price_decline_gpu_hours": -0.05, "selfhost.gpus_per_replica": 2,
        "selfhost.precision": "FP8", "finetune.adapters_per_deployment": 3})
    state, notes = appstate.state_from_json(appstate.scenario_json(scenario))
    assert notes == []
    assert state["price_decline_gpu_hours"] == pytest.approx(-5.0)
    assert state["price_decline_tokens"] is None
    assert state["selfhost.gpus_per_replica"] == 2 and state["selfhost.precision"] == "fp8"
    assert state["finetune.adapters_per_deployment"] == 3
    assert appstate.scenario_from_state(state) == scenario


# ---- links -----------------------------------------------------------------------------------

def test_link_round_trip_keeps_the_values(defaults):
    state = dict(defaults, **{"price_decline_tokens": 20.0, "price_decline_training": 0.0,
                              "price_decline_gpu_hours": -7.5,
                              "selfhost.gpus_per_replica": 4, "selfhost.precision": "int4",
                              "finetune.adapters_per_deployment": 12})
    query = appstate.state_to_query(state, defaults=defaults)
    assert query == {"price_decline_tokens": "20", "price_decline_training": "0",
                     "price_decline_gpu_hours": "-7.5", "selfhost.gpus_per_replica": "4",
                     "selfhost.precision": "int4", "finetune.adapters_per_deployment": "12"}
    back, problems = appstate.state_from_query(query, defaults=defaults)
    assert problems == []
    scenario = appstate.scenario_from_state(back)
    assert scenario == appstate.scenario_from_state(state)
    assert scenario.price_decline_tokens == 0.2 and scenario.price_decline_training == 0.0
    assert scenario.price_decline_gpu_hours == -0.075
    assert scenario.selfhost.gpus_per_replica == 4 and scenario.selfhost.precision == "int4"
    assert scenario.finetune.adapters_per_deployment == 12
    # Back to automatic against a link that set them: an empty value unsets them.
    query = appstate.state_to_query(defaults, defaults=state)
    assert query["price_decline_tokens"] == "" and query["selfhost.gpus_per_replica"] == ""
    again, problems = appstate.state_from_query(query, defaults=state)
    assert problems == [] and again["price_decline_tokens"] is None
    assert appstate.scenario_from_state(again) == appstate.scenario_from_state(defaults)


def test_a_link_sets_the_widgets():
    at = new_app(**{"price_decline_tokens": "20", "selfhost.gpus_per_replica": "2",
                    "selfhost.precision": "fp8",
                    "finetune.adapters_per_deployment": "3"}).run()
    assert_same_tco(at, **{"price_decline_tokens": 0.2, "selfhost.gpus_per_replica": 2,
                           "selfhost.precision": "fp8", "finetune.adapters_per_deployment": 3})
    assert at.number_input(key="price_decline_tokens").value == 20.0
    assert at.selectbox(key="selfhost.gpus_per_replica").value == 2
    assert at.selectbox(key="selfhost.precision").value == "fp8"
    assert at.number_input(key="finetune.adapters_per_deployment").value == 3


def test_bad_link_values_are_named_and_ignored(defaults):
    state, problems = appstate.state_from_query(
        {"selfhost.gpus_per_replica": "3", "selfhost.precision": "fp3",
         "price_decline_gpu_hours": "-150", "finetune.adapters_per_deployment": "0"},
        defaults=defaults)
    text = "\n".join(problems)
    assert ("selfhost.gpus_per_replica: must be empty (sized from memory) or one of 1, 2, 4, 8, "
            "got '3'; ignored") in text
    assert "selfhost.precision: must be one of fp32, bf16, fp16, fp8, int8, fp4, int4" in text
    assert "price_decline_gpu_hours: -150 is outside -99..99; using -99" in text
    assert "finetune.adapters_per_deployment: 0 is outside 1..1000; using 1" in text
    assert state["selfhost.gpus_per_replica"] is None and state["selfhost.precision"] == "bf16"
    assert appstate.scenario_from_state(state).price_decline_gpu_hours == -0.99


# ---- a bad value is explained under its widget ------------------------------------------------

def sidebar_after(at: AppTest, key: str) -> list:
    """The sidebar's leaf elements that follow the widget ``key``, in page order."""
    leaves = [e for e in at.sidebar if not hasattr(e, "children") or e.type == "selectbox"]
    start = next(i for i, e in enumerate(leaves) if getattr(e, "key", None) == key)
    return leaves[start + 1:]


def test_too_few_gpus_per_replica_is_explained_under_the_picker():
    at = seventy_b()
    at.selectbox(key="selfhost.gpus_per_replica").set_value(1).run()
    assert_clean(at)
    message = ("selfhost.gpus_per_replica: 1 × H100 80GB hold 72.0 GB, less than the 70B at "
               "bf16: 154.0 GB (140.0 GB of weights + 10% KV-cache reserve); use at least 4")
    after = sidebar_after(at, "selfhost.gpus_per_replica")
    assert after[0].type == "error" and after[0].value.replace("\\", "") == message
    assert [e.value for e in at.sidebar.error] == [after[0].value]   # once, and only there
    assert any(e.value.startswith("Left out: selfhost.gpus_per_replica") for e in at.error)
    # The rest of the page still answers, without the self-hosted option.
    assert "selfhost" not in app_tco(at) and "finetune" in app_tco(at)
    at.selectbox(key="selfhost.gpus_per_replica").set_value(4).run()
    assert not at.error
    assert_same_tco(at, **{"selfhost.model_params_b": 70, "selfhost.gpus_per_replica": 4})
