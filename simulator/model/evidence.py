"""Accuracy from evidence: eval counts, pilot learning curves (docs/method.md, "Accuracy from
evidence").

Eval counts
    ``k`` right answers out of ``n`` graded ones. With the Jeffreys prior Beta(½, ½) the
    accuracy's posterior is Beta(k+½, n−k+½) (Brown, Cai & DasGupta 2001, "Interval
    Estimation for a Binomial Proportion", Statistical Science 16(2)); its mean
    ``(k+½)/(n+1)`` is the point accuracy, its 2.5th and 97.5th percentiles the 95% interval
    (the "Jeffreys interval"). Quantiles are exact, from :func:`scipy.stats.beta.ppf`.

Learning curve
    Pilot runs ``(examples, accuracy)`` or ``(examples, correct, total)`` are fitted with the
    saturating (inverse) power law

        acc(n) = a_max − b · n^(−c)        (a_max ≤ 1, b ≥ 0, c > 0)

    the form of Figueroa et al. 2012, "Predicting sample size required for classification
    performance" (BMC Medical Informatics and Decision Making 12:8), and of Hestness et al.
    2017, "Deep Learning Scaling is Predictable, Empirically" (arXiv:1712.00409), where the
    error falls as a power of the training-set size towards an irreducible floor. With counts
    the fit is weighted by each run's binomial variance (Figueroa et al.'s weighted fit);
    without counts every run weighs the same. The fit is :func:`scipy.optimize.curve_fit`
    (bounded trust-region least squares), started from the best point of a profile over
    ``c`` (for fixed ``c`` the model is linear in ``a_max`` and ``b``).

    The interval of a projection is a parametric bootstrap over the pilot counts: each run's
    accuracy is redrawn from its Jeffreys posterior, the curve refitted, and the projection's
    2.5th–97.5th percentiles over :data:`BOOTSTRAP_FITS` refits are reported. The refits use
    the profile over ``c`` on a fine grid (all refits at once, in milliseconds); the same
    refits carry the pilot's uncertainty into Monte Carlo runs. Without counts there is no
    interval (nothing says how noisy each run was).

Everything here is pure: no clock, no global random state (the bootstrap has its own fixed
seed, :data:`BOOTSTRAP_SEED`, so the same pilot always gives the same interval).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from scipy import optimize, stats

from ..core import limits
from ..core.errors import InputError

JEFFREYS = 0.5
"""The Jeffreys prior Beta(½, ½): half a right and half a wrong answer added to the counts."""
LEVEL = 0.95
"""Level of every interval reported [1]."""
BOOTSTRAP_FITS = 500
"""Refits of a pilot curve for its interval and Monte Carlo draws."""
BOOTSTRAP_SEED = 20121
"""Seed of the pilot bootstrap (fixed: the same pilot gives the same interval)."""
C_GRID = np.geomspace(0.005, 4.0, 400)
"""Exponents ``c`` profiled for the start of a fit and for the bootstrap refits."""
C_BOUNDS = (1e-3, 5.0)
"""Allowed range of the exponent ``c``."""
MIN_PILOT_SIZES = 3
"""A curve of three parameters needs runs at three or more training-set sizes."""
MAX_PILOT_RUNS = 1000
MAX_EXAMPLES = 1e9


# ---- eval counts --------------------------------------------------------------------------

def check_eval_counts(section: str, correct: Any, total: Any) -> tuple[int | None, int | None]:
    """``(correct, total)`` checked: both or neither, whole numbers, ``0 ≤ correct ≤ total``,
    ``total ≥ 1``; an :class:`InputError` naming the field otherwise."""
    if correct is None and total is None:
        return None, None
    if correct is None or total is None:
        given, missing = ("eval_correct", "eval_total") if total is None \
            else ("eval_total", "eval_correct")
        raise InputError(f"{section}.{missing}: give it with {section}.{given} (both eval "
                         f"counts or neither)")
    out = []
    for name, value, lo in (("eval_correct", correct, 0), ("eval_total", total, 1)):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        out.append(limits.check_count(f"{section}.{name}", value, lo=lo, hi=int(MAX_EXAMPLES)))
    k, n = out
    if k > n:
        raise InputError(f"{section}.eval_correct: must be ≤ {section}.eval_total ({n:,}), "
                         f"got {k:,}")
    return k, n


def posterior(correct, total) -> tuple[Any, Any]:
    """Parameters ``(α, β) = (k+½, n−k+½)`` of the Jeffreys posterior [1].

    >>> posterior(174, 200)
    (174.5, 26.5)
    """
    k = np.asarray(correct, dtype=float)
    n = np.asarray(total, dtype=float)
    a, b = k + JEFFREYS, n - k + JEFFREYS
    return (float(a), float(b)) if a.ndim == 0 else (a, b)


def posterior_mean(correct, total):
    """The point accuracy ``(k+½)/(n+1)`` [0..1].

    >>> round(posterior_mean(174, 200), 6)
    0.868159
    """
    a, b = posterior(correct, total)
    return a / (a + b)


def posterior_interval(correct, total, level: float = LEVEL):
    """Equal-tailed interval of the Jeffreys posterior (the Jeffreys interval) [0..1].

    >>> [round(x, 4) for x in posterior_interval(174, 200)]
    [0.8182, 0.9112]
    """
    a, b = posterior(correct, total)
    tail = (1.0 - level) / 2.0
    lo, hi = stats.beta.ppf([tail, 1.0 - tail], np.asarray(a)[..., None],
                            np.asarray(b)[..., None]).T
    return (float(lo), float(hi)) if np.ndim(a) == 0 else (lo, hi)


def prob_at_least(correct, total, accuracy):
    """Posterior probability that the true accuracy is at least ``accuracy`` [0..1]."""
    a, b = posterior(correct, total)
    return stats.beta.sf(accuracy, a, b)


@dataclass(frozen=True, kw_only=True)
class EvalPosterior:
    """The Jeffreys posterior of ``correct`` of ``total``, as a Monte Carlo distribution
    (``sample``, ``center``, like :class:`~simulator.model.uncertainty.Triangular`)."""

    correct: int
    total: int

    @property
    def center(self) -> float:
        return float(posterior_mean(self.correct, self.total))

    def interval(self, level: float = LEVEL) -> tuple[float, float]:
        return posterior_interval(self.correct, self.total, level)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` draws of the accuracy [0..1]."""
        a, b = posterior(self.correct, self.total)
        return rng.beta(a, b, size=n)


