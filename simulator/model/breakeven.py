"""Totals, present values and break-even points of monthly cost arrays (README, Method).

All functions take monthly costs with months ``0..H`` on the last axis (month 0 = one-time
costs at t = 0) and any leading draw axes; "no solution" is NaN, never an exception.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from pricing import HOURS_PER_MONTH

from ..core.limits import MAX_REPLICA_STEPS
from .cost import (
    discount_factor,
    month_index,
    price_decline_factor,
    selfhost_capacity_tokens,
    selfhost_replica_usd_per_hour,
    selfhost_tokens_per_request,
)

VOLUME_RTOL = 1e-9
"""Relative accuracy of a break-even volume at a self-hosted replica step [1]: the replica
count's own rounding guard (``ceil(x - 1e-9)`` in :func:`simulator.model.cost.whole_replicas`)."""
VOLUME_PROBE = 1e6
"""Second month-1 volume at which TCOs are priced to get their slope [requests/month]."""
VOLUME_LIMIT = 1e15
"""Largest month-1 volume examined when two stepped TCOs grow at the same rate
[requests/month]."""
MAX_STEPS = MAX_REPLICA_STEPS
"""Most replica steps examined for one option (:data:`simulator.core.limits.MAX_REPLICA_STEPS`);
beyond them the volumes are not checked (and :attr:`VolumeWindows.checked_up_to` says so)."""
STATUSES = ("always", "above", "below", "between", "windows", "never")
"""What :attr:`VolumeWindows.status` may be."""


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


def cumulative_usd(monthly_usd, *, overwrite: bool = False) -> np.ndarray:
    """Cumulative cost through each month [USD].

    ``overwrite``: write the sums into ``monthly_usd`` itself (a float array the caller
    owns), which saves a new array. Many draws are summed month by month across the draw
    axis (the same additions in the same order as :func:`numpy.cumsum`, which is slow along a
    short last axis).

    >>> cumulative_usd(np.array([[1.0, 2.0, 3.0]] * 100))[0].tolist()
    [1.0, 3.0, 6.0]
    """
    monthly_usd = np.asarray(monthly_usd, dtype=float)
    if monthly_usd.ndim < 2 or monthly_usd.size < 64 * monthly_usd.shape[-1]:
        return np.cumsum(monthly_usd, axis=-1, out=monthly_usd if overwrite else None)
    out = monthly_usd if overwrite else monthly_usd.copy()
    for m in range(1, out.shape[-1]):
        out[..., m] += out[..., m - 1]
    return out


def cumulative_usd_by_month(monthly_usd) -> np.ndarray:
    """:func:`cumulative_usd` in place along the month axis of an array laid out months
    first, ``(..., H+1, n)`` [USD]: each month's row of draws is added to the next, a
    contiguous pass per month (the same additions in the same order as :func:`numpy.cumsum`
    along that axis, so the same numbers).

    >>> cumulative_usd_by_month(np.array([[1.0, 10.0], [2.0, 20.0], [3.0, 30.0]])).tolist()
    [[1.0, 10.0], [3.0, 30.0], [6.0, 60.0]]
    """
    for m in range(1, monthly_usd.shape[-2]):
        monthly_usd[..., m, :] += monthly_usd[..., m - 1, :]
    return monthly_usd


def breakeven_month_by_month(cum_usd, limit_usd) -> np.ndarray:
    """:func:`breakeven_month_of_ok` of ``cum_usd <= limit_usd`` for arrays laid out months
    first, ``(..., H+1, n)`` [USD] (``limit_usd``: :func:`at_or_below_limit` of the
    baseline's): one past the last month that is not at or below, 0 when none is, NaN when
    the last month is not [month]. Found as the largest ``month + 1`` among the months that
    are not, a reduction across rows of draws, which is faster in this layout than looking
    for the last such month draw by draw.

    >>> cum = np.array([[100.0, 10.0, 100.0, 10.0], [110.0, 10.0, 130.0, 10.0],
    ...                 [120.0, 20.0, 110.0, 200.0]])       # 3 months × 4 draws
    >>> breakeven_month_by_month(cum, np.array([[50.0], [115.0], [125.0]])).tolist()
    [1.0, 0.0, 2.0, nan]
    """
    not_ok = np.less_equal(cum_usd, limit_usd)
    np.logical_not(not_ok, out=not_ok)
    months = cum_usd.shape[-2]
    month_after = np.arange(1, months + 1, dtype=np.min_scalar_type(months))[:, None]
    last = np.max(not_ok * month_after, axis=-2).astype(float)
    last[not_ok[..., -1, :]] = np.nan
    return last


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
    return breakeven_month_of_ok(_at_or_below(cum_o, cum_b, rtol))


