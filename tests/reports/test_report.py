"""Result: CSV files a reader can audit and rerun, formula-safe text, the plain-text summary."""

from __future__ import annotations

import csv
import json

import numpy as np
import pandas as pd
import pytest
from strategies import hand_scenario, hand_scenario_dict

from simulator import Scenario, Triangular, monte_carlo, simulate
from simulator.reports.export import inert_frame, inert_text


@pytest.fixture(scope="module")
def result():
    return simulate(hand_scenario())


def test_to_csv_writes_files_that_add_up(result, tmp_path):
    paths = result.to_csv(tmp_path / "report")
    assert {p.name for p in paths.values()} == {"monthly.csv", "summary.csv", "prices.csv",
                                                 "monthly_wide.csv", "scenario.json"}
    monthly = pd.read_csv(paths["monthly"])
    assert list(monthly.columns) == ["option", "month", "calendar_month", "component",
                                     "cost_usd"]
    summary = pd.read_csv(paths["summary"]).set_index("option")
    # a reader checks the summary from the monthly CSV: TCO is the sum, upfront is month 0
    totals = monthly.groupby("option").cost_usd.sum()
    upfront = monthly[monthly.month == 0].groupby("option").cost_usd.sum()
    for option in summary.index:
        assert summary.loc[option, "tco_usd"] == pytest.approx(totals[option])
        assert summary.loc[option, "upfront_usd"] == pytest.approx(upfront[option])
        assert summary.loc[option, "cost_per_request_usd"] == pytest.approx(
            totals[option] / (1000 + 1100 + 1210), abs=1e-6)
        if option != "prompt":                  # the baseline's comparison cells are empty
            assert summary.loc[option, "savings_usd"] == pytest.approx(
                totals["prompt"] - totals[option])
    npv = sum(monthly.cost_usd * 1.1 ** (-monthly.month / 12) * (monthly.option == "rag"))
    assert summary.loc["rag", "npv_usd"] == pytest.approx(npv, abs=0.05)
    # the scenario reruns to the same numbers
    again = Scenario.from_dict(json.loads(paths["scenario"].read_text()))
    assert again == result.scenario
    prices = pd.read_csv(paths["prices"], keep_default_na=False)
    assert {"field", "value", "unit", "source", "source_url", "checked_on"} <= set(
        prices.columns)
    assert "prompt.input_usd_per_mtok" in set(prices.field)


def test_missing_values_are_empty_cells(result, tmp_path):
    paths = result.to_csv(tmp_path)
    with open(paths["summary"], newline="") as fh:
        rows = {r["option"]: r for r in csv.DictReader(fh)}
    assert rows["prompt"]["breakeven_volume"] == ""


def test_formula_text_is_made_inert(tmp_path):
    data = hand_scenario_dict()
    data["prompt"]["model"] = "=HYPERLINK(\"http://evil\",\"x\")"
    data["finetune"]["provider"] = "@SUM(A1)"
    data["title"] = "+1 title"
    r = simulate(Scenario.from_dict(data))
    paths = r.to_csv(tmp_path)
    text = paths["prices"].read_text()
    assert "'=HYPERLINK" in text and f"'@SUM(A1) {Scenario().finetune.model}" in text
    for name in ("monthly", "summary", "prices"):
        with open(paths[name], newline="") as fh:
            for row in csv.reader(fh):
                for cell in row:
                    assert not cell.startswith(("=", "+", "@")), cell
                    if cell.startswith("-"):
                        float(cell)          # a negative number is data, not a formula


def test_inert_text_and_frame():
    assert inert_text("=1+1") == "'=1+1"
    assert inert_text("-cmd") == "'-cmd"
    assert inert_text("\tx") == "'\tx"
    assert inert_text("plain") == "plain"
    assert inert_text(-3.5) == -3.5
    frame = inert_frame(pd.DataFrame({"a": ["=x", "y"], "b": [-1.0, 2.0]}))
    assert frame.a.tolist() == ["'=x", "y"] and frame.b.tolist() == [-1.0, 2.0]


def test_monthly_table_shape_and_order(result):
    m = result.monthly
    assert list(m.columns) == ["option", "month", "component", "cost_usd"]
    assert list(dict.fromkeys(m.option)) == ["prompt", "rag", "finetune", "selfhost", "hybrid"]
    assert (m.groupby("option", sort=False).month.apply(lambda s: s.is_monotonic_increasing)).all()
    assert m.month.min() == 0 and m.month.max() == 3
    assert np.isfinite(m.cost_usd).all()


def test_summary_columns(result):
    assert list(result.summary.columns) == [
        "option", "tco_usd", "npv_usd", "upfront_usd", "requests", "cost_per_request_usd",
        "savings_usd", "roi", "breakeven_month", "breakeven_volume", "accuracy",
        "payback_month", "crossing_months", "breakeven_volume_status", "cost_per_correct_usd",
        "breakeven_accuracy", "accuracy_low", "accuracy_high", "p_reaches_breakeven",
        "projected_accuracy", "examples_for_target", "target_labelling_usd",
        "breakeven_accuracy_status"]
    assert result.summary.breakeven_month.dtype == "Int64"
    assert result.summary.payback_month.dtype == "Int64"


