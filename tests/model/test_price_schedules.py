"""Dated price schedules: an end date on a price row, the scheduled price after it, the loader's
checks, and simulate() switching rates in the month they change (and saying so)."""

from __future__ import annotations

import io
from datetime import date

import numpy as np
import pytest

import pricing
from pricing import PriceError
from pricing.schema import INFERENCE_COLUMNS, INFERENCE_KEY, read_price_csv
from pricing.table import with_overrides
from simulator import simulate
from simulator.model.cost import scheduled_rate
from simulator.model.lifecycle import month_of
from simulator.model.scenario import Scenario

HEADER = "provider,model,effective_from,effective_until,input_usd_per_mtok,output_usd_per_mtok," \
         "source_url\n"


def read(text: str):
    f = io.StringIO(HEADER + text)
    return read_price_csv(f, INFERENCE_COLUMNS, INFERENCE_KEY, kind="inference", name="mine.csv")


# ---- the loader ---------------------------------------------------------------------------------

def test_an_introductory_window_and_its_successor_load():
    rows = read("acme,m,2026-09-01,2026-12-31,1,2,u\nacme,m,2027-01-01,,2,4,u\n")
    assert [r["effective_until"] for r in rows] == [date(2026, 12, 31), None]


@pytest.mark.parametrize("text, where, message", [
    ("acme,m,2026-09-01,2026-08-31,1,2,u\n", "row 1",
     "'effective_until': 2026-08-31 is before effective_from 2026-09-01"),
    ("acme,m,2026-09-01,2026-12-31,1,2,u\nacme,m,2026-12-15,,2,4,u\n", "row 2",
     "'effective_from': 2026-12-15 overlaps row 1, whose price applies until 2026-12-31"),
    ("acme,m,2026-09-01,2026-12-31,1,2,u\nacme,m,2027-02-01,,2,4,u\n", "row 2",
     "'effective_from': 2027-02-01 leaves a gap after row 1, whose price ends 2026-12-31"),
    ("acme,m,2026-09-01,2026-12-3x,1,2,u\n", "row 1",
     "'effective_until': '2026-12-3x' is not a date"),
])
def test_bad_schedule_rows_name_file_row_and_column(text, where, message):
    with pytest.raises(PriceError) as err:
        read(text)
    assert str(err.value).startswith(f"mine.csv, {where}")
    assert message in str(err.value)


def test_windows_of_different_models_do_not_clash():
    read("acme,m,2026-09-01,2026-12-31,1,2,u\nacme,n,2026-10-01,,2,4,u\n")


def test_a_price_that_ended_with_nothing_after_it_is_refused_on_later_days():
    table = with_overrides(pricing.default_table(), inference=io.StringIO(
        HEADER + "acme,promo,2026-09-01,2026-12-31,1,2,u\n"))
    assert table.inference_rates("acme/promo", as_of=date(2026, 12, 31)).input_usd_per_mtok == 1
    with pytest.raises(PriceError, match=r"ended on 2026-12-31 .* no later price is known"):
        table.inference_rates("acme/promo", as_of=date(2027, 1, 1))


def test_every_shipped_file_passes_the_window_checks():
    for kind in ("inference", "finetune", "gpus", "batch"):
        pricing.table.read_shipped(kind)


# ---- the shipped Gemini Flash schedule -----------------------------------------------------------

@pytest.mark.parametrize("model", ["gemini-3.6-flash", "gemini-3.7-flash", "gemini-3.8-flash"])
def test_gemini_flash_introductory_prices_double_on_2027_01_01(model):
    before = pricing.inference_rates(model, as_of=date(2026, 12, 31))
    after = pricing.inference_rates(model, as_of=date(2027, 1, 1))
    assert (before.input_usd_per_mtok, before.output_usd_per_mtok) == (0.75, 3.75)
    assert (after.input_usd_per_mtok, after.output_usd_per_mtok) == (1.5, 7.5)
    assert before.source_url.startswith("https://") and after.checked_on == date(2026, 12, 7)