def breakeven_month_of_ok(ok) -> np.ndarray:
    """:func:`breakeven_month` from ``ok``, True in the months whose cumulative cost is at or
    below the baseline's: one past the last month that is not [month].

    >>> breakeven_month_of_ok(np.array([[False, True, True], [True, True, True],
    ...                                 [True, False, True], [True, True, False]])).tolist()
    [1.0, 0.0, 2.0, nan]
    """
    ok = np.asarray(ok, dtype=bool)
    # months ok at the end; 0 when the last month is not ok, or when every month is ok
    # (argmin finds no False and answers 0), which ok[..., -1] tells apart
    trailing = np.argmin(ok[..., ::-1], axis=-1)
    first = np.where(trailing == 0, 0.0, ok.shape[-1] - trailing)
    return np.where(ok[..., -1], first, np.nan)


def payback_month_of_ok(ok) -> np.ndarray:
    """:func:`payback_month_of_cumulative` from ``ok`` (see :func:`breakeven_month_of_ok`).

    >>> payback_month_of_ok(np.array([[False, True, False], [False, False, False]])).tolist()
    [1.0, nan]
    """
    ok = np.asarray(ok, dtype=bool)
    return np.where(ok.any(axis=-1), np.argmax(ok, axis=-1).astype(float), np.nan)


def payback_month_of_cumulative(cum_o, cum_b, *, rtol: float = 1e-9) -> np.ndarray:
    """First month whose cumulative cost is at or below the baseline's (the option has paid
    for itself) [month]; NaN when that never happens within the horizon.

    Unlike :func:`breakeven_month_of_cumulative` the option may be dearer again later.

    >>> float(payback_month_of_cumulative(np.array([100.0, 110, 170]),
    ...                                   np.array([0.0, 120, 160])))
    1.0
    """
    return payback_month_of_ok(_at_or_below(cum_o, cum_b, rtol))


def crossing_months(cum_o, cum_b, *, rtol: float = 1e-9) -> tuple[tuple[int, bool], ...]:
    """Every month in which the cumulative curves cross, for one scenario: ``(month,
    cheaper)`` with ``cheaper`` True where the option's cumulative cost comes to at or below
    the baseline's that month, False where it rises above it again. Month 0 is listed when the
    option starts at or below the baseline.

    >>> crossing_months(np.array([100.0, 110, 170, 180]), np.array([0.0, 120, 160, 200]))
    ((1, True), (2, False), (3, True))
    """
    return crossings_of_ok(_at_or_below(np.asarray(cum_o, dtype=float),
                                        np.asarray(cum_b, dtype=float), rtol))


def _at_or_below(cum_o, cum_b, rtol=1e-9):
    return cum_o <= at_or_below_limit(cum_b, rtol=rtol)


def at_or_below_limit(cum_b, *, rtol: float = 1e-9) -> np.ndarray:
    """The largest cumulative cost [USD] still "at or below" the baseline's ``cum_b`` (ties
    within ``rtol``); computed once, it serves every option's comparison."""
    return cum_b + rtol * (np.abs(cum_b) + 1.0)


def crossings_of_ok(ok) -> tuple[tuple[int, bool], ...]:
    """:func:`crossing_months` from ``ok`` (see :func:`breakeven_month_of_ok`)."""
    return crossings_by_row(np.asarray(ok, dtype=bool).reshape(1, -1))[0]


def crossings_by_row(ok) -> list[tuple[tuple[int, bool], ...]]:
    """:func:`crossings_of_ok` of each row of a 2-D ``ok`` (one option or draw a row), with
    one numpy pass over all rows.

    >>> crossings_by_row(np.array([[False, True, True], [True, True, False]]))
    [((1, True),), ((0, True), (2, False))]
    """
    ok = np.asarray(ok, dtype=bool)
    rows, months = np.nonzero(ok[:, 1:] != ok[:, :-1])
    months += 1
    out: list[list[tuple[int, bool]]] = [[(0, True)] if first else []
                                         for first in ok[:, 0].tolist()]
    for row, month, cheaper in zip(rows.tolist(), months.tolist(),
                                   ok[rows, months].tolist()):
        out[row].append((month, cheaper))
    return [tuple(x) for x in out]


