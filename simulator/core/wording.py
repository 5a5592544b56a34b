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


_UNPRINTABLE = {c: f"\\x{c:02x}" for c in (*range(0x09), *range(0x0b, 0x20),
                                             *range(0x7f, 0xa0))}
_UNPRINTABLE.update({c: f"\\u{c:04x}" for c in (0x061c, 0x200e, 0x200f, *range(0x202a, 0x202f),
                                                 *range(0x2066, 0x206a),
                                                 *range(0xd800, 0xe000))})


def printable(text: Any) -> str:
    """``text`` safe to print on a terminal: control characters shown as ``\\x1b``-style
    escapes (a newline and a tab are kept), and so are the bidirectional overrides that can
    reorder what a line shows and lone surrogates (bytes of a file name that are not UTF-8),
    which no terminal encoding can write.

    Every line the command line prints goes through here (``simulator.cli.main`` wraps standard
    output and error with it), so a model or role name in a log holding
    ``\\x1b]0;…\\x07\\x1b[2J`` cannot retitle or clear the user's terminal.

    >>> printable("gpt\\x1b[2J\\tok\\n")
    'gpt\\\\x1b[2J\\tok\\n'
    """
    return str(text).translate(_UNPRINTABLE)


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


MATERIAL_UPFRONT_USD = 100.0
"""Smallest upfront investment a return (ROI) is quoted on [USD]."""
MATERIAL_UPFRONT_SHARE = 0.01
"""… and the smallest share of the option's own TCO it must be: below either, savings divided
by a few cents or dollars read as a five-digit multiple that means nothing."""


def roi_text(roi: Any, upfront_usd: Any = None) -> str:
    """A return on the upfront investment, ``2.3×``, or ``n/a`` with the reason.

    >>> roi_text(2.345), roi_text(None, 0.1)
    ('2.3×', 'n/a (upfront $0.10 is not a material investment)')
    """
    if not is_missing(roi):
        return f"{float(roi):.1f}×"
    if is_missing(upfront_usd):
        return "n/a"
    return f"n/a (upfront {format_usd(upfront_usd)} is not a material investment)"


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


def volume_text(volume: float) -> str:
    """A month-1 volume for a sentence: ``4,400,000`` below ten million, ``12.35M`` above.

    >>> volume_text(31412.87), volume_text(15_920_000.0)
    ('31,413', '15.92M')
    """
    return f"{volume / 1e6:,.2f}M" if volume >= 1e7 else f"{volume:,.0f}"


def volume_pair_text(low: float, high: float) -> tuple[str, str]:
    """Two ends of a volume window as :func:`volume_text` writes them, with as many more
    digits as it takes for the two to read differently (never ``between 10.14M and
    10.14M``).

    >>> volume_pair_text(10_137_929.0, 10_142_181.0)
    ('10.138M', '10.142M')
    >>> volume_pair_text(4.4e6, 5.3e6), volume_pair_text(10.07e6, 10.61e6)
    (('4,400,000', '5,300,000'), ('10.07M', '10.61M'))
    """
    lo, hi = volume_text(low), volume_text(high)
    if lo != hi or low == high or high < 1e7:
        return lo, hi
    for digits in range(3, 7):
        lo, hi = (f"{x / 1e6:,.{digits}f}M" if x >= 1e7 else f"{x:,.0f}" for x in (low, high))
        if lo != hi:
            return lo, hi
    return f"{low:,.0f}", f"{high:,.0f}"