# ---- pilot runs ---------------------------------------------------------------------------

def check_pilot(path: str, value: Any) -> tuple[tuple[float, ...], ...] | None:
    """Pilot runs checked and made a tuple of tuples: ``(examples, accuracy)`` each, or
    ``(examples, correct, total)`` each (not mixed); at least three sizes."""
    if value is None:
        return None
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise InputError(f"{path}: expected a list of runs [[examples, accuracy], …] or "
                         f"[[examples, correct, total], …], got {limits.shorten(value)}")
    if len(value) > MAX_PILOT_RUNS:
        raise InputError(f"{path}: {len(value):,} runs is too many: at most {MAX_PILOT_RUNS:,}")
    runs = []
    width = None
    for i, run in enumerate(value):
        where = f"{path}[{i}]"
        if isinstance(run, (str, bytes)) or not isinstance(run, Sequence) \
                or len(run) not in (2, 3):
            raise InputError(f"{where}: expected [examples, accuracy] or [examples, correct, "
                             f"total], got {limits.shorten(run)}")
        if width is None:
            width = len(run)
        elif len(run) != width:
            raise InputError(f"{where}: every run must have the same form; the first has "
                             f"{width} numbers, this one {len(run)}")
        for j, x in enumerate(run):
            if isinstance(x, bool) or not isinstance(x, (int, float, np.integer, np.floating)) \
                    or not math.isfinite(x):
                raise InputError(f"{where}[{j}]: must be a number, got {limits.shorten(x)}")
        examples = run[0]
        if examples != int(examples) or not 1 <= examples <= MAX_EXAMPLES:
            raise InputError(f"{where}: examples must be a whole number from 1 to "
                             f"{MAX_EXAMPLES:,.0f}, got {examples!r}")
        if width == 2:
            if not 0.0 <= run[1] <= 1.0:
                raise InputError(f"{where}: accuracy must be a share in [0, 1], got {run[1]!r}")
            runs.append((int(examples), float(run[1])))
        else:
            k, n = check_eval_counts(where, run[1], run[2])
            runs.append((int(examples), k, n))
    if len({r[0] for r in runs}) < MIN_PILOT_SIZES:
        raise InputError(f"{path}: give runs at {MIN_PILOT_SIZES} or more different "
                         f"training-set sizes to fit a curve, got "
                         f"{len({r[0] for r in runs})}")
    return tuple(runs)