def test_cumulative_starts_at_upfront(result):
    cum = result.cumulative()
    s = result.summary.set_index("option")
    for option in s.index:
        mine = cum[cum.option == option].set_index("month").cumulative_usd
        assert mine[0] == pytest.approx(s.loc[option, "upfront_usd"])
        assert mine[3] == pytest.approx(s.loc[option, "tco_usd"])


def test_explain_names_winner_month_amount():
    r = simulate(hand_scenario(options=["prompt", "finetune"], horizon_months=24))
    s = r.summary.set_index("option")
    text = r.explain()
    winner = s.tco_usd.idxmin()
    assert text.startswith((f"{winner} wins", "Keep prompt"))
    if winner == "finetune":
        assert f"from month {int(s.loc['finetune', 'breakeven_month'])} on" in text
        assert f"${s.loc['finetune', 'savings_usd']:,.0f}" in text
    assert "\n" not in text
    assert "single estimate" in text
    assert text in str(r)
    assert "finetune" in r.table()


def test_explain_when_baseline_wins():
    data = hand_scenario_dict()
    data["options"] = ["prompt", "selfhost"]
    r = simulate(Scenario.from_dict(data))
    text = r.explain()
    assert text.startswith("Keep prompt rather than selfhost:")


def test_explain_quotes_a_monte_carlo():
    s = hand_scenario(options=["prompt", "finetune"], horizon_months=24)
    r = simulate(s)
    mc = monte_carlo(s, {"workload.requests_per_month": Triangular(low=500, mode=1000,
                                                                   high=5000)},
                     n=500, seed=0)
    text = r.explain(mc)
    assert "500 Monte Carlo draws" in text
    p = mc.summary.set_index("option").loc["finetune", "p_cheaper"]
    shown = ">99%" if 0.99 < p < 1 else "<1%" if 0 < p < 0.01 else f"{p:.0%}"
    assert f"in {shown} of them" in text


def test_notes_are_printed():
    data = hand_scenario_dict()
    data["selfhost"]["utilization"] = data["selfhost"].pop("utilisation")
    r = simulate(Scenario.from_dict(data))
    assert "note: selfhost.utilization was renamed" in str(r)


def test_docstring_examples_run():
    import doctest

    import simulator.model.result

    assert doctest.testmod(simulator.model.result).failed == 0


def test_tables_are_views_of_the_numbers(result):
    """The tables are built from ``costs`` and ``figures`` when first read, then kept: the
    monthly table sums to the costs, the summary repeats the figures."""
    monthly = result.monthly
    assert result.monthly is monthly
    for option, comps in result.costs.items():
        by_table = monthly[monthly["option"] == option]["cost_usd"].sum()
        assert by_table == pytest.approx(sum(float(np.sum(a)) for a in comps.values()))
    summary = result.summary.set_index("option")
    for option, fig in result.figures.items():
        assert summary.loc[option, "tco_usd"] == pytest.approx(float(np.sum(
            [np.sum(a) for a in result.costs[option].values()])))
        assert summary.loc[option, "tco_usd"] == pytest.approx(float(fig["tco_usd"]))
    assert list(result.prices.columns) == ["field", "value", "unit", "source", "source_url",
                                           "checked_on", "note"]


@pytest.mark.parametrize("bad, words", [(np.nan, "comes out as nan"),
                                        (-5.0, "comes out as -5"),
                                        (np.inf, "comes out as inf")])
def test_a_cost_that_is_not_a_price_is_refused(result, bad, words):
    """A cost that comes out infinite, undefined or negative is refused with the option,
    component and month, never reported."""
    from simulator.core.errors import InputError
    from simulator.model.result import Result

    costs = {o: {c: np.array(a, dtype=float) for c, a in comps.items()}
             for o, comps in result.costs.items()}
    costs["finetune"]["inference"][3] = bad
    with pytest.raises(InputError, match=rf"finetune's inference cost in month 3 {words}"):
        Result(scenario=result.scenario, costs=costs, figures=result.figures)


def test_a_total_that_is_not_finite_is_refused(result):
    """A summary total that comes out infinite is refused, naming the figure."""
    from simulator.core.errors import InputError
    from simulator.model.result import Result

    figures = {o: dict(f) for o, f in result.figures.items()}
    figures["finetune"]["npv_usd"] = np.inf
    with pytest.raises(InputError, match="npv_usd comes out as inf"):
        Result(scenario=result.scenario, costs=result.costs, figures=figures)


def test_the_numbers_behind_the_tables_cannot_be_changed(result):
    with pytest.raises(ValueError, match="read-only"):
        result.costs["finetune"]["inference"][1] = 0.0
