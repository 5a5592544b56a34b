"""Chart builders: the figures carry the numbers of the Result they were built from."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from simulator import Triangular, example_scenario, monte_carlo, savings_grid, sensitivity, simulate
from simulator.reports import charts


@pytest.fixture(scope="module")
def scenario():
    # 150,000 requests a month: the busy case, where fine-tuning breaks even
    return example_scenario().with_values(**{"workload.requests_per_month": 150_000})


@pytest.fixture(scope="module")
def result(scenario):
    return simulate(scenario)


def test_cumulative_cost_has_one_curve_per_option_and_marks_break_even(result):
    fig = charts.cumulative_cost(result)
    assert isinstance(fig, go.Figure)
    lines = [t for t in fig.data if t.mode == "lines"]
    assert len(lines) == len(result.summary)
    cum = result.cumulative()
    prompt = cum[cum["option"] == "prompt"]["cumulative_usd"].to_numpy()
    assert np.allclose(lines[0].y, prompt)
    assert "baseline" in lines[0].name
    stars = [t for t in fig.data if t.mode == "markers+text"]
    s = result.summary.set_index("option")
    expected = {o for o in s.index if o != "prompt" and not pd.isna(s.loc[o, "breakeven_month"])}
    assert len(stars) == len(expected)
    ft = next(t for t in stars if t.name.startswith(charts.label("finetune")))
    month = int(s.loc["finetune", "breakeven_month"])
    assert ft.x[0] == month
    ft_cum = cum[(cum["option"] == "finetune") & (cum["month"] == month)]["cumulative_usd"]
    assert ft.y[0] == pytest.approx(float(ft_cum.iloc[0]))
    assert fig.layout.yaxis.title.text == "cumulative cost [USD]"


def test_breakdown_stacks_to_each_options_total(result):
    fig = charts.cost_breakdown(result)
    bars = [t for t in fig.data if isinstance(t, go.Bar)]
    assert fig.layout.barmode == "stack"
    stacked = np.sum([np.asarray(b.y, dtype=float) for b in bars], axis=0)
    assert np.allclose(stacked, result.summary["tco_usd"].to_numpy())
    assert {b.name for b in bars} == set(result.monthly["component"])


def test_heatmap_draws_the_grid_and_the_break_even_contour(scenario):
    xs = np.geomspace(1_000, 300_000, 12)
    grid = savings_grid(scenario.with_values(**{"finetune.retrain_every_months": 1}),
                        ("workload.requests_per_month", xs),
                        ("prompt.fewshot_tokens", np.linspace(0, 6000, 7)))
    fig = charts.savings_heatmap(grid, "finetune", current=(60_000, 1800))
    heat = fig.data[0]
    assert isinstance(heat, go.Heatmap)
    assert np.asarray(heat.z).shape == (7, len(xs))
    assert heat.zmid == 0
    contour = grid.contour("finetune")
    assert not contour.empty
    line = next(t for t in fig.data if t.name == "break-even (savings = 0)")
    assert np.allclose(line.x, contour["x"])
    assert fig.layout.xaxis.type == "log"
    assert any(t.name == "today's inputs" for t in fig.data)


def test_heatmap_without_crossing_says_so(scenario):
    grid = savings_grid(scenario, ("workload.requests_per_month", [50_000, 60_000]),
                        ("prompt.fewshot_tokens", [1000, 2000]))
    fig = charts.savings_heatmap(grid, "finetune")
    assert "no break-even line" in fig.layout.annotations[0].text


def test_tornado_puts_the_largest_swing_on_top(scenario):
    frame = sensitivity(scenario, {"workload.requests_per_month": (30_000, 90_000),
                                   "workload.input_tokens": (300, 500),
                                   "prompt.fewshot_tokens": (900, 2700)}, option="finetune")
    fig = charts.tornado(frame, "finetune", labels={"workload.input_tokens": "input"})
    low, high = fig.data
    assert list(low.y)[-1] == frame.iloc[0]["field"]  # plotly draws bottom-up
    assert "input" in list(low.y)
    top = frame.iloc[0]
    assert low.base + low.x[-1] == pytest.approx(top["savings_low_usd"])
    assert high.base + high.x[-1] == pytest.approx(top["savings_high_usd"])


def test_distribution_shows_p_win_and_sums_to_100(scenario):
    mc = monte_carlo(scenario, {"workload.requests_per_month":
                                Triangular(low=20_000, mode=60_000, high=100_000)},
                     n=500, seed=3)
    fig = charts.savings_distribution(mc, "finetune")   # breaks even inside the draws
    bars = fig.data[0]
    assert sum(bars.y) == pytest.approx(100.0)
    p = float(mc.summary.set_index("option").loc["finetune", "p_cheaper"])
    assert f"{p:.0%} of 500 draws" in fig.layout.title.text
    assert len(fig.layout.shapes) == 4  # P5, P50, P95 and the zero line


def test_charts_never_import_streamlit():
    code = "import sys, simulator.reports.charts; print('streamlit' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


def test_cumulative_chart_scale_serves_the_focus_and_the_baseline():
    """Self-hosting ends near $82k while the two roads the page is about end near $16k: its
    curve starts hidden (a click on the legend shows it), so they are not squeezed together."""
    result = simulate(example_scenario())
    fig = charts.cumulative_cost(result)
    visible = {t.name: t.visible for t in fig.data if t.mode == "lines"}
    assert visible[charts.label("selfhost")] == "legendonly"
    assert visible[charts.label("finetune")] is True
    assert visible[charts.label("prompt") + " (baseline)"] is True
    tco = result.summary.set_index("option")["tco_usd"]
    assert tco["selfhost"] > charts.OFF_SCALE * max(tco["prompt"], tco["finetune"])
