"""Calendar months and lifecycle events: when a road closes inside the horizon, and what then.

A scenario starts on a date (``as_of``). Month 0 is that day (one-time costs); month ``m ≥ 1``
is the ``m``-th calendar month from it, running from ``start + (m-1)`` months to the day
before ``start + m`` months. A training run of month ``m`` starts on the month's first day.

Lifecycle facts come from the price table (:class:`pricing.Lifecycle`: last training day, last
serving day, successor). This module turns them into the months where something happens:

* a **retraining** whose first day is after the offering's last training day cannot run;
* a model **stops serving** in the month that holds the first day after its last serving day.

The first of these events in the horizon is where a road has to move: the fine-tuning road to
its successor offering (or back to prompting), the prompted road to its successor model.
Everything here is pure: dates in, month numbers and words out.
"""

from __future__ import annotations

import calendar
import math
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from pricing import Lifecycle

NEVER = math.inf
"""Switch month of a road that does not move within the horizon."""


# ---- calendar ---------------------------------------------------------------------------------

def add_months(day: date, months: int) -> date:
    """``day`` moved by whole calendar months; the 31st becomes the month's last day.

    >>> add_months(date(2026, 1, 31), 1), add_months(date(2026, 11, 23), 2)
    (datetime.date(2026, 2, 28), datetime.date(2027, 1, 23))
    """
    index = day.year * 12 + (day.month - 1) + int(months)
    year, month0 = divmod(index, 12)
    last = _days_in_month(year, month0 + 1)
    return date(year, month0 + 1, min(day.day, last))


