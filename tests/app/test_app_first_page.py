"""The app's first page answers first (issue 23): the headline and the cumulative-cost chart
are drawn before Monte Carlo, the savings grid and the tornado are computed, the headline
is drawn again, in place, once Monte Carlo is in, and the editable price tables come last."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import simulator
from simulator.app import state as appstate
from simulator.reports import answer, charts

APP = str(Path(__file__).resolve().parents[2] / "app.py")


@pytest.fixture
def events(monkeypatch):
    """What the page computes and draws, in order."""
    seen: list[str] = []

    def spy(name, fn, label=None):
        def wrapped(*args, **kwargs):
            seen.append(label(*args, **kwargs) if label else name)
            return fn(*args, **kwargs)
        return wrapped

    monkeypatch.setattr(answer, "headline", spy("headline", answer.headline, lambda *a, **k:
                        "headline" + (" with Monte Carlo" if a[3] is not None else "")))
    monkeypatch.setattr(charts, "cumulative_cost", spy("cumulative chart",
                                                       charts.cumulative_cost))
    for name in ("monte_carlo", "savings_grid", "sensitivity"):
        monkeypatch.setattr(simulator, name, spy(name, getattr(simulator, name)))
    from simulator.app import pages
    monkeypatch.setattr(pages, "price_editor", spy("price table", pages.price_editor))
    return seen


def test_headline_and_first_chart_come_before_the_slow_analyses(events):
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["workload.requests_per_month"] = "61237"   # nothing cached for it
    at.run()
    assert not at.exception
    first_slow = min(events.index(n) for n in ("monte_carlo", "savings_grid", "sensitivity"))
    assert events.index("headline") < events.index("cumulative chart") < first_slow
    assert events.index("monte_carlo") < events.index("headline with Monte Carlo")
    # the five editable price tables, slow for a browser to draw, come after all of it
    assert events.index("headline with Monte Carlo") < events.index("price table")
    assert events.count("price table") == 5
    # The page shows one headline, the one with Monte Carlo, and its probability.
    headlines = [m.value for m in at.markdown if m.value.startswith("### ")]
    assert len(headlines) == 1 and "simulated futures" in headlines[0]
    p = {m.label: m.value for m in at.metric}["P(cheaper than baseline)"]
    assert p.endswith("%"), p


def test_without_monte_carlo_the_headline_is_drawn_once(events):
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["workload.requests_per_month"] = "61239"
    at.query_params["ui.mc_on"] = "0"
    at.run()
    assert not at.exception
    assert events.count("headline") == 1 and "monte_carlo" not in events
    assert {m.label: m.value for m in at.metric}["P(cheaper than baseline)"] == "—"


def test_a_price_edit_is_used_by_the_answer_drawn_before_the_tables(monkeypatch):
    """The editable price tables are drawn after the answer (they cost a browser seconds);
    an edit made in them still prices the answer the page shows: the page runs again with it."""
    import pandas as pd
    import streamlit as st

    from simulator.app import pages

    drawn = pages.price_editor

    def edited(core, table0, kind, title):
        drawn(core, table0, kind, title)           # the table is drawn as usual
        if kind != "inference":
            return None
        original = table0.frame("inference")
        row = {"provider": "openai", "model": st.session_state["prompt.model"],
               "effective_from": "2026-01-01", "input_usd_per_mtok": 123.0,
               "cached_input_usd_per_mtok": 0.05, "output_usd_per_mtok": 5.0,
               "source_url": "https://example.com/our-quote", "checked_on": "2026-12-01"}
        return appstate.price_overrides(original, pd.concat([original, pd.DataFrame([row])]))

    monkeypatch.setattr(pages, "price_editor", edited)
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["ui.mc_on"] = "0"
    at.run()
    assert not at.exception
    rates = next(d.value for d in at.dataframe
                 if isinstance(d.value, pd.DataFrame) and "field" in d.value.columns)
    row = rates[rates.field == "prompt.input_usd_per_mtok"]
    assert row.value.tolist() == [123.0]
    assert row.source.tolist() == ["ftroi table (prices.inference, row 1)"]
    assert "Your inference edits are in use." in [m.value for m in at.success]