def volume_windows_text(intervals: Any, checked_up_to: float = math.inf,
                        unit: str = "requests/month") -> str:
    """Where an option is cheaper, by month-1 volume, as words that never claim more than
    the intervals say: ``at every volume``, ``above V``, ``below V``, ``between V1 and V2``,
    several of these joined by ``or``, or ``at no volume``.

    ``intervals`` are ``(low, high)`` pairs [requests/month], ``high`` infinite when open
    ended (:class:`simulator.model.breakeven.VolumeWindows`).

    >>> volume_windows_text([(31412.9, math.inf)])
    'above 31,413 requests/month'
    >>> volume_windows_text([(4.4e6, 5.3e6), (10.07e6, 10.61e6), (15.75e6, 15.92e6)])
    'between 4,400,000 and 5,300,000, between 10.07M and 10.61M or between 15.75M and 15.92M requests/month'
    >>> volume_windows_text([(0.0, math.inf)]), volume_windows_text([])
    ('at every volume', 'at no volume')
    """
    intervals = list(intervals)
    if not intervals:
        text = "at no volume"
    elif len(intervals) == 1 and intervals[0][0] == 0 and math.isinf(intervals[0][1]):
        text = "at every volume"
    else:
        parts = []
        for lo, hi in intervals:
            if math.isinf(hi):
                parts.append(f"above {volume_text(lo)}" if lo > 0 else "at every volume")
            elif lo == 0:
                parts.append(f"below {volume_text(hi)}")
            else:
                parts.append("between {} and {}".format(*volume_pair_text(lo, hi)))
        text = (", ".join(parts[:-1]) + " or " + parts[-1] if len(parts) > 1 else parts[0])
        text += f" {unit}"
    if math.isfinite(checked_up_to):
        text += f" (volumes checked up to {volume_text(checked_up_to)} {unit})"
    return text


def volume_windows_cell(intervals: Any) -> str:
    """The same for a table cell: ``≥ 31,413``, ``≤ 9,956,768``, ``4,400,000–5,300,000``,
    several joined by ``; ``, ``any`` or :data:`NEVER`.

    >>> volume_windows_cell([(201282.05, 1010769.2), (1043590.0, math.inf)])
    '201,282–1,010,769; ≥ 1,043,590'
    >>> volume_windows_cell([(0.0, math.inf)]), volume_windows_cell([])
    ('any', 'never')
    """
    intervals = list(intervals)
    if not intervals:
        return NEVER
    parts = []
    for lo, hi in intervals:
        if math.isinf(hi):
            parts.append("any" if lo == 0 else f"≥ {lo:,.0f}")
        elif lo == 0:
            parts.append(f"≤ {hi:,.0f}")
        else:
            parts.append(f"{lo:,.0f}–{hi:,.0f}")
    return "; ".join(parts)


def crossings_text(crossings: Any, baseline: str = "") -> str:
    """Every month the cumulative curves cross, in words, from ``(month, cheaper)`` pairs
    (:func:`simulator.model.breakeven.crossing_months`); ``baseline`` names what it is compared
    with, the first time.

    >>> crossings_text([(5, True), (12, False), (15, True)], "prompt")
    "at or below prompt's from month 5, dearer again from month 12, at or below again from month 15"
    >>> crossings_text([(0, True)]), crossings_text([])
    ('at or below from the start', 'never at or below')
    """
    parts = []
    below_before = False
    whose = f" {baseline}'s" if baseline else ""
    for month, cheaper in crossings:
        again = " again" if (cheaper and below_before) or (not cheaper and parts) else ""
        when = "from the start" if month == 0 else f"from month {month}"
        if cheaper:
            parts.append(f"at or below{again}{'' if below_before else whose} {when}")
        else:
            parts.append(f"dearer{again} {when}")
        below_before = below_before or cheaper
    return ", ".join(parts) if parts else f"never at or below{whose}"


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

    >>> from simulator.model.scenario import Scenario
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
        # a self-hosted model is open and sized by selfhost.model_params_b, whatever the
        # provider's base model (which may not be downloadable at all)
        "selfhost": f"LoRA of an open {scenario.selfhost.model_params_b:g}B model on "
                    f"{scenario.selfhost.gpu}",
        "hybrid": f"{scenario.hybrid.finetuned_share:.0%} to tuned {f.model}, the rest to "
                  f"{p.model}",
    }
    return {o: words.get(o, o) for o in scenario.simulated_options}


