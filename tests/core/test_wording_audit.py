"""The audit's wording cases (issue 20): month labels of lifecycle events, volume windows
whose ends read alike, and the Method's hybrid and epoch sentences (docs/method.md, once the
README's) against the code."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from strategies import hand_scenario

from pricing.table import Lifecycle
from simulator import example_scenario, simulate
from simulator.core.wording import month_label, volume_pair_text, volume_windows_text
from simulator.model.lifecycle import month_of, month_start, plan_finetune
from simulator.tokens.tokens import auto_epochs

METHOD = Path(__file__).resolve().parents[2] / "docs" / "method.md"  # the README's Method, moved
START = date(2026, 12, 6)


def test_a_training_close_is_labelled_with_the_month_of_the_day_it_names():
    """Started 2026-12-06, month 1 runs 2026-12-06..2027-01-05 and month 2 starts on
    2027-01-06: a last training day of 2027-01-05 means no new jobs from 2027-01-06, in
    month 2 (the audit read "(month 1)")."""
    assert month_start(START, 2) == date(2027, 1, 6)
    assert month_of(START, date(2027, 1, 5)) == 1 and month_of(START, date(2027, 1, 6)) == 2
    assert month_label(START, 2) == "2027-01"
    life = Lifecycle(status="deprecated", training_ends=date(2027, 1, 5),
                     serving_ends=date(2027, 6, 30), source="test")
    plan = plan_finetune(life, START, 24, 6, "OpenAI gpt-4.1-mini")
    words = [e.words() for e in plan.events]
    assert words[0] == "OpenAI gpt-4.1-mini takes no new fine-tuning jobs from 2027-01-06 (month 2)"
    # a last day that closes inside month 1 keeps month 1
    early = plan_finetune(Lifecycle(training_ends=date(2027, 1, 4), source="test"), START, 24,
                          6, "x")
    assert early.events[0].words() == "x takes no new fine-tuning jobs from 2027-01-05 (month 1)"
    # a last day of the horizon's last month whose close falls after it is not an event
    assert plan_finetune(Lifecycle(training_ends=date(2027, 1, 5), source="test"), START, 1,
                         0, "x").events == ()


def test_explain_names_month_2_for_openai_started_2026_12_06():
    scenario = example_scenario().with_values(
        as_of=START, **{"finetune.provider": "openai", "finetune.model": "gpt-4.1-mini"})
    text = simulate(scenario).explain()
    match = re.search(r"takes no new fine-tuning jobs from (\d{4}-\d\d-\d\d) \(month (\d+)\)",
                      text)
    assert match, text
    day, month = date.fromisoformat(match.group(1)), int(match.group(2))
    assert month == month_of(START, day)
    if day == date(2027, 1, 6):
        assert month == 2


def test_a_narrow_volume_window_prints_ends_that_differ():
    text = volume_windows_text([(10_137_929.0, 10_142_181.0)])
    assert text == "between 10.138M and 10.142M requests/month"
    lo, hi = volume_pair_text(10_137_929.0, 10_137_930.0)
    assert (lo, hi) == ("10.137929M", "10.137930M")
    assert volume_pair_text(10.07e6, 10.61e6) == ("10.07M", "10.61M")   # unchanged when apart
    assert volume_windows_text([(4.4e6, 5.3e6)]) == "between 4,400,000 and 5,300,000 " \
                                                    "requests/month"


def _readme_text() -> str:
    return " ".join(METHOD.read_text(encoding="utf-8").split())


def test_the_method_hybrid_paragraph_names_the_upkeep_the_engine_charges():
    """Hand: hybrid engineering in month 1 = (prompt maintenance 1 h + tuned upkeep 1 h, by
    default the prompt's) × 100 USD/h = 200; with tuned upkeep 3 h, 400."""
    text = _readme_text()
    assert ("then every month the prompt's maintenance and the tuned model's upkeep "
            "(`prompt.maintenance_hours_per_month + finetune.maintenance_hours_per_month`, "
            "the latter by default equal to the former) × hourly rate") in text
    default = simulate(hand_scenario()).costs["hybrid"]["engineering"]
    assert default[1] == pytest.approx((1 + 1) * 100)
    set_upkeep = simulate(hand_scenario().with_values(
        **{"finetune.maintenance_hours_per_month": 3})).costs["hybrid"]["engineering"]
    assert set_upkeep[1] == pytest.approx((1 + 3) * 100)


def test_the_method_epoch_rule_is_the_code_s_rule():
    text = _readme_text()
    assert ("3 when `100 ≤ 3N ≤ 25,000`; below that `min(25, ⌊100 / N⌋)`; above it "
            "`max(1, ⌊25,000 / N⌋)`") in text

    def stated(n: int) -> int:
        if 100 <= 3 * n <= 25_000:
            return 3
        return min(25, 100 // n) if 3 * n < 100 else max(1, 25_000 // n)

    n = np.arange(1, 40_001)
    np.testing.assert_array_equal(auto_epochs(n), [stated(int(x)) for x in n])
    # the looser wording it replaces ("N × E within 100..25,000") is false: 30 × 3 = 90
    assert auto_epochs(30) * 30 < 100
