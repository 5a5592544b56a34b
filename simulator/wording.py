"""Words a user reads about a result, written in one place.

The console, the CSV and HTML reports, ``Result.explain()`` and the app all take their
spellings from here: money (:func:`format_usd`), probabilities (:func:`share_text`), the one
spelling of "never" (:data:`NEVER`) and calendar months (:func:`month_label`).
"""

from __future__ import annotations

import datetime as _dt
import math
from typing import Any

import pandas as pd

NEVER = "never"
"""The one spelling of a break-even that does not happen (CSV, console, app, reports)."""

SINGLE_ESTIMATE_PYTHON = ("This is a single estimate from the inputs as given; run a Monte "
                          "Carlo (simulator.monte_carlo) to see how sure it is.")
"""The closing hint of :meth:`Result.explain` without a Monte Carlo, for Python users."""

SINGLE_ESTIMATE_CLI = ("This is a single estimate from the inputs as given; add --vary "
                       "FIELD=LOW:MODE:HIGH (e.g. --vary "
                       "workload.requests_per_month=30000:60000:120000) to see how sure it is.")
"""The same hint for ``ftroi simulate`` users, who run a Monte Carlo with ``--vary``."""

SINGLE_ESTIMATE_APP = ("This is a single estimate from the inputs as given; turn on Monte Carlo "
                       "under Uncertainty in the app to see how sure it is.")
"""The same hint for a report downloaded from the app."""


def is_missing(x: Any) -> bool:
    """True for None, pandas NA and NaN (a figure that does not exist, e.g. no break-even)."""
    return x is None or x is pd.NA or (isinstance(x, float) and math.isnan(x))


def format_usd(x: Any) -> str:
    """Money for display: ``$1,234``, ``$12.34``, ``$1.23M``; ``n/a`` for missing.

    >>> format_usd(1234.5), format_usd(12.345), format_usd(-2_500_000), format_usd(None)
    ('$1,234', '$12.35', '-$2.50M', 'n/a')
    """
    if is_missing(x):
        return "n/a"
    x = float(x)
    sign = "-" if x < 0 else ""
    a = abs(x)
    if a >= 1e6:
        return f"{sign}${a / 1e6:,.2f}M"
    if a >= 100:
        return f"{sign}${a:,.0f}"
    return f"{sign}${a:,.2f}"


def share_text(p: float) -> str:
    """A probability as a percentage that never rounds a near-certainty to 0% or 100%.

    >>> share_text(0.9996), share_text(0.42), share_text(0.001), share_text(1.0)
    ('>99%', '42%', '<1%', '100%')
    """
    if 0 < p < 0.01:
        return "<1%"
    if 0.99 < p < 1:
        return ">99%"
    return f"{p:.0%}"


def breakeven_text(month: Any) -> str:
    """A break-even month in words: ``never``, ``from the start`` (month 0) or ``month 7``.

    >>> breakeven_text(None), breakeven_text(0), breakeven_text(7)
    ('never', 'from the start', 'month 7')
    """
    if is_missing(month):
        return NEVER
    return "from the start" if int(month) == 0 else f"month {int(month)}"


def never_cell(value: Any) -> Any:
    """A break-even figure for a table cell: the number, or :data:`NEVER` when missing.

    >>> never_cell(3), never_cell(float("nan"))
    (3, 'never')
    """
    if is_missing(value):
        return NEVER
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def add_months(start: _dt.date, months: int) -> _dt.date:
    """The first day of the calendar month ``months`` after ``start``'s month.

    >>> add_months(_dt.date(2026, 11, 23), 2)
    datetime.date(2027, 1, 1)
    """
    index = start.year * 12 + (start.month - 1) + int(months)
    return _dt.date(index // 12, index % 12 + 1, 1)


def month_label(start: _dt.date, month: int) -> str:
    """The calendar month (``YYYY-MM``) of month index ``month`` of a scenario starting on
    ``start``: month 0 (the one-time costs) is the start date itself, month ``m ≥ 1`` is the
    ``m``-th calendar month from the start, i.e. the month of ``start + (m - 1)`` months.

    >>> [month_label(_dt.date(2026, 11, 23), m) for m in (0, 1, 2, 3)]
    ['2026-11', '2026-11', '2026-12', '2027-01']
    """
    return add_months(start, max(int(month), 1) - 1).strftime("%Y-%m")


def start_date(result: Any) -> _dt.date:
    """The date a result's month 0 falls on: the scenario's resolved start date where the
    result has one, else its ``as_of`` date, else today (the one place the reports read the
    clock, and only when the scenario gives no date)."""
    return (getattr(result, "start_date", None) or result.scenario.as_of
            or _dt.date.today())


def option_models(scenario: Any) -> dict[str, str]:
    """What each simulated option runs, in a few words, from the scenario itself (so a title
    follows the models when they change).

    >>> from simulator.scenario import Scenario
    >>> s = Scenario.from_dict({"options": ["prompt", "finetune"], "prompt": {"model": "gpt-4.1"},
    ...                         "finetune": {"provider": "openai", "model": "gpt-4.1-mini"}})
    >>> option_models(s)
    {'prompt': 'gpt-4.1', 'finetune': 'openai gpt-4.1-mini'}
    """
    p, f = scenario.prompt, scenario.finetune
    words = {
        "prompt": p.model,
        "rag": f"{p.model} + {scenario.rag.embedding_model}",
        "finetune": f"{f.provider} {f.model}",
        "selfhost": f"LoRA of {f.model} on {scenario.selfhost.gpu}",
        "hybrid": f"{scenario.hybrid.finetuned_share:.0%} to tuned {f.model}, the rest to "
                  f"{p.model}",
    }
    return {o: words.get(o, o) for o in scenario.simulated_options}


def compared_line(scenario: Any) -> str:
    """One line naming what is compared, baseline first, and over how long.

    >>> from simulator.scenario import Scenario
    >>> s = Scenario.from_dict({"options": ["prompt", "finetune"], "prompt": {"model": "gpt-4.1"},
    ...                         "finetune": {"provider": "openai", "model": "gpt-4.1-mini"}})
    >>> compared_line(s)
    'Compared over 24 months: prompt (gpt-4.1, baseline) · finetune (openai gpt-4.1-mini)'
    """
    parts = [f"{o} ({m}{', baseline' if o == scenario.baseline else ''})"
             for o, m in option_models(scenario).items()]
    return f"Compared over {scenario.horizon_months} months: " + " · ".join(parts)