def _days_in_month(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def month_start(start: date, month: int) -> date:
    """First day of month ``month`` of a scenario started on ``start``; month 0 is ``start``.

    >>> month_start(date(2026, 11, 23), 0), month_start(date(2026, 11, 23), 2)
    (datetime.date(2026, 11, 23), datetime.date(2026, 12, 23))
    """
    return start if month <= 0 else add_months(start, month - 1)


@lru_cache(maxsize=256)
def month_ends(start: date, last_month: int) -> tuple[date, ...]:
    """The last day of each month ``1..last_month`` of a scenario started on ``start``
    (``[m - 1]``: month ``m``'s). A pure function of two immutable values, so its answers are
    kept (the 256 latest): a scenario simulated again, or a grid of it, reuses them.

    >>> month_ends(date(2026, 1, 31), 2)
    (datetime.date(2026, 2, 27), datetime.date(2026, 3, 30))
    """
    return tuple(month_start(start, m + 1) - timedelta(days=1)
                 for m in range(1, last_month + 1))


def month_of(start: date, day: date) -> int:
    """The month (``≥ 1``) whose span holds ``day``; 0 for a day before ``start``.

    >>> month_of(date(2026, 11, 23), date(2027, 1, 6)), month_of(date(2026, 11, 23),
    ...                                                            date(2026, 12, 22))
    (2, 1)
    """
    if day < start:
        return 0
    m = (day.year - start.year) * 12 + (day.month - start.month) + 1
    while month_start(start, m) > day:
        m -= 1
    while month_start(start, m + 1) <= day:
        m += 1
    return max(m, 1)


def month_label(start: date, month: int) -> str:
    """``YYYY-MM`` of month ``month`` (month 0 and 1 both fall in the start's month).

    >>> month_label(date(2026, 11, 23), 3)
    '2027-01'
    """
    return month_start(start, month).strftime("%Y-%m")


# ---- events -----------------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class LifecycleEvent:
    """Something the calendar does to a road inside the horizon.

    road : ``prompt`` (the prompted model) or ``finetune`` (the fine-tuning offering)
    kind : ``training_ends`` (no new jobs after ``day``), ``blocked_retraining`` (the
        retraining of ``month`` cannot run), ``serving_ends`` (last day served is ``day``)
    day : the date the event is about
    month : the scenario month it falls in (for ``serving_ends`` and ``training_ends``: the
        month of the first day without the service, the day :meth:`words` names) [month]
    subject : what closes, in words (``openai gpt-4.1-mini``)
    source_url : where the date comes from
    """

    road: str
    kind: str
    day: date
    month: int
    subject: str
    source_url: str = ""

    def words(self) -> str:
        """The event as a clause a reader understands (closing days are the first day
        without the service, as providers announce them).

        >>> LifecycleEvent(road="finetune", kind="training_ends", day=date(2027, 1, 5),
        ...                month=2, subject="openai gpt-4.1-mini").words()
        'openai gpt-4.1-mini takes no new fine-tuning jobs from 2027-01-06 (month 2)'
        """
        closes = (self.day + timedelta(days=1)).isoformat()
        if self.kind == "training_ends":
            return (f"{self.subject} takes no new fine-tuning jobs from {closes} "
                    f"(month {self.month})")
        if self.kind == "blocked_retraining":
            return (f"the retraining planned for month {self.month} "
                    f"({self.day.isoformat()}) cannot run on {self.subject}")
        tuned = " and its fine-tunes" if self.road == "finetune" else ""
        return f"{self.subject}{tuned} stop{'' if tuned else 's'} serving from {closes} " \
               f"(month {self.month})"


@dataclass(frozen=True, kw_only=True)
class RoadPlan:
    """When a road has to move, and why.

    switch_month : first month on the successor (or the fallback) [month]; :data:`NEVER`
        when the road lasts the horizon
    events : every lifecycle event inside the horizon, in date order
    """

    switch_month: float
    events: tuple[LifecycleEvent, ...]

    @property
    def moves(self) -> bool:
        return self.switch_month != NEVER


def closed_at_start(life: Lifecycle, start: date) -> str | None:
    """Why a road cannot even begin on ``start`` (in words), or None when it can."""
    if life.serving_ends is not None and life.serving_ends < start:
        return f"it stopped serving after {life.serving_ends.isoformat()}"
    return None


def training_closed_at_start(life: Lifecycle, start: date) -> str | None:
    """Why no first training job can run on ``start`` (in words), or None when it can."""
    closed = closed_at_start(life, start)
    if closed:
        return closed
    if life.training_ends is not None and life.training_ends < start:
        return f"it takes no new fine-tuning jobs since {life.training_ends.isoformat()}"
    if life.status == "retired":
        return "it is retired"
    return None


def serving_end_month(life: Lifecycle, start: date, horizon_months: int) -> float:
    """First month without service (the month holding the day after the last served day),
    or :data:`NEVER` when that is past the horizon or no end is known [month]."""
    if life.serving_ends is None:
        return NEVER
    m = month_of(start, life.serving_ends + timedelta(days=1))
    return float(m) if m <= horizon_months else NEVER


def plan_prompt(life: Lifecycle, start: date, horizon_months: int, subject: str) -> RoadPlan:
    """Where the prompted model retires inside the horizon."""
    switch = serving_end_month(life, start, horizon_months)
    events = ()
    if switch != NEVER:
        events = (LifecycleEvent(road="prompt", kind="serving_ends", day=life.serving_ends,
                                 month=int(switch), subject=subject,
                                 source_url=life.source_url),)
    return RoadPlan(switch_month=switch, events=events)


def retraining_months(retrain_every_months: int, horizon_months: int) -> list[int]:
    """Months with a planned retraining: ``R, 2R, …`` up to the horizon [month]."""
    if retrain_every_months <= 0:
        return []
    return list(range(int(retrain_every_months), int(horizon_months) + 1,
                      int(retrain_every_months)))


def plan_finetune(life: Lifecycle, start: date, horizon_months: int, retrain_every_months: int,
                  subject: str) -> RoadPlan:
    """Where the fine-tuning road has to move: the first planned retraining that cannot run,
    or the first month the tuned model no longer serves, whichever comes first."""
    events: list[LifecycleEvent] = []
    last_training = life.training_ends
    if life.serving_ends is not None and (last_training is None
                                          or life.serving_ends < last_training):
        last_training = life.serving_ends
    # the month of the first day without new jobs, the day the words name (as for serving)
    closed = None if life.training_ends is None \
        else month_of(start, life.training_ends + timedelta(days=1))
    if closed is not None and closed <= horizon_months:
        events.append(LifecycleEvent(road="finetune", kind="training_ends",
                                     day=life.training_ends, month=closed, subject=subject,
                                     source_url=life.source_url))
    blocked = NEVER
    if last_training is not None:
        for m in retraining_months(retrain_every_months, horizon_months):
            if month_start(start, m) > last_training:
                blocked = float(m)
                break
    serve_end = serving_end_month(life, start, horizon_months)
    switch = min(blocked, serve_end)
    if blocked != NEVER:
        events.append(LifecycleEvent(road="finetune", kind="blocked_retraining",
                                     day=month_start(start, int(blocked)), month=int(blocked),
                                     subject=subject, source_url=life.source_url))
    if serve_end != NEVER:
        events.append(LifecycleEvent(road="finetune", kind="serving_ends",
                                     day=life.serving_ends, month=int(serve_end),
                                     subject=subject, source_url=life.source_url))
    events.sort(key=lambda e: (e.day, e.kind))
    return RoadPlan(switch_month=switch, events=tuple(events))


def split_successor(successor: str) -> tuple[str, str]:
    """``provider/model`` taken apart (the model part may hold more slashes).

    >>> split_successor("fireworks/accounts/fireworks/models/llama-v3p1-8b-instruct")
    ('fireworks', 'accounts/fireworks/models/llama-v3p1-8b-instruct')
    """
    provider, _, model = successor.strip().partition("/")
    return provider.strip().lower(), model.strip()


# ---- what closes soon -------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class Closing:
    """One announced closing from the lifecycle table.

    day : the first day without the service (the day after the table's last day), as
        providers announce it
    provider, model : the inference model or the base model of a fine-tuning offering
    kind : ``model`` (the model stops answering), ``training`` (no new fine-tuning jobs),
        ``tuned serving`` (fine-tuned models stop answering), ``training+serving`` (both on
        one day)
    successor : the provider's named successor (``provider/model``), empty when none
    source_url : where the date comes from
    """

    day: date
    provider: str
    model: str
    kind: str
    successor: str
    source_url: str


def closings(rows, start: date, within_months: int) -> list[Closing]:
    """Closings of the lifecycle table ``rows`` (dicts with ``kind``, ``provider``, ``model``,
    ``training_ends``, ``serving_ends``, ``successor``, ``source_url``) whose first day without
    the service falls after ``start`` and no later than ``within_months`` calendar months
    from it, sorted by day, then provider and model.

    >>> row = dict(kind="inference", provider="openai", model="gpt-5-mini", training_ends=None,
    ...            serving_ends=date(2026, 12, 10), successor="openai/gpt-5.6-terra",
    ...            source_url="u")
    >>> [(c.day.isoformat(), c.kind) for c in closings([row], date(2026, 12, 7), 1)]
    [('2026-12-11', 'model')]
    """
    if within_months < 0:
        raise ValueError(f"within_months must be 0 or more, got {within_months}")
    end = add_months(start, within_months)
    out = []
    for r in rows:
        train, serve = r.get("training_ends"), r.get("serving_ends")
        events = []
        if r["kind"] == "inference":
            if serve is not None:
                events.append((serve, "model"))
        elif train is not None and serve is not None and train == serve:
            events.append((serve, "training+serving"))
        else:
            if train is not None:
                events.append((train, "training"))
            if serve is not None:
                events.append((serve, "tuned serving"))
        for last, kind in events:
            day = last + timedelta(days=1)
            if start < day <= end:
                out.append(Closing(day=day, provider=r["provider"], model=r["model"], kind=kind,
                                   successor=r.get("successor") or "",
                                   source_url=r.get("source_url") or ""))
    return sorted(out, key=lambda c: (c.day, c.provider, c.model, c.kind))
