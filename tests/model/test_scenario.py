"""The scenario file: defaults, round trips, validation messages, texts counted, renames."""

from __future__ import annotations

import json
import math
import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from strategies import hand_scenario, hand_scenario_dict, pinned, scenario_dicts

from simulator import InputError, Scenario, load_scenario, save_scenario, simulate
from simulator.model.resolve import resolve
from simulator.model.scenario import (
    RENAMED,
    dumps_scenario,
    example_scenario,
    example_scenario_text,
    field_rule,
    numeric_fields,
    with_values,
)
from simulator.tokens.tokens import count_chat_tokens, count_tokens


def test_defaults_are_the_documented_ones():
    s = Scenario()
    assert (s.horizon_months, s.discount_rate, s.price_decline, s.baseline) == \
        (24, 0.10, 0.0, "prompt")
    assert s.options == ("prompt", "finetune")
    assert (s.workload.requests_per_month, s.workload.input_tokens,
            s.workload.output_tokens) == (60000, 400, 150)
    assert (s.prompt.model, s.prompt.accuracy) == ("gpt-6.1-terra", 0.87)
    assert (s.finetune.provider, s.finetune.model, s.finetune.epochs) == \
        ("aws", "amazon.nova-micro-v1:0", "auto")
    assert (s.finetune.on_retirement, s.finetune.migration_hours, s.prompt.migration_hours) \
        == ("migrate", 40, 16)
    assert s.finetune.maintenance_hours_per_month is None   # = the prompt's
    assert s.selfhost.gpu == "H100 80GB"
    assert s.hybrid.finetuned_share == 0.8
    values = resolve(Scenario.from_dict(pinned({}))).values
    assert values["prompt.system_prompt_tokens"] == 1200
    assert values["prompt.fewshot_tokens"] == 1800
    assert values["finetune.examples"] == 600
    assert values["finetune.tokens_per_example"] == 700
    # system + user in o200k_base: 3 per message and 1 per role token, 3 to prime the reply
    assert values["workload.chat_overhead_tokens"] == 11


def test_dict_round_trip():
    s = hand_scenario()
    assert Scenario.from_dict(s.to_dict()) == s


@settings(max_examples=30, deadline=None)
@given(data=scenario_dicts())
def test_round_trip_for_any_valid_scenario(data):
    s = Scenario.from_dict(data)
    again = Scenario.from_dict(json.loads(dumps_scenario(s, "json")))
    assert again == s
    assert Scenario.from_dict(tomllib.loads(dumps_scenario(s, "toml"))) == s


@pytest.mark.parametrize("suffix", [".toml", ".json"])
def test_save_and_load(tmp_path, suffix):
    s = hand_scenario(title="round trip", as_of="2026-01-31")
    path = save_scenario(s, tmp_path / f"s{suffix}")
    loaded = load_scenario(path)
    assert loaded == s
    assert loaded.source_dir == tmp_path
    assert loaded.as_of.isoformat() == "2026-01-31"


def test_example_file_parses_and_every_setting_is_commented():
    s = example_scenario()
    assert set(s.options) == {"prompt", "rag", "finetune", "selfhost", "hybrid"}
    assert s.prompt.model == "gpt-6.1-terra" and s.rag.embedding_model == "text-embedding-3-small"
    assert (s.finetune.provider, s.finetune.model) == ("aws", "amazon.nova-micro-v1:0")
    for line in example_scenario_text().splitlines():
        if "=" in line and not line.lstrip().startswith("#"):
            assert "#" in line, f"no comment on: {line}"


# ---- validation ---------------------------------------------------------------------------------

