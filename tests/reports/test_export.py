"""The report's sheets as a spreadsheet reader opens them: cents, calendar months, the wide
month × option sheet, empty baseline cells, one "never", the Monte Carlo sheets."""

from __future__ import annotations

import csv
import datetime as dt
import re
import zipfile

import numpy as np
import pandas as pd
import pytest
from strategies import hand_scenario

from simulator import Triangular, monte_carlo, simulate
from simulator.core.wording import NEVER, month_label, start_date
from simulator.reports.export import (
    mc_percentiles_sheet,
    report_sheets,
    wide_sheet,
    write_xlsx_report,
)

START = dt.date(2026, 11, 23)


@pytest.fixture(scope="module")
def result():
    # 14 months from 2026-11-23: the calendar crosses two year ends
    return simulate(hand_scenario(as_of=START.isoformat(), horizon_months=14))


@pytest.fixture(scope="module")
def mc(result):
    return monte_carlo(result.scenario, {
        "workload.requests_per_month": Triangular(low=200, mode=1000, high=200_000)},
        n=400, seed=5)


def rows(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def cells(*paths):
    out = set()
    for path in paths:
        with open(path, newline="") as fh:
            out.update(c for row in csv.reader(fh) for c in row)
    return out


def test_month_labels_by_hand():
    assert month_label(START, 0) == "2026-11"        # the start date: one-time costs
    assert month_label(START, 1) == "2026-11"        # the first calendar month from the start
    assert month_label(START, 2) == "2026-12"
    assert month_label(START, 3) == "2027-01"
    assert month_label(START, 14) == "2027-12"
    assert month_label(START, 15) == "2028-01"
    assert month_label(dt.date(2027, 1, 31), 2) == "2027-02"


def test_start_date_falls_back_to_as_of_then_today(result):
    assert start_date(result) == START
    undated = simulate(hand_scenario())
    assert start_date(undated) == dt.date.today()


def test_monthly_csv_cents_and_calendar_month(result, tmp_path):
    paths = result.to_csv(tmp_path)
    table = rows(paths["monthly"])
    assert list(table[0]) == ["option", "month", "calendar_month", "component", "cost_usd"]
    for row in table:
        assert re.fullmatch(r"-?\d+(\.\d{1,2})?", row["cost_usd"]), row
        assert row["calendar_month"] == month_label(START, int(row["month"]))
    first = {r["calendar_month"] for r in table if r["month"] in ("0", "1")}
    assert first == {"2026-11"}
    assert {r["calendar_month"] for r in table if r["month"] == "14"} == {"2027-12"}
    # each cell is the engine's value rounded to the cent
    engine = result.monthly.reset_index(drop=True)
    for row, (_, e) in zip(table, engine.iterrows()):
        assert float(row["cost_usd"]) == round(e["cost_usd"], 2)


def test_wide_sheet_month_by_option_and_cumulative_equal_hand_sums(result, tmp_path):
    paths = result.to_csv(tmp_path)
    long = rows(paths["monthly"])
    wide = rows(paths["monthly_wide"])
    options = list(result.summary.option)
    assert list(wide[0]) == (["month", "calendar_month"] + [f"{o}_usd" for o in options]
                             + [f"{o}_cumulative_usd" for o in options])
    assert [int(r["month"]) for r in wide] == list(range(15))
    summary = {r["option"]: r for r in rows(paths["summary"])}
    for o in options:
        running = 0
        for r in wide:
            cents = sum(round(float(x["cost_usd"]) * 100) for x in long
                        if x["option"] == o and x["month"] == r["month"])
            assert round(float(r[f"{o}_usd"]) * 100) == cents
            running += cents
            assert round(float(r[f"{o}_cumulative_usd"]) * 100) == running
            assert r["calendar_month"] == month_label(START, int(r["month"]))
        # the last cumulative cell is the summary's TCO, to the cent; month 0 is the upfront
        assert round(float(summary[o]["tco_usd"]) * 100) == running
        assert float(summary[o]["upfront_usd"]) == float(wide[0][f"{o}_usd"])
        assert float(summary[o]["tco_usd"]) == pytest.approx(
            result.summary.set_index("option").loc[o, "tco_usd"], abs=0.01 * 15 * 9)


def test_summary_baseline_cells_empty_and_never_spelled_once(result, tmp_path):
    paths = result.to_csv(tmp_path)
    summary = {r["option"]: r for r in rows(paths["summary"])}
    base = summary["prompt"]
    for col in ("savings_usd", "roi", "breakeven_month", "breakeven_volume"):
        assert base[col] == "", col
    s = result.summary.set_index("option")
    never = [o for o in s.index if o != "prompt" and pd.isna(s.loc[o, "breakeven_month"])]
    assert never                                       # the fixture has options that never win
    for o in never:
        assert summary[o]["breakeven_month"] == NEVER
    # savings: the baseline's TCO minus the option's, to the cent, as written
    for o in s.index.drop("prompt"):
        assert float(summary[o]["savings_usd"]) == pytest.approx(
            float(base["tco_usd"]) - float(summary[o]["tco_usd"]), abs=1e-9)
        assert float(summary[o]["roi"]) == pytest.approx(s.loc[o, "roi"], abs=1e-4)
    written = cells(*(paths[name] for name in ("summary", "monthly", "monthly_wide")))
    assert not written & {"<NA>", "nan", "NaN", "None", "inf"}
    # the console table spells it the same way
    for o in never:
        line = next(ln for ln in result.table().splitlines() if ln.split()[0] == o)
        assert f" {NEVER} " in line


def test_monte_carlo_sheets_recomputable_from_the_draws(result, mc, tmp_path):
    paths = result.to_csv(tmp_path, mc)
    assert {"montecarlo_summary", "montecarlo_percentiles", "montecarlo_draws"} <= set(paths)
    draws = pd.read_csv(paths["montecarlo_draws"])
    assert len(draws) == 400 and list(draws.draw) == list(range(1, 401))
    assert np.allclose(draws["workload.requests_per_month"], mc.draws[
        "workload.requests_per_month"])
    summary = {r["option"]: r for r in rows(paths["montecarlo_summary"])}
    assert "prompt" not in summary                     # the baseline has nothing to compare
    pct = {int(r["percentile"]): r for r in rows(paths["montecarlo_percentiles"])}
    for o in ("rag", "finetune", "selfhost", "hybrid"):
        s = draws[f"{o}_savings_usd"].to_numpy()
        assert int(summary[o]["draws"]) == 400
        assert float(summary[o]["p_cheaper"]) == pytest.approx(np.mean(s > 0), abs=1e-4)
        assert float(summary[o]["savings_p50_usd"]) == pytest.approx(np.percentile(s, 50),
                                                                      abs=0.01)
        assert float(pct[50][f"{o}_savings_usd"]) == pytest.approx(np.percentile(s, 50),
                                                                    abs=0.01)
        assert float(pct[95][f"{o}_savings_usd"]) == pytest.approx(np.percentile(s, 95),
                                                                    abs=0.01)
        tco = draws[f"{o}_tco_usd"].to_numpy()
        assert np.allclose(draws["prompt_tco_usd"] - tco, s, atol=0.011)
        for q in (5, 50, 95):
            cell = summary[o][f"breakeven_month_p{q}"]
            assert cell == NEVER or cell.isdigit()
    written = cells(paths["montecarlo_summary"], paths["montecarlo_percentiles"])
    assert not written & {"<NA>", "nan", "NaN", "None", "inf"}


def test_breakeven_percentiles_say_never_for_the_share_that_never_breaks_even():
    class FakeMC:
        baseline = "prompt"
        tco_usd = pd.DataFrame({"prompt": [10.0] * 4, "x": [9.0, 8.0, 11.0, 12.0]})
        savings_usd = pd.DataFrame({"prompt": [0.0] * 4, "x": [1.0, 2.0, -1.0, -2.0]})
        breakeven_month = pd.DataFrame({"prompt": [0.0] * 4, "x": [3.0, 1.0, np.nan, np.nan]})

    sheet = mc_percentiles_sheet(FakeMC, (25, 50, 75)).set_index("percentile")
    assert sheet.loc[25, "x_breakeven_month"] == 1
    assert sheet.loc[50, "x_breakeven_month"] == 3
    assert sheet.loc[75, "x_breakeven_month"] == NEVER
    assert sheet.loc[50, "x_savings_usd"] == pytest.approx(np.percentile([1, 2, -1, -2], 50))
    assert "prompt_savings_usd" not in sheet


def test_wide_sheet_without_a_date_uses_the_given_start(result):
    wide = wide_sheet(result, dt.date(2030, 12, 1))
    assert wide.calendar_month.tolist()[:3] == ["2030-12", "2030-12", "2031-01"]


def test_xlsx_has_the_same_sheets(result, mc, tmp_path):
    pytest.importorskip("xlsxwriter")
    path = write_xlsx_report(result, tmp_path / "report.xlsx", mc)
    with zipfile.ZipFile(path) as z:
        book = z.read("xl/workbook.xml").decode()
        strings = z.read("xl/sharedStrings.xml").decode()
        sheets = "".join(z.read(n).decode() for n in z.namelist()
                         if n.startswith("xl/worksheets/"))
    assert "<f>" not in sheets                         # no formulas, only values
    for name in report_sheets(result, mc):
        assert f'name="{name}"' in book
    assert "2027-12" in strings and NEVER in strings
