"""Widget values ↔ scenario ↔ URL, uploads, the guarded run and the headline (no Streamlit)."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest

import pricing
from simulator import Scenario, example_scenario, simulate
from simulator.app import state as appstate
from simulator.core.errors import InputError
from simulator.core.wording import format_usd
from simulator.model.scenario import field_rule
from simulator.reports import answer
from simulator.tokens import tokens


@pytest.fixture(scope="module")
def defaults():
    return appstate.default_state()


def test_default_widgets_describe_the_example_scenario(defaults):
    assert appstate.scenario_from_state(defaults) == example_scenario()
    assert defaults["prompt.cached_share"] == 0.0 and defaults["hybrid.finetuned_share"] == 80.0
    assert set(appstate.WIDGET_KEYS) <= set(defaults)


def test_every_widget_default_is_inside_its_range(defaults):
    for f in answer.FIELDS:
        if defaults[f.path] is None:     # an optional field left unset: the widget is empty
            assert f.optional and f.auto, f.path
            continue
        assert f.lo <= defaults[f.path] <= f.hi, f.path
        assert f.group in appstate.GROUPS
        assert f.help and f.label


def test_widget_ranges_respect_the_scenario_rules():
    for f in answer.FIELDS:
        if f.path.startswith("ui."):
            continue
        rule = field_rule(f.path)
        assert f.lo / f.scale >= rule.lo and f.hi / f.scale <= rule.hi, f.path


def test_query_round_trip_keeps_only_changes(defaults):
    assert appstate.state_to_query(defaults, defaults=defaults) == {}
    state = dict(defaults, **{"workload.requests_per_month": 250_000, "prompt.batch_share": 50.0,
                              "options": ["prompt", "finetune"], "ui.mc_on": False,
                              "finetune.epochs_auto": False, "finetune.epochs": 4})
    query = appstate.state_to_query(state, defaults=defaults)
    assert query == {"workload.requests_per_month": "250000", "prompt.batch_share": "50",
                     "options": "prompt,finetune", "ui.mc_on": "0",
                     "finetune.epochs_auto": "0", "finetune.epochs": "4"}
    back, problems = appstate.state_from_query(query, defaults=defaults)
    assert problems == []
    assert appstate.scenario_from_state(back) == appstate.scenario_from_state(state)
    assert back["ui.mc_on"] is False


def test_query_reports_bad_values_and_keeps_the_rest(defaults):
    state, problems = appstate.state_from_query(
        {"workload.input_tokens": "x", "workload.output_tokens": "300",
         "horizon_months": "9999", "no.such": "1", "prompt.input_usd_per_mtok": "1.5"},
        defaults=defaults)
    assert state["workload.output_tokens"] == 300
    assert state["workload.input_tokens"] == defaults["workload.input_tokens"]
    assert state["horizon_months"] == 120
    assert state["extras"]["prompt.input_usd_per_mtok"] == 1.5
    text = "\n".join(problems)
    assert "workload.input_tokens: cannot read 'x'" in text
    assert "horizon_months: 9999 is outside 1..120" in text
    assert "no.such" in text
    scenario = appstate.scenario_from_state(state)
    assert scenario.prompt.input_usd_per_mtok == 1.5


def test_long_prompt_text_goes_into_the_link_as_counts(defaults):
    state = dict(defaults, **{"prompt.mode": "Text", "prompt.system_prompt": "word " * 1000,
                              "prompt.fewshot": "short"})
    query = appstate.state_to_query(state, defaults=defaults, token_counts={
        "prompt.system_prompt_tokens": 1000, "prompt.fewshot_tokens": 1})
    assert "prompt.system_prompt" not in query
    assert query["prompt.system_prompt_tokens"] == "1000"
    short = dict(state, **{"prompt.system_prompt": "Be brief."})
    query = appstate.state_to_query(short, defaults=defaults)
    assert query["prompt.mode"] == "Text" and query["prompt.system_prompt"] == "Be brief."
    back, _ = appstate.state_from_query(query, defaults=defaults)
    assert appstate.scenario_from_state(back).prompt.system_prompt == "Be brief."


def test_scenario_json_round_trip_keeps_fields_without_widgets():
    scenario = Scenario.from_dict({
        "title": "t", "options": ["prompt", "finetune"],
        "prompt": {"model": "gpt-4o", "fewshot": [{"role": "user", "content": "hi"},
                                                  {"role": "assistant", "content": "ok"}],
                   "system_prompt": "Sys", "output_usd_per_mtok": 9.0},
        "finetune": {"examples": 800, "tokens_per_example": 650},
        "selfhost": {"training_gpus": 2}})
    state, notes = appstate.state_from_json(appstate.scenario_json(scenario))
    assert notes == []
    assert state["prompt.mode"] == "Text"
    assert appstate.scenario_from_state(state) == scenario


@pytest.mark.parametrize("text, message", [
    ("", "scenario file: it is empty"),
    ("{\n  \"workload\": ", "scenario file: not valid JSON: Expecting value at line 2"),
    ('{"workload": {"volume": 5}}', "workload.volume: unknown field"),
    ('{"workload": {"requests_per_month": -5}}', "workload.requests_per_month: must be a number ≥ 0"),
    ('[1, 2]', "scenario: expected a table of fields"),
])
def test_bad_scenario_json_gives_a_readable_message(text, message):
    with pytest.raises(InputError, match=None) as info:
        appstate.state_from_json(text.encode())
    assert str(info.value).startswith(message)


def test_out_of_range_values_are_clamped_with_a_note():
    scenario = Scenario.from_dict({"horizon_months": 240})
    state, notes = appstate.widget_state(scenario)
    assert state["horizon_months"] == 120
    assert any(n.startswith("horizon_months: 240 is outside") for n in notes)


def test_read_dataset_counts_exactly_and_lists_bad_lines():
    good = {"messages": [{"role": "user", "content": "Refund please"},
                         {"role": "assistant", "content": "billing"}]}
    data = "\n".join([json.dumps(good), "{oops", json.dumps(good),
                      json.dumps({"messages": [{"role": "user", "content": "x"}]})]).encode()
    report = appstate.read_dataset(data, "gpt-4.1-mini")
    assert report.n_examples == 2
    assert [(e.line, e.message.split(":")[0]) for e in report.errors] == [
        (2, "invalid JSON"), (4, "no assistant message")]
    assert appstate.dataset_values(report) is None
    clean = appstate.read_dataset(json.dumps(good).encode() * 1, "gpt-4.1-mini")
    expected = tokens.analyze_dataset([good], "gpt-4.1-mini")
    assert appstate.dataset_values(clean) == {
        "finetune.examples": 1,
        "finetune.tokens_per_example": float(expected.billed_tokens_per_epoch)}


def test_dataset_values_feed_the_scenario(defaults):
    scenario = appstate.scenario_from_state(defaults, dataset={
        "finetune.examples": 1234, "finetune.tokens_per_example": 321.5})
    assert scenario.finetune.examples == 1234
    assert scenario.finetune.tokens_per_example == 321.5


def test_count_prompt_text_matches_the_engine():
    messages = [{"role": "user", "content": "Where is my parcel?"},
                {"role": "assistant", "content": "shipping"}]
    n = appstate.count_prompt_text(json.dumps(messages), "gpt-4.1", fewshot=True)
    scenario = example_scenario().with_values(**{"prompt.fewshot_tokens": None,
                                                 "prompt.fewshot": messages})
    from simulator.model.resolve import resolve

    assert int(n) == resolve(scenario).values["prompt.fewshot_tokens"]
    assert appstate.count_prompt_text("", "gpt-4.1") == 0
    with pytest.raises(InputError):
        appstate.count_prompt_text('[1, {"role": "user"}]', "gpt-4.1", fewshot=True)


def test_guarded_run_leaves_out_options_it_cannot_price():
    scenario = example_scenario().with_values(**{"finetune.provider": "azure",
                                                 "finetune.model": "o4-mini"})
    run = appstate.simulate_guarded(scenario, simulate)
    assert set(run.result.summary["option"]) == {"prompt", "rag"}
    (group, message), = run.dropped
    assert group == "Fine-tuning" and "billed per training hour" in message
    broken_base = example_scenario().with_values(**{"prompt.model": "no-such-model-xyz"})
    with pytest.raises(InputError):
        appstate.simulate_guarded(broken_base, simulate)


def test_uncertainty_ranges_stay_inside_each_fields_rule():
    values = {"workload.requests_per_month": 60_000.0, "workload.growth_per_month": 0.0,
              "hybrid.finetuned_share": 0.95, "prompt.accuracy": 0.99,
              "finetune.examples": 600.0, "prompt.fewshot_tokens": 0.0}
    dists = answer.mc_distributions(values, ["prompt", "hybrid"], 0.5, cost_per_error=1.0)
    assert dists["hybrid.finetuned_share"].high <= 1.0
    assert dists["prompt.accuracy"].high <= 1.0
    assert dists["workload.requests_per_month"].low == pytest.approx(30_000)
    assert "prompt.fewshot_tokens" not in dists  # 0 has no relative spread
    assert dists["workload.growth_per_month"].low == pytest.approx(-0.05)
    ranges = answer.tornado_ranges(values, ["prompt", "hybrid"], 0.5)
    assert "prompt.accuracy" not in ranges  # errors not priced
    assert ranges["finetune.examples"] == (300.0, 900.0)


def test_headline_and_key_figures(defaults):
    # 150,000 requests a month: the busy case, where fine-tuning wins
    result = simulate(example_scenario().with_values(**{"workload.requests_per_month": 150_000}))
    k = answer.key_figures(result.summary, "prompt", 24)
    summary = result.summary.set_index("option")
    month = int(summary.loc["finetune", "breakeven_month"])
    assert (k["winner"], k["breakeven_text"], k["p_text"]) == ("finetune", f"month {month}", "—")
    text = answer.headline(result.summary, "prompt", 24)
    saved = format_usd(summary.loc["prompt", "tco_usd"] - summary.loc["finetune", "tco_usd"])
    assert text.startswith(f"Fine-tune through the provider's API: over 24 months it saves "
                           f"{saved}")
    assert "single estimate" in text
    mc = pd.DataFrame({"option": ["prompt", "finetune"], "p_cheaper": [0.0, 0.8]})
    assert "80% of 2,000 simulated futures (moderate confidence)" in answer.headline(
        result.summary, "prompt", 24, mc, 2000)
    quiet = simulate(example_scenario().with_values(**{"workload.requests_per_month": 100,
                                                       "prompt.maintenance_hours_per_month": 0,
                                                       "prompt.engineering_hours": 0}))
    assert answer.headline(quiet.summary, "prompt", 24).startswith(
        "Keep prompting a large model: over 24 months it costs")
    only = simulate(example_scenario().with_values(options=("prompt",)))
    assert answer.headline(only.summary, "prompt", 24).startswith("Only prompting")


def test_error_group_follows_the_field_path():
    assert appstate.error_group("finetune.train_usd_per_mtok: x") == "Fine-tuning"
    assert appstate.error_group("prompt.fewshot[2]: bad") == "Prompting"
    assert appstate.error_group("cost_per_error_usd: bad") == "Quality"
    assert appstate.error_group("something else") == "Horizon & money"


def test_price_overrides_are_only_the_changed_rows_and_load():
    table = pricing.default_table()
    original = table.frame("inference")
    assert appstate.price_overrides(original, original.copy()) is None
    edited = original.copy()
    row = edited.index[(edited["model"] == "gpt-4.1")][0]
    edited.loc[row, "input_usd_per_mtok"] = 1.0
    text = appstate.price_overrides(original, edited)
    assert text.count("\n") == 2  # header + one row
    custom = pricing.load_price_table(inference=io.StringIO(text))
    assert custom.inference_rates("gpt-4.1").input_usd_per_mtok == 1.0
    result = simulate(example_scenario(), table=custom)
    assert result.prices.set_index("field").loc["prompt.input_usd_per_mtok", "value"] == 1.0


def test_downloads_are_parseable():
    result = simulate(example_scenario())
    monthly = pd.read_csv(io.StringIO(appstate.csv_text(result.monthly)))
    assert monthly["cost_usd"].sum() == pytest.approx(result.monthly["cost_usd"].sum())
    assert Scenario.from_dict(json.loads(appstate.scenario_json(result.scenario))) \
        == result.scenario


def test_prompt_provider_round_trips_and_empty_means_the_default_host():
    s = Scenario.from_dict({"prompt": {"model": "claude-sonnet-5-5", "provider": "google"}})
    state, _ = appstate.widget_state(s)
    assert state["prompt.provider"] == "google"
    assert appstate.scenario_from_state(state).prompt.provider == "google"
    assert appstate.state_to_query(state)["prompt.provider"] == "google"
    state["prompt.provider"] = ""
    assert appstate.scenario_from_state(state).prompt.provider is None
    hosts = pricing.default_table().inference_hosts("claude-sonnet-5-5")
    assert {"anthropic", "google"} <= set(hosts)


def test_price_edits_travel_in_the_json_and_the_link(defaults):
    rows = ("provider,model,effective_from,input_usd_per_mtok,output_usd_per_mtok,source_url\n"
            "openai,gpt-6.1-terra,2024-01-01,0.5,2.5,https://example.com/deal\n")
    state = dict(defaults, extras=appstate.with_price_edits(defaults["extras"],
                                                            [("inference", rows)]))
    scenario = appstate.scenario_from_state(state)
    assert dict(scenario.prices) == {"inference": rows}
    back, notes = appstate.state_from_json(appstate.scenario_json(scenario))
    assert notes == [] and appstate.scenario_from_state(back) == scenario
    query = appstate.state_to_query(state, defaults=defaults)
    assert json.loads(query["prices"]) == {"inference": rows}
    linked, problems = appstate.state_from_query(query, defaults=defaults)
    assert problems == [] and appstate.scenario_from_state(linked) == scenario
    _, problems = appstate.state_from_query({"prices": '{"nope": "x"}'}, defaults=defaults)
    assert any("prices.'nope': unknown price file" in p for p in problems)
    assert appstate.with_price_edits({"title": "t"}, []) == {"title": "t"}


def test_follow_gpu_takes_published_figures_and_leaves_the_rest():
    from simulator.model.throughput import gpu_throughput

    state = {"selfhost.gpu": "H100 80GB", "selfhost.model_params_b": 70.0,
             "selfhost.serve_tokens_per_second": 1.0, "selfhost.train_tokens_per_second": 2.0}
    appstate.follow_gpu(state)
    assert state["selfhost.serve_tokens_per_second"] == gpu_throughput(
        "H100 80GB", "serve", 70).tokens_per_second
    assert state["selfhost.train_tokens_per_second"] == gpu_throughput(
        "H100 80GB", "train", 70).tokens_per_second
    assert appstate.throughput_warnings(state) == []
    state["selfhost.model_params_b"] = 5000.0
    appstate.follow_gpu(state)                              # nothing published: unchanged
    assert appstate.throughput_warnings(state) == [
        ("No published serving throughput for H100 80GB and a model of 5000B parameters in "
         "gpu_throughput.csv: the serving throughput below (5,065 tokens/s) is your "
         "assumption; set it from a benchmark of your own."),
        ("No published training throughput for H100 80GB and a model of 5000B parameters in "
         "gpu_throughput.csv: the training throughput below (2,621 tokens/s) is your "
         "assumption; set it from a benchmark of your own.")]


def test_a_link_that_changes_the_model_size_prices_that_size_s_throughput(defaults):
    """?selfhost.model_params_b=70 alone used to keep the 8B model's throughputs (the widgets
    follow the GPU and size only when changed by hand); a throughput the link gives wins."""
    from simulator.model.throughput import gpu_throughput

    gpu = defaults["selfhost.gpu"]
    state, problems = appstate.state_from_query({"selfhost.model_params_b": "70"},
                                                defaults=defaults)
    assert problems == []
    assert state["selfhost.serve_tokens_per_second"] == gpu_throughput(
        gpu, "serve", 70).tokens_per_second
    assert state["selfhost.train_tokens_per_second"] == gpu_throughput(
        gpu, "train", 70).tokens_per_second
    assert state["selfhost.serve_tokens_per_second"] < defaults[
        "selfhost.serve_tokens_per_second"]
    given, _ = appstate.state_from_query({"selfhost.model_params_b": "70",
                                          "selfhost.serve_tokens_per_second": "1234"},
                                         defaults=defaults)
    assert given["selfhost.serve_tokens_per_second"] == 1234
    assert given["selfhost.train_tokens_per_second"] == state["selfhost.train_tokens_per_second"]
    # a link the app makes from such a state carries the throughputs and comes back the same
    query = appstate.state_to_query(state, defaults=defaults)
    back, _ = appstate.state_from_query(query, defaults=defaults)
    assert appstate.scenario_from_state(back) == appstate.scenario_from_state(state)
