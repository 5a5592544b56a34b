"""The app's Evidence panel: its tables to scenario fields, and the page with evidence loaded."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from simulator import Scenario, simulate
from simulator.app.evidence import counts_frame, evidence_extras, pilot_frame
from simulator.core.errors import InputError

APP = str(Path(__file__).resolve().parents[2] / "app.py")
PILOT = [[100, 150, 200], [300, 255, 300], [600, 540, 600]]


def test_tables_round_trip_the_scenario_fields():
    extras = {"prompt.eval_correct": 174, "prompt.eval_total": 200, "finetune.pilot": PILOT,
              "finetune.target_accuracy": 0.92, "title": "kept"}
    counts, pilot = counts_frame(extras), pilot_frame(extras)
    assert counts.set_index("option").loc["Prompting"].tolist() == [174, 200]
    assert counts.set_index("option").loc["Hybrid"].isna().all()
    assert pilot.values.tolist() == PILOT
    assert evidence_extras(extras, counts, pilot, 92.0) == extras


def test_cleared_tables_remove_the_fields():
    extras = {"prompt.eval_correct": 174, "prompt.eval_total": 200, "finetune.pilot": PILOT}
    counts = counts_frame({})
    pilot = pilot_frame({})
    assert evidence_extras(extras, counts, pilot, 0.0) == {}


def test_half_filled_pilot_row_is_named():
    pilot = pd.DataFrame([[100, 150, 200], [300, None, 300]],
                         columns=["examples", "right", "graded"]).astype("Int64")
    with pytest.raises(InputError, match=r"finetune.pilot\[1\]: fill examples, right and "
                                         r"graded \(row 2 of the pilot table\)"):
        evidence_extras({}, counts_frame({}), pilot, None)


def test_accuracy_form_pilot_is_passed_through():
    extras = {"finetune.pilot": [[100, 0.8], [300, 0.85], [900, 0.89]]}
    assert pilot_frame(extras).empty
    assert evidence_extras(extras, counts_frame({}), pilot_frame(extras), 0) == extras


@pytest.fixture(scope="module")
def evidence_app():
    data = Scenario.from_dict({
        "cost_per_error_usd": 0.5, "options": ["prompt", "finetune"], "focus": "finetune",
        "prompt": {"eval_correct": 174, "eval_total": 200},
        "finetune": {"pilot": PILOT, "target_accuracy": 0.92, "months_to_production": 0},
    }).to_dict()
    at = AppTest.from_file(APP, default_timeout=90).run()
    at.file_uploader(key="scenario.upload").upload("s.json", json.dumps(data).encode(),
                                                   "application/json").run()
    return at, Scenario.from_dict(data)


def test_page_shows_the_evidence(evidence_app):
    at, scenario = evidence_app
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert at.number_input(key="evidence.target").value == pytest.approx(92.0)
    keys = [c.proto.id for c in at.get("plotly_chart")]
    assert len(keys) >= 2
    texts = [t.value for t in at.text]
    result = simulate(scenario)
    row = result.summary.set_index("option").loc["finetune"]
    expected = (f"finetune pays for itself if it reaches {row['breakeven_accuracy']:.1%} "
                f"accuracy")
    assert any(t.startswith(expected) for t in texts), texts
    assert any("962 examples" in t or "examples (" in t for t in texts), texts
