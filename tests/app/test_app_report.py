"""The app's report download and its one spelling of "never" (AppTest and appstate)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from streamlit.testing.v1 import AppTest

from simulator.app import state as appstate
from simulator.core.wording import NEVER
from simulator.reports import answer

APP = str(Path(__file__).resolve().parents[2] / "app.py")

SUMMARY = pd.DataFrame({
    "option": ["prompt", "finetune", "selfhost"], "tco_usd": [100.0, 80.0, 300.0],
    "savings_usd": [0.0, 20.0, -200.0], "roi": [0.0, 2.0, -4.0],
    "breakeven_month": pd.array([0, 3, None], dtype="Int64"),
    "breakeven_volume": [float("nan"), 5000.0, 9e6]})


def test_summary_table_blanks_the_baseline_and_says_never():
    t = appstate.summary_table(SUMMARY, "prompt").set_index("option")
    assert t.loc["prompt", "breakeven_month"] == ""
    assert pd.isna(t.loc["prompt", "savings_usd"]) and pd.isna(t.loc["prompt", "roi"])
    assert t.loc["finetune", "breakeven_month"] == "3"
    assert t.loc["selfhost", "breakeven_month"] == NEVER
    assert t.loc["selfhost", "savings_usd"] == -200.0


def test_mc_table_drops_the_baseline_and_says_never():
    mc = pd.DataFrame({"option": ["prompt", "finetune"], "p_cheaper": [0.0, 0.4],
                       "breakeven_month_p5": pd.array([0, 2], dtype="Int64"),
                       "breakeven_month_p95": pd.array([0, None], dtype="Int64")})
    t = appstate.mc_table(mc, "prompt")
    assert t.option.tolist() == ["finetune"]
    assert t.breakeven_month_p5.tolist() == ["2"] and t.breakeven_month_p95.tolist() == [NEVER]


def test_key_figures_never():
    k = answer.key_figures(SUMMARY.assign(tco_usd=[100.0, 120.0, 300.0],
                                            breakeven_month=pd.array([0, None, None],
                                                                     dtype="Int64")),
                             "prompt", 12)
    assert k["breakeven_text"] == NEVER


def test_the_app_offers_the_html_report():
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    buttons = [el for el in at.get("download_button")]
    keys = {getattr(b, "proto", None) and b.proto.id for b in buttons}
    labels = [b.proto.label for b in buttons]
    assert "Report to hand over (HTML)" in labels, labels
    assert any("dl.report" in (k or "") for k in keys), keys
    breakdown = at.dataframe[0].value
    assert set(breakdown["breakeven_month"]) <= {"", NEVER} | {str(m) for m in range(121)}