def flash(as_of: str, **prompt) -> Scenario:
    return Scenario.from_dict({
        "as_of": as_of, "horizon_months": 6, "options": ["prompt"], "discount_rate": 0,
        "price_decline": 0, "hourly_rate_usd": 100,
        "workload": {"requests_per_month": 100_000, "input_tokens": 500, "output_tokens": 200,
                     "chat_overhead_tokens": 10},
        "prompt": {"model": "gemini-3.8-flash", "system_prompt_tokens": 1000,
                   "fewshot_tokens": 0, "cached_share": 0, "batch_share": 0, **prompt},
    })


def inference(result) -> np.ndarray:
    rows = result.monthly.query("option == 'prompt' and component == 'inference'")
    out = np.zeros(result.scenario.horizon_months + 1)
    out[rows.month.to_numpy()] = rows.cost_usd.to_numpy()
    return out


# 100,000 requests of 1,000 + 500 + 10 input tokens and 200 output tokens
OLD = 100_000 * (1510 * 0.75 + 200 * 3.75) / 1e6   # 188.25 USD
NEW = 100_000 * (1510 * 1.50 + 200 * 7.50) / 1e6   # 376.50 USD


def test_started_2026_12_06_the_increase_shows_in_month_1():
    # month 1 runs 2026-12-06 to 2027-01-05 and holds 2027-01-01, so it pays the new rate
    assert month_of(date(2026, 12, 6), date(2027, 1, 1)) == 1
    r = simulate(flash("2026-12-06"))
    np.testing.assert_allclose(inference(r), [0, NEW, NEW, NEW, NEW, NEW, NEW])
    assert NEW == pytest.approx(376.5) and NEW == pytest.approx(2 * OLD)
    text = r.explain()
    assert ("Google gemini-3.8-flash's price changes on 2027-01-01 (month 1, 2026-12-06 to "
            "2027-01-05): input 0.75 → 1.5, cached input 0.075 → 0.15, output 3.75 → 7.5 USD "
            "per 1M tokens") in text
    assert any(p["field"] == "prompt.price_step1.input_usd_per_mtok" and p["value"] == 1.5
               and p["note"].endswith("scheduled price from month 1") for p in r.price_rows)


def test_started_a_month_earlier_the_increase_is_month_2():
    # month 1 runs 2026-11-06 to 2026-12-05 at the introductory rate; month 2 holds 2027-01-01
    r = simulate(flash("2026-11-06"))
    np.testing.assert_allclose(inference(r), [0, OLD, NEW, NEW, NEW, NEW, NEW])
    assert "(month 2, 2026-12-06 to 2027-01-05)" in r.explain()


def test_started_after_the_change_there_is_no_step():
    r = simulate(flash("2027-02-01"))
    np.testing.assert_allclose(inference(r)[1:], NEW)
    assert "price changes" not in r.explain()


def test_a_pinned_rate_does_not_follow_the_schedule():
    r = simulate(flash("2026-12-06", input_usd_per_mtok=0.75))
    # input stays at the pinned 0.75, output follows the table to 7.50
    assert inference(r)[1] == pytest.approx(100_000 * (1510 * 0.75 + 200 * 7.5) / 1e6)
    assert "input 0.75" not in r.explain() and "output 3.75 → 7.5" in r.explain()


def test_the_step_scales_every_draw_of_the_rate():
    months = np.arange(4)
    p = {"prompt.input_usd_per_mtok": np.array([[1.0], [2.0]]), "prompt.price_steps": 1.0,
         "prompt.price_step1.month": 2.0, "prompt.price_step1.input_usd_per_mtok_factor": 2.0}
    np.testing.assert_allclose(scheduled_rate(p, "prompt", "input_usd_per_mtok", months),
                               [[1, 1, 2, 2], [2, 2, 4, 4]])
    assert scheduled_rate({"prompt.input_usd_per_mtok": 3.0}, "prompt", "input_usd_per_mtok",
                          months) == 3.0


