"""Closures as data: the shipped closing dates, ``ftroi prices --closing``, and a scenario started
today that moves off a model OpenAI shuts down on 2026-12-11."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

import pricing
from pricing.table import read_shipped
from simulator import simulate
from simulator.cli.main import main
from simulator.model.lifecycle import closings
from simulator.model.scenario import Scenario

TODAY = date(2026, 12, 7)


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# ---- the rows ------------------------------------------------------------------------------------

@pytest.mark.parametrize("model, successor", [
    ("gpt-5", "openai/gpt-5.6-sol"), ("gpt-5-mini", "openai/gpt-5.6-terra"),
    ("gpt-5-nano", "openai/gpt-5.6-luna"), ("gpt-5-pro", "openai/gpt-5.6-sol"),
    ("o3", "openai/gpt-5.6-sol"), ("o3-pro", "openai/gpt-5.6-sol")])
def test_openai_shuts_gpt_5_and_o3_down_on_2026_12_11(model, successor):
    life = pricing.inference_rates(model).lifecycle
    assert (life.status, life.announced_on, life.serving_ends, life.successor) == \
        ("deprecated", date(2026, 6, 11), date(2026, 12, 10), successor)
    assert life.badge(TODAY) == "stops serving from 2026-12-11"
    assert life.source_url == "https://developers.openai.com/api/docs/deprecations"


def test_openai_new_fine_tuning_jobs_are_one_fact_spelled_one_way():
    life = pricing.default_table().offering_lifecycle("openai", "gpt-4.1-mini")
    # the table holds the last day jobs are accepted; words say the first day they are not
    assert life.training_ends == date(2027, 1, 5)
    assert life.badge(TODAY).startswith("no new jobs from 2027-01-06")


@pytest.mark.parametrize("provider, model, training_ends, serving_ends", [
    ("azure", "gpt-4.1", date(2027, 4, 13), date(2027, 10, 13)),
    ("azure", "gpt-4o-mini", date(2027, 3, 31), date(2027, 9, 30)),
    ("azure", "o4-mini", date(2027, 4, 15), date(2027, 10, 15)),
    ("azure-developer", "gpt-4.1-nano", date(2027, 4, 13), date(2027, 10, 13)),
    ("cohere", "command-r-08-2024", date(2025, 9, 14), date(2025, 9, 14)),
    ("databricks", "foundation-model-fine-tuning", date(2026, 8, 13), None),
    ("google-gemini-api", "gemini-1.5-flash-001", date(2025, 5, 23), date(2025, 5, 23)),
])
def test_fine_tuning_closings_as_published(provider, model, training_ends, serving_ends):
    row = next(r for r in read_shipped("lifecycle")
               if (r["kind"], r["provider"], r["model"]) == ("finetune", provider, model))
    assert (row["training_ends"], row["serving_ends"]) == (training_ends, serving_ends)
    assert row["source_url"].startswith("https://") and row["checked_on"] == TODAY


# ---- the list ------------------------------------------------------------------------------------

def test_closings_within_a_month_of_today():
    found = closings(pricing.default_table().lifecycle, TODAY, 1)
    assert [(c.day, c.provider, c.model, c.kind) for c in found][:6] == [
        (date(2026, 12, 11), "openai", m, "model")
        for m in ("gpt-5", "gpt-5-mini", "gpt-5-nano", "gpt-5-pro", "o3", "o3-pro")]
    assert all(TODAY < c.day <= date(2027, 1, 7) for c in found)
    assert next(c for c in found if c.model == "gpt-5-mini").successor == "openai/gpt-5.6-terra"


def test_closings_are_sorted_and_split_by_kind():
    found = closings(pricing.default_table().lifecycle, TODAY, 12)
    assert [c.day for c in found] == sorted(c.day for c in found)
    azure = [(c.day, c.kind) for c in found if (c.provider, c.model) == ("azure", "gpt-4.1")]
    assert azure == [(date(2027, 4, 14), "training"), (date(2027, 10, 14), "tuned serving")]
    assert (date(2027, 1, 6), "training") in [
        (c.day, c.kind) for c in found if (c.provider, c.model) == ("openai", "gpt-4.1-mini")]
    with pytest.raises(ValueError, match="within_months"):
        closings((), TODAY, -1)


def test_ftroi_prices_closing_fits_100_columns(capsys):
    code, out, _ = run(capsys, "prices", "--closing", "--as-of", "2026-12-07", "--within", "12")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("Closings after 2026-12-07 up to 2027-12-07 (12 months): ")
    assert max(len(x) for x in lines if not x.startswith("[")) <= 100
    row = next(x for x in lines if " gpt-5-mini " in x)
    assert row.startswith("2026-12-11  openai") and "gpt-5.6-terra" in row
    n = row.split()[-1]
    assert f"{n} https://developers.openai.com/api/docs/deprecations" in lines
    dates = [x[:10] for x in lines if x[:4] == "2027" or x[:4] == "2026"]
    assert dates == sorted(dates)


def test_ftroi_prices_closing_by_provider_and_default_window(capsys):
    code, out, _ = run(capsys, "prices", "--closing", "--as-of", "2026-12-07",
                       "--provider", "azure")
    assert code == 0 and "(12 months)" in out
    body = [x for x in out.splitlines() if x[:2] == "20"]
    assert body and all("  azure  " in x for x in body)


@pytest.mark.parametrize("argv, message", [
    (("--within", "0"), "--within: must be at least 1, got 0"),
    (("--within", "a year"), "--within: expected a whole number, got 'a year'"),
    (("--as-of", "07/12/2026"), "--as-of: '07/12/2026' is not a date (expected YYYY-MM-DD)"),
])
def test_ftroi_prices_closing_refuses_bad_input(capsys, argv, message):
    code, _, err = run(capsys, "prices", "--closing", *argv)
    assert code == 2 and message in err


# ---- gpt-5-mini started today --------------------------------------------------------------------

def test_gpt_5_mini_started_today_moves_to_its_successor_in_month_1():
    s = Scenario.from_dict({
        "as_of": "2026-12-07", "horizon_months": 3, "options": ["prompt"], "discount_rate": 0,
        "price_decline": 0, "hourly_rate_usd": 100,
        "workload": {"requests_per_month": 10_000, "input_tokens": 400, "output_tokens": 100,
                     "chat_overhead_tokens": 10},
        "prompt": {"model": "gpt-5-mini", "system_prompt_tokens": 600, "fewshot_tokens": 0,
                   "cached_share": 0, "batch_share": 0, "migration_hours": 16}})
    r = simulate(s)
    terra = pricing.inference_rates("gpt-5.6-terra", provider="openai", as_of=TODAY)
    # month 1 (2026-12-07 to 2027-01-06) holds 2026-12-11, the first day without gpt-5-mini,
    # so the whole month is on gpt-5.6-terra: 10,000 × (1,010 in, 100 out) tokens
    per_month = 10_000 * (1010 * terra.input_usd_per_mtok + 100 * terra.output_usd_per_mtok) / 1e6
    rows = r.monthly.query("option == 'prompt'")
    inference = rows.query("component == 'inference'").set_index("month").cost_usd
    np.testing.assert_allclose(inference.reindex(range(1, 4)).to_numpy(), per_month)
    migration = rows.query("component == 'migration'").set_index("month").cost_usd
    assert migration.get(1) == pytest.approx(16 * 100)
    text = r.explain()
    assert "OpenAI gpt-5-mini stops serving from 2026-12-11 (month 1)" in text
    assert "from month 1 (starting 2026-12-07) the prompt moves to OpenAI gpt-5.6-terra" in text
