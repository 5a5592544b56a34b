"""The app's Training data panel: its state helpers by hand, and the page with AppTest."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from simulator import example_scenario, simulate
from simulator.app.data import data_vs_training, extras_with_data, sync_widgets, widget_values
from simulator.app.state import flatten

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def test_widget_values_and_back_round_trip_the_data_fields():
    extras = {"data.source": "teacher", "data.holdout_share": 0.1,
              "data.acceptance_rate": 0.6, "data.teacher_model": "gpt-6.1-terra",
              "data.judge_model": "gpt-6-luna", "workload.other": 1}
    widgets = widget_values(extras)
    assert widgets["data.holdout_share"] == pytest.approx(10.0)       # percent
    assert widgets["data.review_share"] == pytest.approx(10.0)        # the teacher's default
    back = extras_with_data(extras, widgets)
    assert back["data.source"] == "teacher" and back["data.acceptance_rate"] == pytest.approx(0.6)
    assert back["data.teacher_model"] == "gpt-6.1-terra"
    assert back["data.judge_model"] == "gpt-6-luna"                   # not drawn: carried on
    assert "data.review_share" not in back                            # follows the source
    assert back["workload.other"] == 1


def test_sync_widgets_follows_a_restored_scenario():
    session = {"extras": {"data.source": "human"}}
    sync_widgets(session)
    assert session["data.source"] == "human"
    session["data.source"] = "logs"              # the user's choice stays …
    sync_widgets(session)
    assert session["data.source"] == "logs"
    session["extras"] = {"data.source": "teacher"}   # … until a scenario brings another
    sync_widgets(session)
    assert session["data.source"] == "teacher"


def test_data_beside_training_by_hand():
    s = example_scenario().with_values(options=("prompt", "finetune"),
                                       **{"finetune.examples_on_hand": 0})
    frame = data_vs_training(simulate(s)).set_index("option")
    row = frame.loc["Fine-tune (API)"]
    # 600 trained + 150 held out at $2; 200 + 50 at months 6, 12, 18, 24
    assert row["data set, first [USD]"] == pytest.approx(1_500)
    assert row["data, whole horizon [USD]"] == pytest.approx(1_500 + 4 * 500)
    assert "Prompting" not in frame.index


def test_flattened_scenario_carries_the_data_section():
    flat = flatten(example_scenario().to_dict())
    assert flat["data.source"] == "human" and flat["data.holdout_share"] == 0.2


def test_the_page_prices_a_teacher_and_warns_about_its_terms():
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception
    assert "Training data" in [s.value for s in at.subheader]
    at.radio(key="data.source").set_value("teacher").run()
    assert not at.exception
    warnings = [w.value for w in at.warning]
    assert any("OpenAI's Terms of Use" in w for w in warnings), warnings
    texts = [t.value for t in at.text]
    assert any("A teacher model writes them (teacher)" in t for t in texts), texts
    tables = [d.value for d in at.dataframe if "data set, first [USD]" in d.value.columns]
    assert len(tables) == 1
    first = tables[0].set_index("option").loc["Fine-tune (API)", "data set, first [USD]"]
    # the 150 hold-out examples the 600 on hand lack, written by the teacher: a few dollars
    assert 0 < first < 50