# ---- per-token adapter offerings -----------------------------------------------------------------

FT_HEADER = ("provider,base_model,effective_from,train_usd_per_mtok,input_usd_per_mtok,"
             "output_usd_per_mtok,hosting_usd_per_hour,serving,free_preview,source_url\n")


def read_finetune(text: str):
    from pricing.schema import FINETUNE_COLUMNS, FINETUNE_KEY
    return read_price_csv(io.StringIO(FT_HEADER + text), FINETUNE_COLUMNS, FINETUNE_KEY,
                          kind="finetune", name="ft.csv")


def test_a_per_token_offering_reads_its_flags():
    row, = read_finetune("acme,m,2026-01-01,1,0.2,0.6,0,per-token,true,u\n")
    assert (row["serving"], row["free_preview"]) == ("per-token", True)
    row, = read_finetune("acme,m,2026-01-01,1,0.2,0.6,5,dedicated,,u\n")
    assert (row["serving"], row["free_preview"]) == ("dedicated", False)


@pytest.mark.parametrize("cells, column, message", [
    ("1,0.2,0.6,5,per-token,false", "hosting_usd_per_hour", "a per-token offering has no hosting"),
    ("1,0.2,0.6,0,serverless,false", "serving", "'serverless' is not one of per-token, dedicated"),
    ("1,0.2,0.6,0,per-token,maybe", "free_preview", "'maybe' is not true or false"),
])
def test_bad_adapter_rows_name_file_row_and_column(cells, column, message):
    with pytest.raises(PriceError, match=rf"^ft.csv, row 1 \(line 2\), column '{column}': "
                                         rf"{message}"):
        read_finetune(f"acme,m,2026-01-01,{cells},u\n")


@pytest.mark.parametrize("provider, model, train, prefill, sample", [
    ("tinker", "qwen/qwen3-8b", 0.44, 0.195, 0.60),
    ("primeintellect", "qwen/qwen3.5-9b", 0.60, 0.20, 0.60),
])
def test_per_token_adapter_providers_are_rows(provider, model, train, prefill, sample):
    rows = [r for r in pricing.table.read_shipped("finetune")
            if (r["provider"], r["base_model"]) == (provider, model)]
    row, = rows
    assert (row["train_usd_per_mtok"], row["input_usd_per_mtok"], row["output_usd_per_mtok"],
            row["hosting_usd_per_hour"], row["serving"]) == (train, prefill, sample, 0, "per-token")
    assert row["source_url"].startswith("https://") and row["checked_on"] == date(2026, 12, 7)


def test_prime_intellect_shared_training_closed_on_2026_10_05():
    life = pricing.default_table().offering_lifecycle("primeintellect", "qwen/qwen3.5-9b")
    assert life.training_ends == date(2026, 10, 4) and life.serving_ends is None
    assert life.badge(date(2026, 12, 7)) == "no new jobs since 2026-10-05"


def test_fireworks_dedicated_hosting_follows_the_new_gpu_price():
    table = pricing.default_table()
    before = table.finetune_rates("fireworks", "accounts/fireworks/models/qwen3-8b",
                                  as_of=date(2026, 9, 30))
    after = table.finetune_rates("fireworks", "accounts/fireworks/models/qwen3-8b",
                                 as_of=date(2026, 12, 7))
    assert (before.hosting_usd_per_hour, after.hosting_usd_per_hour) == (4.0, 8.0)
    assert after.train_usd_per_mtok == before.train_usd_per_mtok == 0.5


# ---- the schedule is asked once per table, start date and horizon --------------------------------

def acme(table_rows: str):
    """A table with the shipped rows and ``acme/m``'s windows."""
    return with_overrides(pricing.default_table(), inference=io.StringIO(HEADER + table_rows))