def at_or_below(cum_o, cum_b, *, rtol: float = 1e-9) -> np.ndarray:
    """True in the months whose cumulative cost [USD] is at or below the baseline's (ties
    within ``rtol``)."""
    return _at_or_below(cum_o, cum_b, rtol)


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


@dataclass(frozen=True, kw_only=True)
class VolumeWindows:
    """The month-1 volumes ``V_1`` [requests/month] at which an option's TCO is at or below
    the baseline's, every other input fixed (README, Method).

    intervals : disjoint, sorted ``(low, high)`` pairs of positive width [requests/month];
        ``high`` is ``inf`` when the option stays cheaper at every larger volume
    exact : True where both TCOs are linear in volume (every option but ``selfhost``): the
        ends are exact roots. False across self-hosted replica steps, where each end is exact
        to the relative ``tolerance``
    tolerance : relative accuracy of the ends [1]
    checked_up_to : the largest volume examined [requests/month]; ``inf`` when the sign
        beyond the last replica step is proven, which it is unless both TCOs grow at the
        same rate per request
    """

    intervals: tuple[tuple[float, float], ...] = ()
    exact: bool = True
    tolerance: float = 0.0
    checked_up_to: float = math.inf

    @property
    def status(self) -> str:
        """``always`` (cheaper at every volume), ``above`` V, ``below`` V, ``between`` V1 and
        V2, ``windows`` (several intervals) or ``never``."""
        if not self.intervals:
            return "never"
        if len(self.intervals) > 1:
            return "windows"
        lo, hi = self.intervals[0]
        if lo == 0:
            return "always" if math.isinf(hi) else "below"
        return "above" if math.isinf(hi) else "between"

    @property
    def smallest(self) -> float:
        """The smallest volume from which the option is cheaper [requests/month]; NaN for
        ``never``."""
        return self.intervals[0][0] if self.intervals else math.nan

    def contains(self, volume: float) -> bool:
        """True when ``volume`` lies in one of the intervals (ends included)."""
        return any(lo <= volume <= hi for lo, hi in self.intervals)


@dataclass(frozen=True, kw_only=True)
class ReplicaSteps:
    """Self-hosted serving over the horizon as a step function of month-1 volume ``V_1``:
    ``T(V_1) = Σ_m replica_usd × max(r_0, ceil(V_1 / per_replica_m − 1e-9))`` [USD].

    per_replica : ``Δ_m``, the month-1 volume that fills one replica in month ``m = 1..H``
        [requests/month] (``inf`` when requests carry no tokens)
    min_replicas : ``r_0`` [replicas]
    replica_usd : one replica of ``n`` GPUs for one month, ``730 h × n × p_gpu`` [USD]; an
        array of one value per month where GPU-hour prices move
        (``price_decline_gpu_hours``)
    """

    per_replica: np.ndarray
    min_replicas: float
    replica_usd: float | np.ndarray

    def tco(self, volume) -> np.ndarray:
        """``T(V_1)`` [USD]; ``volume`` a float or an array."""
        v = np.asarray(volume, dtype=float)[..., None]
        need = np.ceil(v / self.per_replica - 1e-9)
        return np.sum(self.replica_usd * np.maximum(self.min_replicas, need), axis=-1)


def linear_windows(diff_at_zero: float, diff_slope: float) -> VolumeWindows:
    """Volumes where ``D(V) = D(0) + D' V ≤ 0``, ``D`` the option's TCO minus the
    baseline's [USD]: at most one interval, with exact ends.

    >>> linear_windows(1000.0, -0.5).intervals
    ((2000.0, inf),)
    >>> linear_windows(-1000.0, 0.5).status, linear_windows(1.0, 0.0).status
    ('below', 'never')
    """
    return stepped_windows(diff_at_zero, diff_slope, None)