@pytest.mark.parametrize("path, value, message", [
    ("workload.requests_per_month", -5, ("workload.requests_per_month: must be a number ≥ 0, "
                                        "got -5")),
    ("prompt.accuracy", 1.3, "prompt.accuracy: must be a share in [0, 1], got 1.3"),
    ("prompt.cached_share", -0.1, "prompt.cached_share: must be a share in [0, 1], got -0.1"),
    ("finetune.examples", 0, "finetune.examples: must be a whole number ≥ 1, got 0"),
    ("finetune.examples", 10.5, "finetune.examples: must be a whole number ≥ 1, got 10.5"),
    ("finetune.epochs", 0, "finetune.epochs: must be a whole number ≥ 1, got 0"),
    ("finetune.epochs", "many", "finetune.epochs: must be a whole number ≥ 1, got 'many'"),
    ("selfhost.utilisation", 0, "selfhost.utilisation: must be a share in (0, 1], got 0"),
    ("horizon_months", 0, "horizon_months: must be a whole number ≥ 1 and ≤ 600, got 0"),
    ("price_decline", 1.0, "price_decline: must be a number > -1 and < 1, got 1.0"),
    ("workload.input_tokens", "400", "workload.input_tokens: must be a number ≥ 0, got '400'"),
    ("workload.input_tokens", True, "workload.input_tokens: must be a number ≥ 0, got True"),
    ("workload.output_tokens", math.nan, ("workload.output_tokens: must be a number ≥ 0, "
                                         "got nan")),
    ("prompt.model", "", "prompt.model: must be a non-empty text"),
    ("hybrid.finetuned_share", 2, "hybrid.finetuned_share: must be a share in [0, 1], got 2"),
])
def test_invalid_value_names_field_and_value(path, value, message):
    data = hand_scenario_dict()
    section, _, name = path.partition(".")
    if name:
        data[section][name] = value
    else:
        data[path] = value
    with pytest.raises(InputError) as info:
        Scenario.from_dict(data)
    assert str(info.value).startswith(message)


@pytest.mark.parametrize("path", [p for p in numeric_fields()])
def test_every_numeric_field_refuses_an_out_of_range_value(path):
    rule = field_rule(path)
    bad = rule.lo - 1 if math.isfinite(rule.lo) and rule.lo > -1 else rule.hi + 1
    if not math.isfinite(bad):
        bad = -1.0
    data = hand_scenario_dict()
    section, _, name = path.partition(".")
    if name:
        data[section][name] = bad
    else:
        data[path] = bad
    with pytest.raises(InputError) as info:
        Scenario.from_dict(data)
    assert str(info.value).startswith(f"{path}: ")
    assert repr(bad) in str(info.value) or str(bad) in str(info.value)


def test_unknown_fields_are_named():
    with pytest.raises(InputError, match=r"^horizon: unknown field"):
        Scenario.from_dict({"horizon": 12})
    with pytest.raises(InputError, match=r"^finetune\.epoch: unknown field \(known: .*epochs"):
        Scenario.from_dict({"finetune": {"epoch": 3}})
    with pytest.raises(InputError, match=r"^prompt: must be a table"):
        Scenario.from_dict({"prompt": 3})


def test_unknown_option_and_baseline():
    with pytest.raises(InputError, match=r"^options\[1\]: unknown option 'finetuning'"):
        Scenario.from_dict({"options": ["prompt", "finetuning"]})
    with pytest.raises(InputError, match=r"^baseline: unknown option 'gpt'"):
        Scenario.from_dict({"baseline": "gpt"})
    with pytest.raises(InputError, match=r"^options: 'rag' is listed twice"):
        Scenario.from_dict({"options": ["rag", "rag"]})
    with pytest.raises(InputError, match=r"^options: must name at least one"):
        Scenario.from_dict({"options": []})
    with pytest.raises(InputError, match=r"^options: must be a list"):
        Scenario.from_dict({"options": "prompt"})


def test_baseline_is_always_simulated_first():
    s = Scenario.from_dict({"baseline": "finetune", "options": ["prompt"]})
    assert s.simulated_options == ("finetune", "prompt")


def test_bad_date():
    with pytest.raises(InputError, match=r"^as_of: expected a date"):
        Scenario.from_dict({"as_of": "last week"})


def test_unknown_model_is_reported_at_simulate_time_with_its_field():
    from pricing import load_price_table

    table = load_price_table(use_genai_prices=False)
    s = Scenario.from_dict({"prompt": {"model": "no-such-model-9"}, "options": ["prompt"]})
    with pytest.raises(InputError, match=r"^prompt\.model: no inference price .*"
                                         r"set prompt\.input_usd_per_mtok"):
        simulate(s, table=table)
    s = Scenario.from_dict({"finetune": {"provider": "nobody", "months_to_production": 0},
                            "options": ["finetune"], "baseline": "finetune"})
    with pytest.raises(InputError, match=r"^finetune\.model: "):
        simulate(s, table=table)
    s = Scenario.from_dict({"selfhost": {"gpu": "Z9000", "months_to_production": 0},
                            "options": ["selfhost"], "baseline": "selfhost"})
    with pytest.raises(InputError, match=r"^selfhost\.gpu: no price for GPU 'Z9000'"):
        simulate(s, table=table)