def compared_line(scenario: Any) -> str:
    """One line naming what is compared, baseline first, and over how long.

    >>> from simulator.model.scenario import Scenario
    >>> s = Scenario.from_dict({"options": ["prompt", "finetune"], "prompt": {"model": "gpt-4.1"},
    ...                         "finetune": {"provider": "openai", "model": "gpt-4.1-mini"}})
    >>> compared_line(s)
    'Compared over 24 months: prompt (gpt-4.1, baseline) · finetune (openai gpt-4.1-mini)'
    """
    parts = [f"{o} ({m}{', baseline' if o == scenario.baseline else ''})"
             for o, m in option_models(scenario).items()]
    return f"Compared over {scenario.horizon_months} months: " + " · ".join(parts)


# ---- accuracy from evidence (issue 18) -----------------------------------------------------------

def percent_text(x: Any, digits: int = 1) -> str:
    """A share as a percentage: ``89.3%``; ``n/a`` for missing.

    >>> percent_text(0.8932), percent_text(None)
    ('89.3%', 'n/a')
    """
    return "n/a" if is_missing(x) else f"{float(x) * 100:.{digits}f}%"


BREAKEVEN_ACCURACY_REASONS = {
    "no error cost": "errors cost nothing (cost_per_error_usd = 0), so accuracy does not "
                     "change its cost",
    "no requests": "there are no requests to get right",
    "above 100%": "it stays dearer even at 100% accuracy",
    "below 0%": "it is cheaper at any accuracy",
}
"""Why an option has no break-even accuracy, by ``breakeven_accuracy_status``."""


def breakeven_accuracy_text(option: str, breakeven: Any, status: str, *, evidence: str = "",
                            estimate: Any = None, low: Any = None, high: Any = None,
                            probability: Any = None, own: bool = True) -> str:
    """One sentence: the accuracy at which ``option`` pays for itself, and what the evidence
    says about reaching it.

    ``evidence`` names it (``your eval (182 of 200)``, ``your pilot (3 runs)``; empty: an
    assumed accuracy); ``estimate`` and ``low``–``high`` are what it puts the accuracy at;
    ``probability`` is the share of the evidence's draws in which the option is cheaper;
    ``own`` False when the option has no evidence of its own (only the baseline's).

    >>> text = breakeven_accuracy_text("finetune", 0.893, "", evidence="your eval (182 of 200)",
    ...                                estimate=0.91, low=0.871, high=0.94, probability=0.86)
    >>> text.split("; ")
    ['finetune pays for itself if it reaches 89.3% accuracy', 'your eval (182 of 200) puts it \
at 91.0% (87.1–94.0%), so it does with probability 0.86.']
    """
    if is_missing(breakeven):
        reason = BREAKEVEN_ACCURACY_REASONS.get(status, status or "it cannot be found")
        return f"{option} has no break-even accuracy: {reason}."
    text = f"{option} pays for itself if it reaches {percent_text(breakeven)} accuracy"
    interval = "" if is_missing(low) or is_missing(high) else \
        f" ({float(low) * 100:.1f}–{percent_text(high)})"
    if evidence:
        text += f"; {evidence} puts it at {percent_text(estimate)}{interval}"
    elif not is_missing(estimate):
        text += f"; you assume {percent_text(estimate)}"
    if not is_missing(probability):
        text += (f", so it does with probability {float(probability):.2f}" if own else
                 f"; with the evidence on the baseline it is cheaper with probability "
                 f"{float(probability):.2f}")
    return text + "."


def target_text(target: Any, examples: Any, planned: Any, labelling_usd: Any) -> str:
    """What reaching ``finetune.target_accuracy`` takes by the pilot curve, in words."""
    if is_missing(examples):
        return (f"By the pilot's curve the fine-tune never reaches the target "
                f"{percent_text(target)}.")
    more = float(examples) - float(planned)
    extra = (f"{more:,.0f} more than the {float(planned):,.0f} planned" if more > 0 else
             f"the {float(planned):,.0f} planned suffice")
    return (f"By the pilot's curve it reaches the target {percent_text(target)} with "
            f"{float(examples):,.0f} examples ({extra}); labelling that many costs "
            f"{format_usd(labelling_usd)}.")