def stepped_windows(a: float, b: float, steps: ReplicaSteps | None, sign: float = 1.0
                    ) -> VolumeWindows:
    """Volumes where ``D(V) = a + b V + sign × T(V) ≤ 0``, ``T`` the self-hosted serving
    step function (``sign`` +1 when the option self-hosts, −1 when the baseline does) [USD].

    Between two replica steps ``D`` is linear, so each segment's part of the set is exact;
    the steps sit at ``(j + 1e-9) Δ_m`` (relative accuracy :data:`VOLUME_RTOL`). Beyond the
    last segment examined the sign is proven from the bounds ``s V ≤ T(V) < s V + K``
    (``s = Σ_m replica_usd_m / Δ_m``, ``K = Σ_m replica_usd_m``), so every sign change is
    found.

    >>> steps = ReplicaSteps(per_replica=np.array([100.0]), min_replicas=1, replica_usd=50.0)
    >>> [tuple(round(x, 6) for x in w) for w in stepped_windows(60.0, -1.0, steps).intervals]
    [(160.0, 200.0), (210.0, inf)]
    """
    a, b = float(a), float(b)
    scale = max(abs(a), 1.0)
    flat_b = abs(b) * VOLUME_LIMIT <= scale
    if steps is None or not np.any(steps.replica_usd) \
            or not np.isfinite(steps.per_replica).any():
        const = a if steps is None else a + sign * steps.tco(0.0).item()
        return _linear(const, 0.0 if flat_b else b)
    per = np.asarray(steps.per_replica, dtype=float)
    jumps_all = np.broadcast_to(np.asarray(steps.replica_usd, dtype=float), per.shape)
    jumps = jumps_all[np.isfinite(per)]
    per = per[np.isfinite(per)]
    if not (per > 0).all():
        # a month whose replica fills at no volume at all: any traffic needs endless
        # replicas, so the self-hosting side is dearest at every volume above 0
        return VolumeWindows(intervals=() if sign > 0 else ((0.0, math.inf),), exact=False,
                             tolerance=VOLUME_RTOL)
    r0 = float(steps.min_replicas)
    t0 = float(jumps_all.sum()) * max(r0, 0.0)  # steps.tco(0): r0 replicas a month
    k_excess = float(np.abs(jumps_all).sum())
    c = b + sign * float(np.sum(jumps / per))
    floor_end = r0 * float(per.max())
    proven = True
    if abs(c) * VOLUME_LIMIT <= max(scale, abs(t0), k_excess):
        v_end, proven = VOLUME_LIMIT, False
    elif c > 0:      # D ≥ a + cV + min(0, sign K) > 0 beyond
        v_end = (-a - min(0.0, sign * k_excess)) / c
    else:            # D ≤ a + cV + max(0, sign K) ≤ 0 beyond
        v_end = (a + max(0.0, sign * k_excess)) / -c
    v_end = max(v_end, floor_end, 0.0) * (1.0 + 1e-6) + 1.0
    counts = np.maximum(np.floor(v_end / per) - r0 + 1.0, 0.0)
    if not counts.sum() <= MAX_STEPS:
        # every step below v_end is enumerated in every month, at most MAX_STEPS in all (with
        # growth the last months' replicas fill at a tiny fraction of the first's volume)
        v_end = _volume_for_steps(per, r0, MAX_STEPS)
        counts = np.maximum(np.floor(v_end / per) - r0 + 1.0, 0.0)
        proven = False
    counts = counts.astype(np.int64)
    month = np.repeat(np.arange(per.size), counts)
    j = r0 + np.arange(month.size) - np.repeat(np.cumsum(counts) - counts, counts)
    points = (j + 1e-9) * per[month]
    order = np.argsort(points, kind="stable")
    points, step_usd = points[order], jumps[month][order]
    keep_points = points < v_end
    points, step_usd = points[keep_points], step_usd[keep_points]
    lo = np.concatenate([[0.0], points])
    hi = np.concatenate([points, [v_end]])
    const = a + sign * (t0 + np.concatenate([[0.0], np.cumsum(step_usd)]))
    if flat_b:
        sub_lo, sub_hi = lo, np.where(const <= 0, hi, -np.inf)
    else:
        root = -const / b
        sub_lo, sub_hi = (lo, np.minimum(hi, root)) if b > 0 else (np.maximum(lo, root), hi)
    keep = sub_hi > sub_lo
    sub_lo, sub_hi = sub_lo[keep], sub_hi[keep]
    if proven and c < 0:
        sub_lo, sub_hi = np.append(sub_lo, v_end), np.append(sub_hi, np.inf)
    intervals = _merge(sub_lo, sub_hi)
    return VolumeWindows(intervals=intervals, exact=False, tolerance=VOLUME_RTOL,
                         checked_up_to=math.inf if proven else v_end)


