"""Unannounced closures: a yearly hazard that a fine-tuning offering closes without notice,
per kind of offering, calibrated from the dated closure list and drawn by Monte Carlo.

Two kinds, because the loss differs:

* **closed-model** fine-tuning (a provider tunes its own closed model: OpenAI, Azure OpenAI,
  Google, Bedrock Nova, Cohere …): at closure the tuned weights are gone; the road **falls back
  to prompting** (as ``finetune.on_retirement = "prompt"`` does), paying the prompt's
  engineering hours in the closure month.
* **open-weight** adapters (Together, Fireworks, Tinker, Prime Intellect, Databricks …: LoRA
  or full weights on an open base model the team can take elsewhere): at closure the road
  **migrates to an equivalent host at the same rates**, paying what a migration costs in the
  cost model (a training run on every example labelled so far, its evaluation and
  ``finetune.migration_hours``). Moving the adapter file alone would cost less: this is the
  cautious reading.

**Calibration** (:func:`calibrate`). Over a window (from :data:`WINDOW_START` to the scenario's
start date): *closures* are the fine-tuning rows of the lifecycle table whose last training
day falls in the window; *exposure* is, for every fine-tuning offering of the kind in the
table, the years it was open inside the window (up to its last training day when that comes
first) [offering-years]. The rate is ``λ = closures / exposure`` per offering-year and the
yearly chance ``1 - e^(-λ)``. The list only holds offerings someone priced, so closures of
services never listed are missed and the rate is a floor, not an estimate of the whole market.

**Drawing** (:func:`closure_months`). The yearly chance ``h`` becomes a monthly one
``1 - (1 - h)^(1/12)``; each Monte Carlo draw gets the first month without the offering
(geometric), or none inside the horizon. A draw whose closure month comes before the road's
announced switch month switches there instead (:func:`evaluate_with_closures`); the others
keep the announced calendar. ``closure_hazard = 0`` (the default) draws nothing and leaves
Monte Carlo as it was.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from .cost import FINETUNE_RATES

KINDS = ("closed-model", "open-weight")

CLOSED_MODEL_PROVIDERS = frozenset({
    "openai", "azure", "azure-developer", "google", "google-gemini-api", "aws", "cohere",
    "anthropic", "mistral"})
"""Providers whose fine-tuning tunes their own closed model (the tuned weights cannot leave);
every other provider hosts open weights."""

WINDOW_START = date(2025, 1, 1)
"""First day of the calibration window: the first closure in the list (Gemini API tuning,
May 2025) falls after it, and the table's rows were all checked in 2026."""

DAYS_PER_YEAR = 365.25


def offering_kind(provider: str) -> str:
    """``closed-model`` or ``open-weight`` for a fine-tuning ``provider``.

    >>> offering_kind("openai"), offering_kind("together")
    ('closed-model', 'open-weight')
    """
    return "closed-model" if provider.strip().lower() in CLOSED_MODEL_PROVIDERS \
        else "open-weight"


@dataclass(frozen=True, kw_only=True)
class Calibration:
    """The calibrated hazard of one kind of offering.

    kind : ``closed-model`` or ``open-weight``
    closures : training ends inside the window [closures]
    offering_years : exposure inside the window [offering-years]
    rate : ``closures / offering_years`` [closures per offering-year]
    yearly : chance that one offering closes within a year, ``1 - e^(-rate)`` [0..1]
    window : first and last day of the window
    """

    kind: str
    closures: int
    offering_years: float
    rate: float
    yearly: float
    window: tuple[date, date]

    def words(self) -> str:
        """How the figure was reached, in one clause."""
        return (f"{self.kind} fine-tuning: {self.closures} closures in "
                f"{self.offering_years:.1f} offering-years "
                f"({self.window[0].isoformat()} to {self.window[1].isoformat()}), "
                f"a yearly chance of {self.yearly:.1%}")


