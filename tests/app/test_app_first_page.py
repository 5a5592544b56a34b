"""The app's first page answers first (issue 23): the headline and the cumulative-cost chart
are drawn before Monte Carlo, the savings grid and the tornado are computed, and the headline
is drawn again, in place, once Monte Carlo is in."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import simulator
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
    return seen


def test_headline_and_first_chart_come_before_the_slow_analyses(events):
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["workload.requests_per_month"] = "61237"   # nothing cached for it
    at.run()
    assert not at.exception
    first_slow = min(events.index(n) for n in ("monte_carlo", "savings_grid", "sensitivity"))
    assert events.index("headline") < events.index("cumulative chart") < first_slow
    assert events.index("monte_carlo") < events.index("headline with Monte Carlo")
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