def _linear(a: float, b: float) -> VolumeWindows:
    if b == 0:
        return VolumeWindows(intervals=((0.0, math.inf),) if a <= 0 else ())
    root = -a / b
    if b > 0:
        return VolumeWindows(intervals=((0.0, root),) if root > 0 else ())
    return VolumeWindows(intervals=((max(root, 0.0), math.inf),))


def _merge(lo: np.ndarray, hi: np.ndarray) -> tuple[tuple[float, float], ...]:
    """Sorted intervals joined where one ends where the next begins (gaps narrower than the
    tolerance of a step, :data:`VOLUME_RTOL`, are closed)."""
    if lo.size == 0:
        return ()
    gap = lo[1:] > hi[:-1] * (1.0 + 2 * VOLUME_RTOL)
    starts = np.concatenate([[0], np.flatnonzero(gap) + 1])
    ends = np.concatenate([starts[1:] - 1, [lo.size - 1]])
    return tuple((float(lo[s]), float(hi[e])) for s, e in zip(starts, ends))


def _volume_for_steps(per: np.ndarray, r0: float, n: int) -> float:
    """The month-1 volume below which at most ``n`` replica steps lie, all months together
    (bisection on a count that only grows with the volume; about 60 passes over the months).
    """
    def steps(v: float) -> float:
        return float(np.maximum(np.floor(v / per) - r0 + 1.0, 0.0).sum())

    lo, hi = 0.0, n / float(np.sum(1.0 / per)) + r0 * float(per.max())
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if not lo < mid < hi:
            break
        if steps(mid) <= n:
            lo = mid
        else:
            hi = mid
    return lo


def replica_steps(p, months, draw: int = 0) -> ReplicaSteps:
    """The self-hosted serving step function of one draw (``p`` column-shaped values as in
    :func:`simulator.model.cost.chain_basis`)."""
    def pick(x) -> float:
        flat = np.asarray(x, dtype=float).reshape(-1)
        return float(flat[draw] if flat.size > 1 else flat[0])

    # the volume in month m (1..H) per month-1 request: (1 + g)^(m-1)
    growth = (1.0 + pick(p["workload.growth_per_month"])) ** np.arange(len(months) - 1.0)
    load = pick(selfhost_tokens_per_request(p)) * growth
    capacity = pick(selfhost_capacity_tokens(p))
    per = np.full(load.shape, np.inf)
    np.divide(capacity, load, out=per, where=load > 0)
    replica_usd = HOURS_PER_MONTH * pick(selfhost_replica_usd_per_hour(p))
    gpu_decline = pick(p.get("price_decline_gpu_hours", 0.0))
    if gpu_decline:
        replica_usd = replica_usd * price_decline_factor(gpu_decline, np.asarray(months)[1:])
    # No serving bill before the self-hosted model serves (months 1..M prompt instead).
    waiting = int(min(max(pick(p.get("selfhost.months_to_production", 0.0)), 0.0), per.size))
    per = per[waiting:]
    if np.ndim(replica_usd):
        replica_usd = replica_usd[waiting:]
    return ReplicaSteps(per_replica=per, min_replicas=pick(p["selfhost.min_replicas"]),
                        replica_usd=replica_usd)


def volume_windows(a_option, b_option, a_baseline, b_baseline, option: str, baseline: str,
                   p, months) -> tuple[VolumeWindows, ...]:
    """:class:`VolumeWindows` of ``option`` against ``baseline``, one per draw.

    ``a_*`` is each TCO without self-hosted serving at ``V_1 = 0`` [USD], ``b_*`` its slope
    per month-1 request [USD per request/month]; floats or ``(n,)`` arrays. ``p`` holds the
    column-shaped values (:func:`simulator.model.cost.as_columns`).
    """
    a = np.asarray(np.subtract(a_option, a_baseline), dtype=float).reshape(-1)
    b = np.asarray(np.subtract(b_option, b_baseline), dtype=float).reshape(-1)
    if a.size != b.size:
        a, b = np.broadcast_arrays(a, b)
    if "selfhost" not in (option, baseline):
        return tuple(stepped_windows(x, y, None) for x, y in zip(a.tolist(), b.tolist()))
    sign = 1.0 if option == "selfhost" else -1.0
    return tuple(stepped_windows(x, y, replica_steps(p, months, i), sign)
                 for i, (x, y) in enumerate(zip(a.tolist(), b.tolist())))