def test_hourly_training_offering_asks_for_a_pinned_rate(tmp_path):
    from pricing import load_price_table

    csv = tmp_path / "ft.csv"
    csv.write_text("provider,base_model,effective_from,train_usd_per_hour,input_usd_per_mtok,"
                   "output_usd_per_mtok,source_url\n"
                   "acme,hourly-model,2025-01-01,100,1,2,https://example.com\n")
    table = load_price_table(finetune=csv, use_genai_prices=False)
    s = Scenario.from_dict({"finetune": {"provider": "acme", "model": "hourly-model",
                                         "months_to_production": 0},
                            "options": ["finetune"], "baseline": "finetune"})
    with pytest.raises(InputError, match=r"^finetune\.train_usd_per_mtok: .*per training hour"):
        simulate(s, table=table)
    pinned_rate = with_values(s, {"finetune.train_usd_per_mtok": 3.0})
    assert simulate(pinned_rate, table=table).prices.set_index("field").loc[
        "finetune.train_usd_per_mtok", "source"] == "scenario (pinned)"


# ---- renamed fields -----------------------------------------------------------------------------

def test_renamed_field_loads_with_a_note_and_no_warning():
    s = Scenario.from_dict({"selfhost": {"utilization": 0.7}})
    assert s.selfhost.utilisation == 0.7
    assert any("selfhost.utilization was renamed selfhost.utilisation" in n for n in s.notes)
    assert "utilization" not in json.dumps(s.to_dict())
    assert set(RENAMED.values()) <= set(numeric_fields()) | {"prompt.fewshot"}


def test_old_and_new_name_together_is_an_error():
    with pytest.raises(InputError, match="both are given"):
        Scenario.from_dict({"selfhost": {"utilization": 0.7, "utilisation": 0.6}})


# ---- text instead of numbers --------------------------------------------------------------------

def test_prompt_texts_are_counted_with_the_models_tokenizer():
    system = "You are a careful support agent. Classify the ticket into one of ten queues."
    shots = ["Ticket: my card was charged twice. Queue: billing",
             "Ticket: the app crashes on start. Queue: bugs"]
    s = Scenario.from_dict(pinned({"prompt": {"system_prompt": system, "fewshot": shots}}))
    values = resolve(s).values
    assert values["prompt.system_prompt_tokens"] == count_tokens(system, "gpt-4.1")
    assert values["prompt.fewshot_tokens"] == sum(count_tokens(t, "gpt-4.1") for t in shots)
    assert Scenario.from_dict(s.to_dict()) == s


def test_fewshot_messages_are_counted_without_the_reply_priming():
    messages = [{"role": "user", "content": "Ticket: refund please"},
                {"role": "assistant", "content": "billing"}]
    s = Scenario.from_dict(pinned({"prompt": {"fewshot": messages}}))
    assert resolve(s).values["prompt.fewshot_tokens"] == count_chat_tokens(messages,
                                                                           "gpt-4.1") - 3


def test_text_and_number_together_is_an_error():
    with pytest.raises(InputError, match=r"^prompt\.system_prompt: give either"):
        Scenario.from_dict({"prompt": {"system_prompt": "hi", "system_prompt_tokens": 3}})
    with pytest.raises(InputError, match=r"^prompt\.fewshot: give either"):
        Scenario.from_dict({"prompt": {"fewshot": "hi", "fewshot_tokens": 3}})
    with pytest.raises(InputError, match=r"^finetune\.dataset: give either"):
        Scenario.from_dict({"finetune": {"dataset": "x.jsonl", "tokens_per_example": 3}})
    with pytest.raises(InputError, match=r"^prompt\.fewshot\[0\]: a message needs"):
        Scenario.from_dict({"prompt": {"fewshot": [{"role": "user"}]}})


def _write_dataset(path: Path, n: int) -> None:
    lines = []
    for i in range(n):
        lines.append(json.dumps({"messages": [
            {"role": "system", "content": "Classify the ticket."},
            {"role": "user", "content": f"Ticket {i}: " + "word " * (i % 7)},
            {"role": "assistant", "content": "billing"}]}))
    path.write_text("\n".join(lines) + "\n")


