"""Totals, present values and break-even points of monthly cost arrays (README, Method).

All functions take monthly costs with months ``0..H`` on the last axis (month 0 = one-time
costs at t = 0) and any leading draw axes; "no solution" is NaN, never an exception.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .cost import (
    as_columns,
    discount_factor,
    month_index,
    option_costs,
    requests_per_month,
    selfhost_hosting_usd,
    total_usd,
)

LADDER_REQUESTS = 10.0 ** np.arange(0, 13)
"""Month-1 volumes tried to bracket a stepwise break-even volume [requests/month]."""
BISECTION_STEPS = 64


def tco_usd(monthly_usd) -> np.ndarray:
    """Total cost of ownership ``Σ_{m=0..H} cost_m`` (one-time included) [USD].

    >>> float(tco_usd(np.array([100.0, 10.0, 10.0])))
    120.0
    """
    return np.sum(monthly_usd, axis=-1)


def npv_usd(monthly_usd, yearly_rate) -> np.ndarray:
    """Present value of costs, month ``m`` discounted by ``(1+ρ)^(-m/12)``, month 0 at t = 0
    [USD]. ``yearly_rate`` is a float or an ``(n, 1)`` column.

    >>> round(float(npv_usd(np.array([100.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
    ...                               0.0, 0.0, 110.0]), 0.10)), 6)
    200.0
    """
    monthly_usd = np.asarray(monthly_usd, dtype=float)
    months = month_index(monthly_usd.shape[-1] - 1)
    return np.sum(monthly_usd * discount_factor(yearly_rate, months), axis=-1)


def cumulative_usd(monthly_usd) -> np.ndarray:
    """Cumulative cost through each month [USD]."""
    return np.cumsum(monthly_usd, axis=-1)


def breakeven_month(option_monthly_usd, baseline_monthly_usd, *, rtol: float = 1e-9
                    ) -> np.ndarray:
    """First month from which the option's cumulative cost stays at or below the baseline's
    through the horizon [month]; NaN when the option is dearer at the horizon.

    0 means the option is never dearer (not even at t = 0). Ties within ``rtol`` count as
    "at or below".

    >>> float(breakeven_month(np.array([100.0, 10, 10, 10]), np.array([0.0, 50, 50, 50])))
    3.0
    >>> breakeven_month(np.array([100.0, 60]), np.array([0.0, 50]))
    array(nan)
    """
    return breakeven_month_of_cumulative(cumulative_usd(option_monthly_usd),
                                         cumulative_usd(baseline_monthly_usd), rtol=rtol)


def breakeven_month_of_cumulative(cum_o, cum_b, *, rtol: float = 1e-9) -> np.ndarray:
    """:func:`breakeven_month` from cumulative costs [USD] (saves recomputing the baseline's)."""
    ok = cum_o <= cum_b + rtol * (np.abs(cum_b) + 1.0)
    stays = np.flip(np.logical_and.accumulate(np.flip(ok, -1), axis=-1), -1)
    first = np.argmax(stays, axis=-1).astype(float)
    return np.where(stays[..., -1], first, np.nan)


def linear_breakeven_volume(diff_at_zero, diff_slope) -> np.ndarray:
    """Root ``V = -D(0) / D'`` of a difference in TCO linear in volume [requests/month].

    NaN when the slope is zero (the gap never closes) or the root is negative.

    >>> float(linear_breakeven_volume(1000.0, -0.5))
    2000.0
    """
    d0 = np.asarray(diff_at_zero, dtype=float)
    slope = np.asarray(diff_slope, dtype=float)
    scale = np.maximum(np.abs(d0), 1.0)
    flat = np.abs(slope) * 1e15 <= scale
    with np.errstate(divide="ignore", invalid="ignore"):
        root = np.where(flat, np.nan, -d0 / np.where(flat, 1.0, slope))
    root = np.where(np.abs(d0) <= 1e-12 * scale, 0.0, root)
    return np.where(root >= 0, root, np.nan)


def bisect_sign_change(diff, d0, *, ladder=LADDER_REQUESTS, steps: int = BISECTION_STEPS
                       ) -> np.ndarray:
    """Smallest volume found where ``diff(V)`` leaves the sign of ``d0 = diff(0)``.

    ``diff`` maps an array of volumes (shape of ``d0``) to the TCO difference. The volumes
    ``ladder`` are tried in turn to bracket the change, then the bracket is bisected; a
    step function changes sign at a jump, which is where the search lands. NaN when no
    ladder volume changes sign. Where steps make the difference cross zero several times
    inside one bracket, one of those crossings is returned.
    """
    d0 = np.asarray(d0, dtype=float)
    sign0 = np.sign(d0)
    lo = np.zeros_like(d0)
    hi = np.full_like(d0, np.nan)
    for v in ladder:
        todo = np.isnan(hi)
        if not todo.any():
            break
        flipped = np.sign(diff(np.full_like(d0, v))) != sign0
        hi = np.where(todo & flipped, v, hi)
        lo = np.where(todo & ~flipped, v, lo)
    found = ~np.isnan(hi)
    hi = np.where(found, hi, lo)
    for _ in range(steps):
        mid = 0.5 * (lo + hi)
        same = np.sign(diff(mid)) == sign0
        lo = np.where(same, mid, lo)
        hi = np.where(same, hi, mid)
    return np.where(sign0 == 0, 0.0, np.where(found, hi, np.nan))


def _tco_linear_parts(option: str, values: Mapping[str, Any], horizon_months: int):
    """TCO without the step part at V_1 = 0, and its slope per month-1 request."""
    at0 = dict(values, **{"workload.requests_per_month": 0.0})
    at1 = dict(values, **{"workload.requests_per_month": 1.0})
    a = tco_usd(total_usd(option_costs(option, at0, horizon_months, step_part=False)))
    b = tco_usd(total_usd(option_costs(option, at1, horizon_months, step_part=False))) - a
    return a, b


def breakeven_volume(values: Mapping[str, Any], option: str, baseline: str,
                     horizon_months: int) -> np.ndarray:
    """Month-1 volume ``V_1`` at which the option's TCO equals the baseline's [requests/month].

    Exact where both TCOs are linear in volume (every option but ``selfhost``); by
    bisection where self-hosted replicas make the cost a step function. NaN where there is
    no such volume. Other fields (growth, horizon, prices) stay as given.
    """
    a_o, b_o = _tco_linear_parts(option, values, horizon_months)
    a_b, b_b = _tco_linear_parts(baseline, values, horizon_months)
    if "selfhost" not in (option, baseline):
        return linear_breakeven_volume(a_o - a_b, b_o - b_b)
    p = as_columns(values)
    months = month_index(horizon_months)
    per_month1_request = requests_per_month(1.0, p["workload.growth_per_month"], months)

    def step(opt: str, volume: np.ndarray) -> np.ndarray:
        if opt != "selfhost":
            return 0.0
        v = volume[..., None] if np.ndim(volume) else volume
        return tco_usd(selfhost_hosting_usd(p, v * per_month1_request, months))

    def diff(volume):
        return (a_o + b_o * volume + step(option, volume)) - (a_b + b_b * volume
                                                              + step(baseline, volume))

    shape = np.broadcast_shapes(np.shape(a_o), np.shape(a_b))
    zero = np.zeros(shape)
    return bisect_sign_change(diff, diff(zero))
