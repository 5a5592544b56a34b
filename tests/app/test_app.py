"""The Streamlit app, driven with AppTest: widgets set by key, answers read back."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1 import app_test as app_test_module

from simulator import Scenario
from simulator.tokens import tokens

APP = str(Path(__file__).resolve().parents[2] / "app.py")
CHARTS = 6  # cumulative, breakdown, cost groups, heatmap, tornado, Monte Carlo


def _default_breakeven() -> str:
    from simulator import example_scenario, simulate
    from simulator.core.wording import breakeven_text

    summary = simulate(example_scenario()).summary.set_index("option")
    return breakeven_text(summary.loc["finetune", "breakeven_month"])


DEFAULT_BREAKEVEN = _default_breakeven()

GOOD = [
    {"messages": [{"role": "system", "content": "Classify the ticket."},
                  {"role": "user", "content": f"My invoice number {i} is wrong."},
                  {"role": "assistant", "content": "billing"}]}
    for i in range(3)
]


def jsonl(records) -> bytes:
    return ("\n".join(r if isinstance(r, str) else json.dumps(r) for r in records)
            + "\n").encode()


def new_app(**query) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in query.items():
        at.query_params[key] = value
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def breakeven_month(at: AppTest) -> int:
    text = metrics(at)["Break-even"]
    assert text.startswith("month "), text
    return int(text.split()[1])


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


@pytest.fixture(scope="module")
def default_app() -> AppTest:
    return new_app().run()


def test_default_page_renders(default_app):
    at = default_app
    assert_clean(at)
    assert not at.error, [e.value for e in at.error]
    m = metrics(at)
    # The seeds' team as it is today (prompt built, 600 examples on hand, two months to
    # production): counting only what is still to pay, prompting stays cheaper.
    assert m["Best option"] == "Prompting"
    assert m["Break-even"] == DEFAULT_BREAKEVEN == "never"
    assert m["Savings over 24 months"].startswith("-$")
    assert m["P(cheaper than baseline)"].endswith("%")
    assert len(at.get("plotly_chart")) == CHARTS
    headline = at.markdown[0].value
    assert "Keep prompting" in headline and "fine-tuning" in headline
    assert "confidence" in headline
    # as_text escapes the dollars, which markdown would otherwise read as LaTeX
    captions = " ".join(c.value for c in at.caption).replace("\\$", "$")
    assert "Not counted (already paid): labelling the 600 examples on hand, $1,200; " \
           "prompt engineering (40 h), $4,000." in captions
    assert len(at.tabs) == 6
    assert dict(at.query_params) == {}  # defaults: a plain link


def test_monthly_table_lists_what_is_paid_and_says_how_many_zero_rows_it_leaves(default_app):
    at = default_app
    monthly = next(d.value for d in at.dataframe if isinstance(d.value, pd.DataFrame)
                   and list(d.value.columns) == ["option", "month", "component", "cost_usd"])
    assert len(monthly) and (monthly.cost_usd != 0).all()
    # the prompt's month 0 (built already: no engineering, no traffic) is not listed
    assert monthly[(monthly.option == "prompt") & (monthly.month == 0)].empty
    from simulator import example_scenario, simulate
    full = simulate(example_scenario()).monthly
    zero = int((full.cost_usd == 0).sum())
    assert len(monthly) == len(full) - zero
    captions = " ".join(c.value for c in at.caption)
    assert f"{zero:,} rows of $0" in captions.replace("\\$", "$")
    assert f"all {len(full):,}" in captions


def test_more_volume_breaks_even_earlier():
    at = new_app().run()
    # at today's 60,000 requests the fine-tune never breaks even; above ~65,000 it does
    assert metrics(at)["Break-even"] == "never"
    at.number_input(key="workload.requests_per_month").set_value(100_000).run()
    assert_clean(at)
    low = breakeven_month(at)
    at.number_input(key="workload.requests_per_month").set_value(150_000).run()
    middle = breakeven_month(at)
    at.number_input(key="workload.requests_per_month").set_value(600_000).run()
    high = breakeven_month(at)
    assert high < middle < low
    assert at.query_params["workload.requests_per_month"] == "600000"


def test_longer_prompt_saves_more_and_mc_off_says_single_estimate():
    at = new_app().run()
    before = metrics(at)["Savings over 24 months"]
    at.number_input(key="prompt.fewshot_tokens").set_value(6000).run()
    after = metrics(at)["Savings over 24 months"]

    def usd(text):
        return float(text.replace("$", "").replace(",", ""))

    assert usd(after) > usd(before)
    at.toggle(key="ui.mc_on").set_value(False).run()
    assert_clean(at)
    assert metrics(at)["P(cheaper than baseline)"] == "—"
    assert "single estimate" in at.markdown[0].value
    assert len(at.get("plotly_chart")) == CHARTS - 1


def test_link_restores_the_view_and_reports_bad_parameters():
    at = new_app(**{"workload.requests_per_month": "120000", "options": "prompt,finetune,nope",
                    "horizon_months": "abc"}).run()
    assert_clean(at)
    assert at.number_input(key="workload.requests_per_month").value == 120_000
    assert at.multiselect(key="options").value == ["prompt", "finetune"]
    warnings = " ".join(w.value for w in at.warning)
    assert "nope" in warnings and "horizon_months" in warnings
    assert at.slider(key="horizon_months").value == 24


def test_prompt_text_is_counted_exactly_and_empty_text_is_flagged():
    at = new_app().run()
    at.selectbox(key="prompt.model").set_value("gpt-5.4").run()   # a public tokenizer
    at.radio(key="prompt.mode").set_value("Text").run()
    assert_clean(at)
    assert any("empty" in w.value for w in at.warning)
    text = "You are a support agent. Classify each ticket into billing, bug or other."
    at.text_area(key="prompt.system_prompt").set_value(text).run()
    n = tokens.count_tokens(text, "gpt-5.4")
    captions = [c.value for c in at.caption]
    assert any(f"**{n:,} tokens** · exact" in c for c in captions), captions
    assert metrics(at)["Best option"]  # the page still answers


def test_upload_shows_counts_and_uses_them():
    at = new_app().run()
    at.radio(key="finetune.data_mode").set_value("Upload JSONL").run()
    at.file_uploader(key="finetune.upload").upload("train.jsonl", jsonl(GOOD),
                                                    "application/jsonl").run()
    assert_clean(at)
    report = tokens.analyze_dataset(io.BytesIO(jsonl(GOOD)), Scenario().finetune.model)
    captions = " ".join(c.value for c in at.caption)
    assert "**3 examples**" in captions
    assert f"{report.billed_training_tokens:,} billed training tokens" in captions
    assert at.number_input(key="finetune.examples").disabled
    assert not at.error


def test_bad_jsonl_lists_its_line_numbers_and_page_still_works():
    at = new_app().run()
    at.radio(key="finetune.data_mode").set_value("Paste JSONL").run()
    lines = [json.dumps(GOOD[0]), "{not json", json.dumps(GOOD[1]),
             json.dumps({"messages": [{"role": "user", "content": "hi"}]})]
    at.text_area(key="finetune.paste").set_value("\n".join(lines)).run()
    assert_clean(at)
    errors = " ".join(e.value for e in at.error)
    assert "2 bad line(s)" in errors
    assert "line 2: invalid JSON" in errors and "line 4: no assistant message" in errors
    assert not at.number_input(key="finetune.examples").disabled
    assert metrics(at)["Best option"] == metrics(new_app().run())["Best option"]


def test_scenario_json_with_wrong_fields_is_refused_beside_the_widget():
    at = new_app().run()
    at.text_area(key="scenario.paste").set_value(json.dumps({"workload": {"volume": 5}})).run()
    at.button(key="scenario.load").click().run()
    assert_clean(at)
    errors = [e.value for e in at.error]
    assert any(e.startswith("Scenario not loaded: workload.volume: unknown field") for e in errors)
    assert metrics(at)["Break-even"] == DEFAULT_BREAKEVEN


def test_scenario_json_restores_every_widget():
    at = new_app().run()
    data = Scenario.from_dict({
        "horizon_months": 36, "options": ["prompt", "finetune"],
        "workload": {"requests_per_month": 250_000, "growth_per_month": 0.05},
        "prompt": {"model": "gpt-5.4", "system_prompt": "Be brief.", "fewshot": ["a", "b"],
                   "input_usd_per_mtok": 2.2},
        "finetune": {"provider": "together", "model": "qwen/qwen3-8b", "epochs": 2},
    }).to_dict()
    at.file_uploader(key="scenario.upload").upload("s.json", json.dumps(data).encode(),
                                                   "application/json").run()
    assert_clean(at)
    assert at.number_input(key="workload.requests_per_month").value == 250_000
    assert at.slider(key="workload.growth_per_month").value == pytest.approx(5.0)
    assert at.slider(key="horizon_months").value == 36
    assert at.selectbox(key="prompt.model").value == "gpt-5.4"
    assert at.radio(key="prompt.mode").value == "Text"
    assert at.text_area(key="prompt.system_prompt").value == "Be brief."
    assert at.selectbox(key="finetune.offering").value == "together/qwen/qwen3-8b"
    assert at.checkbox(key="finetune.epochs_auto").value is False
    assert at.number_input(key="finetune.epochs").value == 2
    assert at.query_params["prompt.input_usd_per_mtok"] == "2.2"  # carried along
    assert not at.error


def test_unpriceable_offering_is_flagged_and_the_rest_still_answers():
    at = new_app().run()
    at.selectbox(key="finetune.offering").set_value("azure/o4-mini").run()
    assert_clean(at)
    errors = " ".join(e.value for e in at.error)
    assert "billed per training hour" in errors
    assert metrics(at)["Best option"]  # rag and prompt still priced


@pytest.fixture
def recorded_downloads(monkeypatch):
    files: dict[str, bytes] = {}

    class Recording(MemoryMediaFileStorage):
        def load_and_get_id(self, path_or_data, mimetype, kind, filename=None):
            data = path_or_data.encode() if isinstance(path_or_data, str) else path_or_data
            if filename:
                files[filename] = data
            return super().load_and_get_id(path_or_data, mimetype, kind, filename)

    monkeypatch.setattr(app_test_module, "MemoryMediaFileStorage", Recording)
    return files


def test_downloads_parse(recorded_downloads):
    at = new_app(**{"workload.requests_per_month": "90000"}).run()
    assert_clean(at)
    files = recorded_downloads
    monthly = pd.read_csv(io.BytesIO(files["monthly.csv"]))
    assert list(monthly.columns) == ["option", "month", "component", "cost_usd"]
    assert set(monthly["option"]) == {"prompt", "rag", "finetune", "selfhost", "hybrid"}
    summary = pd.read_csv(io.BytesIO(files["summary.csv"]))
    assert summary["option"].iloc[0] == "prompt"
    assert summary["tco_usd"].iloc[0] == pytest.approx(
        monthly.loc[monthly["option"] == "prompt", "cost_usd"].sum())
    prices = pd.read_csv(io.BytesIO(files["prices.csv"]))
    assert {"field", "value", "source_url", "checked_on"} <= set(prices.columns)
    scenario = Scenario.from_dict(json.loads(files["scenario.json"]))
    assert scenario.workload.requests_per_month == 90_000


def test_prices_tab_names_its_snapshot_and_a_failed_update_keeps_the_prices(monkeypatch,
                                                                             tmp_path):
    import pricing.genai

    monkeypatch.setenv(pricing.genai.CACHE_ENV, str(tmp_path))

    def offline():
        raise ConnectionError("no network here")

    monkeypatch.setattr(pricing.genai, "fetch_latest", offline)
    at = new_app().run()
    captions = " ".join(c.value for c in at.caption)
    assert f"come from {pricing.genai.snapshot_info().label}" in captions
    before = metrics(at)["Savings over 24 months"]
    at.button(key="prices.update").click().run()
    assert_clean(at)
    assert any("Prices not updated: no network here" in e.value for e in at.error)
    assert metrics(at)["Savings over 24 months"] == before
    assert not list(tmp_path.iterdir())          # nothing written


def test_a_link_with_price_rows_uses_them_and_says_so():
    rows = ("provider,model,effective_from,input_usd_per_mtok,output_usd_per_mtok,source_url\n"
            "openai,gpt-6.1-terra,2024-01-01,0.5,2.5,https://example.com/deal\n")
    plain = metrics(new_app().run())["Savings over 24 months"]
    at = new_app(prices=json.dumps({"inference": rows})).run()
    assert_clean(at)
    assert any("carries its own price rows for inference" in i.value for i in at.info)
    assert metrics(at)["Savings over 24 months"] != plain   # a cheaper prompt saves less
    assert json.loads(at.query_params["prices"]) == {"inference": rows}


def test_a_new_gpu_brings_its_own_published_throughput_or_says_there_is_none():
    """Switching H100 -> A100 80GB moves the serving throughput to A100's published figure
    (a slower card is never priced at a faster card's speed); a model size moves it along the
    bands; a size with no published figure keeps the value and says it is the user's."""
    from simulator.model.throughput import gpu_throughput

    def published(gpu, size):
        return gpu_throughput(gpu, "serve", size).tokens_per_second

    at = new_app().run()
    serve = "selfhost.serve_tokens_per_second"
    assert at.number_input(key=serve).value == published("H100 80GB", 8)
    assert not [w for w in at.warning if "throughput" in w.value]
    at.selectbox(key="selfhost.gpu").set_value("A100 80GB").run()
    assert_clean(at)
    assert at.number_input(key=serve).value == published("A100 80GB", 8) < published(
        "H100 80GB", 8)
    at.number_input(key="selfhost.model_params_b").set_value(70.0).run()
    assert at.number_input(key=serve).value == published("A100 80GB", 70)
    at.number_input(key="selfhost.model_params_b").set_value(500.0).run()
    assert_clean(at)
    kept = published("A100 80GB", 70)
    assert at.number_input(key=serve).value == kept           # nothing published: kept
    assert any("No published serving throughput for A100 80GB and a model of 500B parameters"
               in w.value and f"({kept:,.0f} tokens/s) is your assumption" in w.value
               for w in at.warning)


def test_what_is_already_done_and_the_question_asked():
    at = new_app().run()
    base_savings = metrics(at)["Savings over 24 months"]
    # The prompt is not written yet: its 40 h are charged again (to the prompt, and to the
    # fine-tune, which prompts for two months before its tuned model serves).
    at.checkbox(key="prompt.already_built").uncheck().run()
    assert_clean(at)
    captions = " ".join(c.value for c in at.caption)
    assert "prompt engineering" not in captions.split("Not counted")[-1].split(".")[0]
    assert metrics(at)["Savings over 24 months"] == base_savings  # both roads pay it
    assert at.query_params["prompt.already_built"] == "0"
    # The tuned model serves from month 1: the fine-tune saves more than with two months' wait.
    at.slider(key="finetune.months_to_production").set_value(0).run()
    assert_clean(at)
    assert metrics(at)["Savings over 24 months"] != base_savings
    # Ask about RAG instead: the headline and the cards talk about it.
    at.selectbox(key="focus").set_value("rag").run()
    assert_clean(at)
    assert "RAG" in at.markdown[0].value or "rag" in at.markdown[0].value.lower()
    assert "Retrieval" in " ".join(c.value for c in at.caption) or "RAG" in " ".join(
        c.value for c in at.caption)