def calibrate(rows: Iterable[Mapping[str, Any]], as_of: date,
              window_start: date = WINDOW_START) -> dict[str, Calibration]:
    """The yearly closure hazard per kind from the lifecycle table ``rows`` (dicts with
    ``kind``, ``provider``, ``model``, ``training_ends``), over ``window_start..as_of``.

    >>> rows = [dict(kind="finetune", provider="acme", model="a", training_ends=date(2025, 7, 1)),
    ...         dict(kind="finetune", provider="acme", model="b", training_ends=None)]
    >>> c = calibrate(rows, date(2026, 1, 1))["open-weight"]
    >>> c.closures, round(c.offering_years, 2), round(c.rate, 3)   # (181 + 365 days) / 365.25
    (1, 1.49, 0.669)
    """
    if as_of <= window_start:
        raise ValueError(f"as_of {as_of} must come after the window start {window_start}")
    out = {}
    for kind in KINDS:
        closures, years = 0, 0.0
        seen = set()
        for r in rows:
            if r["kind"] != "finetune" or offering_kind(r["provider"]) != kind:
                continue
            key = (r["provider"], r["model"])
            if key in seen:
                continue
            seen.add(key)
            end = r.get("training_ends")
            last = as_of if end is None or end >= as_of else end
            if end is not None and window_start <= end < as_of:
                closures += 1
            if last > window_start:
                years += (last - window_start).days / DAYS_PER_YEAR
        rate = closures / years if years > 0 else 0.0
        out[kind] = Calibration(kind=kind, closures=closures, offering_years=years, rate=rate,
                                yearly=1.0 - math.exp(-rate), window=(window_start, as_of))
    return out


def closure_months(yearly: float, horizon_months: int, n: int,
                   rng: np.random.Generator) -> np.ndarray:
    """``n`` draws of the first month without the offering (``1..horizon_months``; ``inf``
    when it lasts the horizon), for a yearly closure chance ``yearly`` [month].

    >>> closure_months(0.0, 12, 3, np.random.default_rng(0)).tolist()
    [inf, inf, inf]
    """
    if not 0.0 <= yearly < 1.0:
        raise ValueError(f"yearly closure chance must be in [0, 1), got {yearly}")
    if yearly == 0.0:
        return np.full(n, np.inf)
    monthly = 1.0 - (1.0 - yearly) ** (1.0 / 12.0)
    months = rng.geometric(monthly, size=n).astype(float)
    return np.where(months <= horizon_months, months, np.inf)


def closure_values(values: Mapping[str, Any], month: int) -> dict[str, float]:
    """The value overrides of a draw whose offering closes in ``month``: the fine-tuning road
    switches there, falling back to prompting (closed-model) or moving to an equivalent host
    at its own rates (open-weight, ``finetune.closure_closed_model`` 0)."""
    closed = bool(values.get("finetune.closure_closed_model", 0.0))
    out = {"finetune.switch_month": float(month), "finetune.fallback": 1.0 if closed else 0.0}
    for key in FINETUNE_RATES:
        out[f"finetune.after.{key}"] = values[f"finetune.{key}"]
    return out


def evaluate_with_closures(inputs: Any, values: Mapping[str, Any], months: np.ndarray,
                           evaluate_rows: Callable[..., dict]) -> dict[str, dict[str, np.ndarray]]:
    """Figures of ``n`` draws whose offering closes in ``months`` (one per draw): the draws
    are grouped by their switch month (the closure month when it comes before the announced
    switch, else the announced one) and each group is priced with one scalar switch by
    ``evaluate_rows(inputs, values, rows)`` (option -> figure -> ``(rows,)``). At most
    ``horizon + 1`` groups; no loop over draws."""
    n = len(months)
    announced = float(values["finetune.switch_month"])
    switch = np.where(months < announced, months, np.inf)
    out: dict[str, dict[str, np.ndarray]] = {}
    for month in np.unique(switch):
        idx = np.flatnonzero(switch == month)
        part = {k: (v[idx] if isinstance(v, np.ndarray) and v.ndim == 1 and v.shape[0] == n
                    else v) for k, v in values.items()}
        if np.isfinite(month):
            part.update(closure_values(part, int(month)))
        figures = evaluate_rows(inputs, part, len(idx))
        for option, named in figures.items():
            for name, column in named.items():
                target = out.setdefault(option, {}).setdefault(
                    name, np.empty(n, dtype=np.asarray(column).dtype))
                target[idx] = column
    return out