def saturating_power_law(examples, a_max, b, c):
    """``acc(n) = a_max − b · n^(−c)``, kept in [0, 1] [0..1].

    >>> round(float(saturating_power_law(100, 0.95, 1.0, 0.5)), 6)
    0.85
    """
    n = np.asarray(examples, dtype=float)
    return np.clip(a_max - b * n ** (-np.asarray(c, dtype=float)), 0.0, 1.0)


def examples_for_accuracy(target, a_max, b, c):
    """Examples at which the curve reaches ``target``: ``(b / (a_max − target))^(1/c)``,
    rounded up; NaN where it never does (``target ≥ a_max``) [examples].

    >>> int(examples_for_accuracy(0.85, 0.95, 1.0, 0.5))
    100
    """
    target, a_max, b, c = np.broadcast_arrays(*(np.asarray(x, dtype=float)
                                                for x in (target, a_max, b, c)))
    gap = a_max - target
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        n = np.where(gap > 0, (b / np.where(gap > 0, gap, 1.0)) ** (1.0 / c), np.nan)
        n = np.where(b <= 0, np.where(gap >= 0, 1.0, np.nan), n)
        n = np.ceil(n - 1e-9 * np.abs(n))
    n = np.where(np.isfinite(n) & (n <= MAX_EXAMPLES * 1e3), np.maximum(n, 1.0), np.nan)
    return float(n) if n.ndim == 0 else n


@dataclass(frozen=True, kw_only=True, eq=False)
class LearningCurve:
    """A fitted pilot curve ``acc(n) = a_max − b · n^(−c)``.

    a_max : accuracy approached with unlimited examples [0..1]
    b : scale of the gap [1]; c : exponent [1]
    examples, observed : the pilot runs' sizes [examples] and accuracies [0..1]
    correct, total : the runs' counts (``None`` when given as accuracies)
    draws : bootstrap refits, one ``(a_max, b, c)`` row each (``None`` without counts)
    """

    a_max: float
    b: float
    c: float
    examples: np.ndarray
    observed: np.ndarray
    correct: np.ndarray | None = None
    total: np.ndarray | None = None
    draws: np.ndarray | None = None

    def accuracy(self, examples):
        """The fitted accuracy at ``examples`` [0..1]."""
        out = saturating_power_law(examples, self.a_max, self.b, self.c)
        return float(out) if np.ndim(out) == 0 else out

    def accuracy_draws(self, examples) -> np.ndarray | None:
        """The bootstrap refits' accuracy at ``examples``, one row per refit [0..1]."""
        if self.draws is None:
            return None
        a, b, c = (self.draws[:, i:i + 1] for i in range(3))
        return saturating_power_law(np.atleast_1d(np.asarray(examples, dtype=float))[None, :],
                                    a, b, c)

    def interval(self, examples, level: float = LEVEL) -> tuple[Any, Any] | None:
        """Bootstrap interval of the accuracy at ``examples`` (``None`` without counts)."""
        d = self.accuracy_draws(examples)
        if d is None:
            return None
        tail = 100 * (1.0 - level) / 2.0
        lo, hi = np.percentile(d, [tail, 100 - tail], axis=0)
        if np.ndim(examples) == 0:
            return float(lo[0]), float(hi[0])
        return lo, hi

    def examples_for(self, target: float) -> float:
        """Examples needed to reach ``target`` (NaN: never) [examples]."""
        return examples_for_accuracy(target, self.a_max, self.b, self.c)

    @property
    def weighted(self) -> bool:
        return self.correct is not None


def _weights(correct, total) -> np.ndarray:
    """Inverse binomial variance of each run, ``n / (p (1-p))`` with ``p`` the Jeffreys mean
    (never 0 or 1, so a perfect run still has a finite weight) [1/accuracy²]."""
    p = posterior_mean(correct, total)
    return np.asarray(total, dtype=float) / (p * (1.0 - p))


