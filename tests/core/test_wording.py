"""The words a user reads: one spelling of "never", money, shares and calendar months."""

from __future__ import annotations

import datetime as dt
import doctest

from simulator.core import wording
from simulator.model.result import format_usd, share_text
from simulator.reports import answer


def test_docstring_examples_run():
    assert doctest.testmod(wording).failed == 0


def test_one_money_formatter_and_one_share_formatter():
    assert format_usd is wording.format_usd and answer.usd is wording.format_usd
    assert share_text is wording.share_text


def test_breakeven_words():
    assert [wording.breakeven_text(m) for m in (None, float("nan"), 0, 1, 12)] == [
        "never", "never", "from the start", "month 1", "month 12"]
    assert wording.never_cell(5.0) == 5 and isinstance(wording.never_cell(5.0), int)


def test_month_labels_across_year_ends():
    start = dt.date(2026, 12, 31)
    assert [wording.month_label(start, m) for m in range(5)] == [
        "2026-12", "2026-12", "2027-01", "2027-02", "2027-03"]
    assert wording.month_label(start, 25) == "2028-12"
    assert wording.add_months(dt.date(2026, 1, 15), -1) == dt.date(2025, 12, 1)