def acme_scenario(as_of: str) -> Scenario:
    return flash(as_of, model="acme/m", system_prompt_tokens=0)


# 100,000 requests of 500 + 10 input tokens and 200 output tokens at (input, output) USD/1M
def acme_usd(i: float, o: float) -> float:
    return 100_000 * (510 * i + 200 * o) / 1e6


def test_two_tables_with_the_same_model_keep_their_own_schedules():
    """Each table keeps its own answers: simulated in turn, neither sees the other's dates."""
    early = acme("acme,m,2026-01-01,2026-12-31,1,2,u\nacme,m,2027-01-01,,2,4,u\n")
    late = acme("acme,m,2026-01-01,2027-02-28,1,2,u\nacme,m,2027-03-01,,3,6,u\n")
    s = acme_scenario("2026-12-06")   # month m runs from the 6th to the 5th
    for _ in range(2):
        np.testing.assert_allclose(inference(simulate(s, table=early)),
                                   [0] + [acme_usd(2, 4)] * 6)
        np.testing.assert_allclose(inference(simulate(s, table=late)),
                                   [0, acme_usd(1, 2), acme_usd(1, 2)] + [acme_usd(3, 6)] * 4)


def test_each_start_date_gets_its_own_step_month():
    table = acme("acme,m,2026-01-01,2026-12-31,1,2,u\nacme,m,2027-01-01,,2,4,u\n")
    low, high = acme_usd(1, 2), acme_usd(2, 4)
    for as_of, expected in (("2026-12-06", [0, high, high, high, high, high, high]),
                            ("2026-10-06", [0, low, low, high, high, high, high]),
                            ("2026-12-06", [0, high, high, high, high, high, high]),
                            ("2026-09-06", [0, low, low, low, high, high, high])):
        np.testing.assert_allclose(inference(simulate(acme_scenario(as_of), table=table)),
                                   expected, err_msg=as_of)


def test_a_price_that_goes_back_down_is_a_second_step():
    table = acme("acme,m,2026-01-01,2027-01-31,1,2,u\nacme,m,2027-02-01,2027-03-31,2,4,u\n"
                 "acme,m,2027-04-01,,1,2,u\n")
    r = simulate(acme_scenario("2027-01-10"), table=table)
    # month 1: 01-10..02-09 holds 02-01 (2, 4); month 3: 03-10..04-09 holds 04-01 (1, 2)
    low, high = acme_usd(1, 2), acme_usd(2, 4)
    np.testing.assert_allclose(inference(r), [0, high, high, low, low, low, low])
    assert "input 2 → 1" in r.explain()


def test_a_price_that_ends_keeps_the_last_rate_and_says_so():
    table = acme("acme,m,2026-01-01,2027-01-31,1,2,u\n")
    r = simulate(acme_scenario("2026-12-10"), table=table)
    # month 2 (2027-01-10..02-09) ends after the price does: months 2.. keep 1 and 2 USD/1M
    np.testing.assert_allclose(inference(r), [0] + [acme_usd(1, 2)] * 6)
    assert ("Prompt: from month 2 (2027-02-09) the price table has no rate for m" in
            r.explain())
    assert "the last known rates are kept" in r.explain()


def test_month_ends_are_the_day_before_each_next_month_start():
    from datetime import timedelta

    from simulator.model.lifecycle import month_ends, month_start
    for start in (date(2026, 1, 31), date(2026, 11, 23), date(2028, 2, 29)):
        assert month_ends(start, 14) == tuple(month_start(start, m + 1) - timedelta(days=1)
                                              for m in range(1, 15))
    assert month_ends(date(2026, 1, 31), 2) == (date(2026, 2, 27), date(2026, 3, 30))
    assert month_ends(date(2026, 11, 23), 2) == (date(2026, 12, 22), date(2027, 1, 22))
    assert month_ends(date(2026, 11, 23), 0) == ()