def profile_fit(x, y, w, c_grid: np.ndarray = C_GRID) -> np.ndarray:
    """Weighted least-squares fits of ``a − b x^(−c)`` over a grid of ``c``, the best kept.

    ``y`` is ``(k,)`` or ``(B, k)`` (B data sets fitted at once), ``x`` and ``w`` ``(k,)``;
    for each ``c`` the best ``a ≤ 1``, ``b ≥ 0`` are solved in closed form. Returns
    ``(a, b, c)`` as ``(3,)`` or ``(B, 3)``.
    """
    y2 = np.atleast_2d(np.asarray(y, dtype=float))             # (B, k)
    x = np.asarray(x, dtype=float)
    w = np.asarray(w, dtype=float)
    if w.ndim == 1:
        w = np.broadcast_to(w, y2.shape)
    z = x[None, :] ** (-c_grid[:, None])                       # (G, k)
    sw = w.sum(axis=1)[:, None]                                # (B, 1)
    sz = w @ z.T                                               # (B, G)
    szz = w @ (z * z).T
    sy = (w * y2).sum(axis=1)[:, None]
    syz = (w * y2) @ z.T
    det = sw * szz - sz * sz
    with np.errstate(divide="ignore", invalid="ignore"):
        slope = np.where(det > 0, (sw * syz - sy * sz) / np.where(det > 0, det, 1.0), 0.0)
    b = np.maximum(-slope, 0.0)
    a = (sy + b * sz) / sw
    over = a > 1.0                                             # a ≤ 1: refit b with a = 1
    if over.any():
        with np.errstate(divide="ignore", invalid="ignore"):
            b_at_one = np.maximum(((w * (1.0 - y2)) @ z.T) / np.where(szz > 0, szz, 1.0), 0.0)
        a = np.where(over, 1.0, a)
        b = np.where(over, b_at_one, b)
    a = np.maximum(a, 0.0)
    # Σ w (y − a + b z)², expanded in the weighted sums (no (B, G, k) array).
    syy = (w * y2 * y2).sum(axis=1)[:, None]
    sse = (syy - 2 * a * sy + 2 * b * syz + a * a * sw - 2 * a * b * sz + b * b * szz)
    best = np.argmin(sse, axis=1)
    rows = np.arange(y2.shape[0])
    out = np.stack([a[rows, best], b[rows, best], c_grid[best]], axis=1)
    return out[0] if np.ndim(y) == 1 else out


def fit_learning_curve(pilot: Any) -> LearningCurve:
    """Fit :func:`saturating_power_law` to pilot runs (checked by :func:`check_pilot`).

    >>> runs = [(n, 0.95 - 1.0 * n ** -0.5) for n in (100, 400, 1600)]
    >>> curve = fit_learning_curve(runs)
    >>> round(curve.a_max, 4), round(curve.b, 3), round(curve.c, 3)
    (0.95, 1.0, 0.5)
    """
    runs = check_pilot("finetune.pilot", pilot)
    return _fit(runs)


@lru_cache(maxsize=64)
def _fit(runs: tuple[tuple[float, ...], ...]) -> LearningCurve:
    x = np.array([r[0] for r in runs], dtype=float)
    counted = len(runs[0]) == 3
    if counted:
        k = np.array([r[1] for r in runs], dtype=float)
        n = np.array([r[2] for r in runs], dtype=float)
        y = k / n
        w = _weights(k, n)
    else:
        k = n = None
        y = np.array([r[1] for r in runs], dtype=float)
        w = np.ones_like(y)
    # Fit on n / n_ref (n_ref the geometric mean of the sizes): b is then on the scale of
    # the accuracy gap, which keeps the three parameters of one order and the fit stable.
    ref = float(np.exp(np.mean(np.log(x))))
    xs = x / ref
    a0, b0, c0 = profile_fit(xs, y, w)
    params = np.array([a0, b0, c0])
    lo, hi = [0.0, 0.0, C_BOUNDS[0]], [1.0, np.inf, C_BOUNDS[1]]
    start = np.clip(params, [0.0, 0.0, C_BOUNDS[0]], [1.0, 1e6, C_BOUNDS[1]])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fitted, _ = optimize.curve_fit(
                lambda t, a, b, c: a - b * t ** (-c), xs, y, p0=start, sigma=1 / np.sqrt(w),
                bounds=(lo, hi), max_nfev=2000, xtol=1e-12, ftol=1e-12, gtol=1e-12)
        if _sse(fitted, xs, y, w) <= _sse(params, xs, y, w):
            params = fitted
    except (RuntimeError, ValueError):  # the profile's best point stands
        pass
    a, b_s, c = (float(v) for v in params)
    draws = None
    if counted:
        rng = np.random.default_rng(BOOTSTRAP_SEED)
        alpha, beta = posterior(k, n)
        redrawn = rng.beta(alpha, beta, size=(BOOTSTRAP_FITS, len(runs)))
        fits = profile_fit(xs, redrawn, w)
        fits[:, 1] *= ref ** fits[:, 2]
        draws = fits
        draws.flags.writeable = False
    arrays = [x, y] + ([k, n] if counted else [])
    for arr in arrays:
        arr.flags.writeable = False
    return LearningCurve(a_max=a, b=b_s * ref ** c, c=c, examples=x, observed=y,
                         correct=k, total=n, draws=draws)