def test_training_jsonl_is_counted_relative_to_the_scenario_file(tmp_path):
    from simulator.tokens.tokens import analyze_dataset

    _write_dataset(tmp_path / "train.jsonl", 40)
    data = hand_scenario_dict()
    del data["finetune"]["examples"], data["finetune"]["tokens_per_example"]
    data["finetune"]["dataset"] = "train.jsonl"
    data["finetune"]["retrain_every_months"] = 0
    path = save_scenario(Scenario.from_dict(data), tmp_path / "s.toml")
    result = simulate(load_scenario(path))
    report = analyze_dataset(tmp_path / "train.jsonl", Scenario().finetune.model, epochs=2,
                             max_tokens_per_example=400)
    assert report.n_examples == 40
    training = result.monthly.query("option == 'finetune' and component == 'training'")
    assert training.cost_usd.sum() == pytest.approx(
        report.billed_tokens_per_epoch * 2 * 10 / 1e6)
    assert any("40 examples" in n for n in result.notes)


def test_broken_dataset_names_the_line(tmp_path):
    (tmp_path / "bad.jsonl").write_text('{"messages": []}\nnot json\n')
    s = Scenario.from_dict(pinned({"finetune": {"dataset": "bad.jsonl"}}),
                           source_dir=tmp_path)
    with pytest.raises(InputError, match=r"^finetune\.dataset: .*2 bad line\(s\); first: line 1"):
        simulate(s)


# ---- files --------------------------------------------------------------------------------------

def test_load_errors_name_the_file(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        load_scenario(tmp_path / "missing.toml")
    (tmp_path / "s.yaml").write_text("a: 1")
    with pytest.raises(InputError, match=r"must end in \.toml or \.json"):
        load_scenario(tmp_path / "s.yaml")
    (tmp_path / "s.toml").write_text("horizon_months = \n")
    with pytest.raises(InputError, match="not valid TOML"):
        load_scenario(tmp_path / "s.toml")
    (tmp_path / "s.json").write_text("{")
    with pytest.raises(InputError, match="not valid JSON"):
        load_scenario(tmp_path / "s.json")
    (tmp_path / "bad.toml").write_text("[workload]\nrequests_per_month = -5\n")
    with pytest.raises(InputError, match=r"bad\.toml: workload\.requests_per_month: must be"):
        load_scenario(tmp_path / "bad.toml")


def test_with_values_checks_like_a_new_scenario():
    s = hand_scenario()
    assert with_values(s, {"workload.input_tokens": 900}).workload.input_tokens == 900
    with pytest.raises(InputError, match=r"^workload\.input_tokens: must be"):
        with_values(s, {"workload.input_tokens": -1})
    with pytest.raises(InputError, match=r"^workload\.nothing: unknown field"):
        with_values(s, {"workload.nothing": 1})


# ---- price rows that travel with the scenario -----------------------------------------------------

def test_price_rows_travel_with_the_scenario_and_are_used(tmp_path):
    rows = ("provider,model,effective_from,input_usd_per_mtok,output_usd_per_mtok,source_url\n"
            "openai,gpt-6.1-terra,2024-01-01,0.5,2.5,https://example.com/deal\n")
    s = Scenario.from_dict({"options": ["prompt"], "as_of": "2026-11-23",
                            "prices": {"inference": rows}})
    assert s.prices == (("inference", rows),)
    for suffix in (".toml", ".json"):
        assert load_scenario(save_scenario(s, tmp_path / f"s{suffix}")) == s
    priced = simulate(s).prices.set_index("field")
    assert priced.loc["prompt.input_usd_per_mtok", "value"] == 0.5
    assert priced.loc["prompt.output_usd_per_mtok", "value"] == 2.5
    assert "prices.inference" in priced.loc["prompt.input_usd_per_mtok", "source"]
    plain = simulate(Scenario.from_dict({"options": ["prompt"], "as_of": "2026-11-23"}))
    assert plain.prices.set_index("field").loc["prompt.input_usd_per_mtok", "value"] == 1.0


@pytest.mark.parametrize("prices, message", [
    ({"models": "x"}, "prices.'models': unknown price file"),
    ({"inference": 5}, "prices.inference: must be text"),
    ("text", "prices: expected a table"),
])
def test_bad_price_rows_are_refused_by_name(prices, message):
    with pytest.raises(InputError, match=message):
        Scenario.from_dict({"prices": prices})


def test_broken_price_rows_name_the_kind_row_and_column():
    rows = "provider,model,effective_from,input_usd_per_mtok,source_url\nacme,m,2024-01-01,-1,x\n"
    s = Scenario.from_dict({"options": ["prompt"], "prices": {"inference": rows}})
    with pytest.raises(InputError, match=r"prices\.inference, row 1 .*column "
                                         r"'input_usd_per_mtok': price -1 is negative"):
        simulate(s)