def _sse(params, x, y, w) -> float:
    a, b, c = params
    return float(np.sum(w * (y - (a - b * x ** (-c))) ** 2))


# ---- the scenario's evidence -----------------------------------------------------------------

EVIDENCE_OPTIONS = ("prompt", "rag", "finetune", "selfhost", "hybrid")
CURVE_FIELDS = ("finetune.curve_a_max", "finetune.curve_b", "finetune.curve_c")
"""Values the cost chain reads for a fine-tune that follows a pilot curve."""


def eval_counts(scenario: Any) -> dict[str, tuple[int, int]]:
    """Option -> ``(correct, total)`` for each section that gives eval counts."""
    out = {}
    for option in EVIDENCE_OPTIONS:
        body = getattr(scenario, option)
        if getattr(body, "eval_total", None) is not None:
            out[option] = (body.eval_correct, body.eval_total)
    return out


def scenario_curve(scenario: Any) -> LearningCurve | None:
    """The fitted curve of ``finetune.pilot`` (``None`` without a pilot)."""
    pilot = scenario.finetune.pilot
    return None if pilot is None else _fit(pilot)


def evidence_values(scenario: Any) -> dict[str, float]:
    """What the evidence sets in the cost chain's values: ``<option>.accuracy`` = the
    posterior mean for each option with eval counts (the counts win over the typed
    accuracy), and with a pilot the curve's parameters (:data:`CURVE_FIELDS`) and
    ``selfhost.follows_pilot`` (1 when the self-hosted model has no counts of its own)."""
    out: dict[str, float] = {}
    for option, (k, n) in eval_counts(scenario).items():
        out[f"{option}.accuracy"] = float(posterior_mean(k, n))
    curve = scenario_curve(scenario)
    if curve is not None:
        out.update(zip(CURVE_FIELDS, (curve.a_max, curve.b, curve.c)))
        out["selfhost.follows_pilot"] = 0.0 if "selfhost" in eval_counts(scenario) else 1.0
    return out


def evidence_notes(scenario: Any) -> list[str]:
    """One sentence per piece of evidence used, for the result's notes."""
    notes = []
    for option, (k, n) in eval_counts(scenario).items():
        lo, hi = posterior_interval(k, n)
        notes.append(f"{option}.accuracy: {posterior_mean(k, n):.1%} from eval counts ({k:,} "
                     f"of {n:,} right; 95% interval {lo:.1%}–{hi:.1%}); the counts win over "
                     f"the typed accuracy.")
    curve = scenario_curve(scenario)
    if curve is not None:
        follows = "finetune and hybrid" + (
            "" if "selfhost" in eval_counts(scenario) else " (and selfhost, trained on the "
            "same data)")
        notes.append(f"finetune.pilot: the tuned model's accuracy follows "
                     f"{curve.a_max:.3f} − {curve.b:.4g}·n^(−{curve.c:.3f}) fitted to "
                     f"{len(curve.examples)} pilot runs, month by month as retraining grows "
                     f"the training set; {follows} use it instead of finetune.accuracy.")
    return notes


def evidence_distributions(scenario: Any) -> dict[str, EvalPosterior]:
    """Field path -> :class:`EvalPosterior` for each option with eval counts: what a Monte
    Carlo run draws by itself."""
    return {f"{option}.accuracy": EvalPosterior(correct=k, total=n)
            for option, (k, n) in eval_counts(scenario).items()}


def curve_draws(curve: LearningCurve | None, rng: np.random.Generator, n: int
                ) -> dict[str, np.ndarray]:
    """``n`` draws of the curve's parameters (:data:`CURVE_FIELDS`), picked among its
    bootstrap refits; empty without a curve or without counts."""
    if curve is None or curve.draws is None:
        return {}
    pick = rng.integers(0, curve.draws.shape[0], size=n)
    return {name: curve.draws[pick, i].copy() for i, name in enumerate(CURVE_FIELDS)}
