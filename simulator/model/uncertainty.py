"""How sure is the answer? Monte Carlo draws, a tornado of one-at-a-time swings, a savings grid.

All three follow the same three steps (as in SALib): build arrays of inputs with one leading
axis, evaluate them with the same vectorised chain as :func:`simulator.simulate`
(:func:`simulator.model.engine.evaluate`), analyse. No loop runs over draws or grid points.

Fields are named by their scenario path (``"workload.requests_per_month"``,
``"prompt.input_usd_per_mtok"``, ``"finetune.epochs"`` …); rates resolved from the price
table can be varied too. Whole-number fields (examples, replicas, months, epochs) are rounded
to the nearest whole number after drawing. Values outside a field's allowed range raise
:class:`~simulator.core.errors.InputError`.

Randomness comes only from the ``seed`` argument: an int or a ``numpy.random.Generator``.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from pricing import PriceTable

from ..core import limits
from ..core.errors import InputError
from . import closure
from .engine import evaluate, table_name
from .evidence import CURVE_FIELDS, curve_draws, evidence_distributions, scenario_curve
from .resolve import Inputs, resolve
from .scenario import Scenario, field_rule, numeric_fields

PERCENTILES = (5, 50, 95)

SECTION_USERS = {
    "prompt": {"prompt", "rag", "hybrid"}, "rag": {"rag"},
    "finetune": {"finetune", "hybrid", "selfhost"}, "selfhost": {"selfhost"},
    "hybrid": {"hybrid"},
}
"""Which options read each scenario section (``workload`` and top-level fields: all)."""


# ---- distributions ------------------------------------------------------------------------------

def _finite(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not math.isfinite(value):
        raise InputError(f"{name}: must be a finite number, got {value!r}")
    return float(value)


@dataclass(frozen=True, kw_only=True)
class Triangular:
    """Triangular distribution on ``[low, high]`` peaking at ``mode``. ``low == high`` gives
    the constant."""

    low: float
    mode: float
    high: float

    def __post_init__(self) -> None:
        for name in ("low", "mode", "high"):
            _finite(f"Triangular.{name}", getattr(self, name))
        if not self.low <= self.mode <= self.high:
            raise InputError(f"Triangular: need low ≤ mode ≤ high, got {self.low:g}, "
                             f"{self.mode:g}, {self.high:g}")

    @property
    def center(self) -> float:
        return float(self.mode)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` draws [the field's unit]."""
        if self.low == self.high:
            return np.full(n, float(self.mode))
        return rng.triangular(self.low, self.mode, self.high, size=n)


@dataclass(frozen=True, kw_only=True)
class Uniform:
    """Uniform distribution on ``[low, high]``. ``low == high`` gives the constant."""

    low: float
    high: float

    def __post_init__(self) -> None:
        _finite("Uniform.low", self.low)
        _finite("Uniform.high", self.high)
        if self.low > self.high:
            raise InputError(f"Uniform: need low ≤ high, got {self.low:g}, {self.high:g}")

    @property
    def center(self) -> float:
        return 0.5 * (self.low + self.high)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` draws [the field's unit]."""
        if self.low == self.high:
            return np.full(n, float(self.low))
        return rng.uniform(self.low, self.high, size=n)


@dataclass(frozen=True, kw_only=True)
class Lognormal:
    """Lognormal distribution given by its ``median`` (> 0) and ``sigma``, the standard
    deviation of its logarithm (0 gives the constant ``median``).

    Suits positive quantities known "within a factor": ``sigma = ln(2)/1.645`` puts 90% of the
    draws within a factor of 2 of the median.
    """

    median: float
    sigma: float

    def __post_init__(self) -> None:
        if _finite("Lognormal.median", self.median) <= 0:
            raise InputError(f"Lognormal.median: must be > 0, got {self.median!r}")
        if _finite("Lognormal.sigma", self.sigma) < 0:
            raise InputError(f"Lognormal.sigma: must be ≥ 0, got {self.sigma!r}")

    @property
    def center(self) -> float:
        return float(self.median)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` draws [the field's unit]."""
        if self.sigma == 0:
            return np.full(n, float(self.median))
        return rng.lognormal(math.log(self.median), self.sigma, size=n)


@dataclass(frozen=True, kw_only=True, eq=False)
class Empirical:
    """The observed values themselves: each draw is one of ``values``, picked with probability
    proportional to its ``weights`` (default: equal), as in a bootstrap.

    Built from logs by :func:`simulator.traffic.workload.from_logs` (``report.distribution(...)``), whose
    ``values`` are the distinct token counts seen and ``weights`` how often each was seen.
    """

    values: Any
    weights: Any = None

    def __post_init__(self) -> None:
        values = np.asarray(self.values, dtype=float).reshape(-1)
        if values.size == 0:
            raise InputError("Empirical.values: give at least one value")
        if not np.all(np.isfinite(values)):
            raise InputError("Empirical.values: must all be finite numbers")
        if self.weights is None:
            weights = np.ones_like(values)
        else:
            weights = np.asarray(self.weights, dtype=float).reshape(-1)
            if weights.shape != values.shape:
                raise InputError(f"Empirical.weights: need one weight per value, got "
                                 f"{weights.size} for {values.size}")
            if not np.all(np.isfinite(weights)) or np.any(weights < 0) or weights.sum() <= 0:
                raise InputError("Empirical.weights: must be ≥ 0 with a positive sum")
        values.flags.writeable = False
        weights.flags.writeable = False
        object.__setattr__(self, "values", values)
        object.__setattr__(self, "weights", weights)

    @property
    def center(self) -> float:
        """The weighted mean of the values."""
        return float(np.average(self.values, weights=self.weights))

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` draws with replacement [the field's unit]."""
        if self.values.size == 1:
            return np.full(n, float(self.values[0]))
        return rng.choice(self.values, size=n, p=self.weights / self.weights.sum())


Distribution = Triangular | Uniform | Lognormal | Empirical


def _rng(seed: int | np.random.Generator | None) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
        raise InputError(f"seed: must be an int or a numpy.random.Generator, got {seed!r}")
    if seed is not None and not 0 <= seed < 2**128:
        raise InputError(f"seed: must be a whole number from 0 to 2**128 - 1, got "
                         f"{limits.shorten(int(seed))}")
    return np.random.default_rng(seed)


def _prepare(path: str, values: np.ndarray, inputs: Inputs) -> np.ndarray:
    """Check a field path and its values; round whole-number fields."""
    if path == "horizon_months":
        raise InputError("horizon_months: cannot vary inside one run (it sets the length of "
                         "every cost array); simulate each horizon separately")
    if path not in inputs.values:
        raise InputError(f"{path}: not a numeric scenario field (known: "
                         f"{', '.join(numeric_fields())})")
    section = path.partition(".")[0] if "." in path else ""
    users = SECTION_USERS.get(section)
    if users is not None and not users & set(inputs.options):
        raise InputError(f"{path}: not used by the simulated options "
                         f"({', '.join(inputs.options)})")
    rule = field_rule(path)
    values = np.asarray(values, dtype=float)
    if rule.integer:
        values = np.rint(values)
    rule.check_array(path, values)
    return values


def scenario_and_table(what: Any, table: PriceTable | None) -> tuple[Scenario, Any]:
    """The scenario and price table to price ``what`` on: a :class:`~simulator.model.result.Result`
    brings its scenario and the table it was priced on (unless ``table`` is given), so that
    one answer uses one table; a :class:`Scenario` uses ``table`` (default: the shipped
    one)."""
    if isinstance(what, Scenario):
        return what, table
    scenario = getattr(what, "scenario", None)
    if isinstance(scenario, Scenario):
        return scenario, getattr(what, "price_table", None) if table is None else table
    raise InputError(f"scenario: expected a Scenario or a simulate() result, got "
                     f"{type(what).__name__}")


def _option_list(inputs: Inputs, option: str | None) -> list[str]:
    if option is None:
        return [o for o in inputs.options if o != inputs.baseline]
    if option not in inputs.options:
        raise InputError(f"option: {option!r} is not simulated (simulated: "
                         f"{', '.join(inputs.options)})")
    return [option]


# ---- Monte Carlo --------------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True, eq=False)
class MonteCarloResult:
    """Outcome of :func:`monte_carlo`.

    n : number of draws
    draws : one column per varied field, one row per draw [the field's unit]
    savings_usd : one column per option, baseline TCO − option TCO per draw [USD]
    tco_usd : one column per option [USD]
    breakeven_month : one column per option, NaN where the option never breaks even [month]
    summary : one row per option: ``p_cheaper`` (share of draws with savings > 0),
        ``savings_mean_usd``, ``savings_p5_usd``, ``savings_p50_usd``, ``savings_p95_usd``,
        ``p_breakeven`` (share of draws with a break-even month), ``breakeven_month_p5``,
        ``…_p50``, ``…_p95`` (``<NA>`` = "never" at that percentile)
    baseline : the baseline option
    table_name : the price table the draws were priced on, in words
        (:attr:`~simulator.model.result.Result.table_name`)
    """

    n: int
    baseline: str
    draws: pd.DataFrame
    savings_usd: pd.DataFrame
    tco_usd: pd.DataFrame
    breakeven_month: pd.DataFrame
    summary: pd.DataFrame
    table_name: str = "the shipped price table"


def draw_inputs(distributions: Mapping[str, Any], n: int,
                seed: int | np.random.Generator | None) -> dict[str, np.ndarray]:
    """``n`` draws of each field, in the order given, from one generator."""
    rng = _rng(seed)
    out = {}
    for path, dist in distributions.items():
        if not hasattr(dist, "sample"):
            raise InputError(f"{path}: expected a Triangular, Uniform, Lognormal or "
                             f"Empirical distribution, got {dist!r}")
        out[path] = dist.sample(rng, n)
    return out


def monte_carlo(scenario: Scenario, distributions: Mapping[str, Any], *, n: int = 10_000,
                seed: int | np.random.Generator | None = None,
                table: PriceTable | None = None) -> MonteCarloResult:
    """Draw the uncertain inputs ``n`` times and price every option for every draw at once.

    Parameters
    ----------
    scenario : the fixed inputs, or a :func:`~simulator.simulate` result: then its scenario,
        priced on the same table as the result (unless ``table`` is given)
    distributions : field path -> :class:`Triangular`, :class:`Uniform`, :class:`Lognormal`
        or :class:`Empirical`. Evidence is drawn by itself: the accuracy of an option with
        eval counts from its Jeffreys posterior (unless named here), and a pilot curve's
        parameters from its bootstrap refits (:mod:`simulator.model.evidence`)
    n : number of draws
    seed : int or ``numpy.random.Generator``; the same seed gives the same draws
    table : price table for unpinned rates (default: the shipped table)

    A run whose distributions have no spread equals :func:`simulator.simulate`.
    """
    n = limits.check_count("n", n, lo=1, hi=limits.MAX_DRAWS)
    if not isinstance(distributions, Mapping):
        raise InputError(f"distributions: expected field path -> distribution, got "
                         f"{limits.shorten(distributions)}")
    scenario, table = scenario_and_table(scenario, table)
    inputs = resolve(scenario, table, varied=set(distributions))
    rng = _rng(seed)
    drawn = draw_inputs(dict(distributions, **_evidence(scenario, inputs, distributions)),
                        int(n), rng)
    drawn = {path: _prepare(path, values, inputs) for path, values in drawn.items()}
    if not any(path in distributions for path in CURVE_FIELDS):
        drawn.update(curve_draws(scenario_curve(scenario), rng, int(n)))
    _check_growth(inputs, drawn)
    values = dict(inputs.values, **drawn)
    hazard = float(inputs.values.get("finetune.closure_hazard", 0.0))
    if hazard > 0:  # unannounced closures (simulator.model.closure), drawn after the fields
        closes = closure.closure_months(hazard, inputs.horizon_months, int(n), rng)
        per_option = closure.evaluate_with_closures(inputs, values, closes, _by_option)
        figures = {k: np.stack([per_option[o][k] for o in inputs.options])
                   for k in per_option[inputs.options[0]]}
        drawn["finetune.closure_month"] = closes
    else:
        figures = _evaluate_chunked(inputs, values, n)
    options = list(inputs.options)
    labels = pd.Index(options)  # made once: pandas builds string labels slowly (~60 us)

    def column(name: str) -> pd.DataFrame:
        return pd.DataFrame(figures[name].T, columns=labels, copy=False)

    s = figures["savings_usd"]                  # (options, n): one option's draws a row
    bm = figures["breakeven_month"]
    columns: dict[str, Any] = {"option": options,
                               "p_cheaper": np.mean(s > 0, axis=1),
                               "savings_mean_usd": np.mean(s, axis=1)}
    for q, value in zip(PERCENTILES, sorted_percentiles(np.sort(s, axis=1), PERCENTILES)):
        columns[f"savings_p{q}_usd"] = value
    columns["p_breakeven"] = np.mean(~np.isnan(bm), axis=1)
    for q, value in zip(PERCENTILES, month_percentiles(bm, PERCENTILES,
                                                       inputs.horizon_months)):
        never = np.isnan(value)
        columns[f"breakeven_month_p{q}"] = pd.arrays.IntegerArray(
            np.where(never, 0, value).astype("int64"), never)
    summary = pd.DataFrame(columns)
    return MonteCarloResult(n=int(n), baseline=inputs.baseline,
                            draws=(pd.DataFrame(drawn, copy=False) if drawn
                                   else pd.DataFrame(index=range(n))),
                            savings_usd=column("savings_usd"), tco_usd=column("tco_usd"),
                            breakeven_month=column("breakeven_month"), summary=summary,
                            table_name=table_name(table))


def sorted_percentiles(rows, percentiles) -> np.ndarray:
    """:func:`numpy.percentile` (its default, linear method) along the last axis of ``rows``
    already sorted along it, one row per percentile: the same numbers, computed as numpy
    computes them, without numpy's partition (sorting first and reading the order statistics
    is about three times faster over 10,000 draws).

    >>> sorted_percentiles(np.array([[1.0, 2.0, 4.0, 8.0]]), (5, 50, 95)).round(6).tolist()
    [[1.15], [3.0], [7.4]]
    """
    rows = np.asarray(rows, dtype=float)
    n = rows.shape[-1]
    quantiles = np.true_divide(np.asarray(percentiles, dtype=float), 100)
    virtual = (n - 1) * quantiles
    previous = np.floor(virtual)
    gamma = (virtual - previous).reshape((-1,) + (1,) * (rows.ndim - 1))
    below = np.clip(previous.astype(np.intp), 0, n - 1)
    above = np.clip(below + 1, 0, n - 1)
    a = np.moveaxis(rows[..., below], -1, 0)
    b = np.moveaxis(rows[..., above], -1, 0)
    diff = b - a
    out = a + diff * gamma
    np.subtract(b, diff * (1 - gamma), out=out, where=np.broadcast_to(gamma >= 0.5, out.shape))
    if np.isnan(rows[..., -1:]).any():  # numpy: NaN wherever a row holds one (sorted last)
        out = np.where(np.moveaxis(np.isnan(rows[..., -1:]), -1, 0), np.nan, out)
    return out


def month_percentiles(months, percentiles, horizon_months: int) -> np.ndarray:
    """Percentiles of whole months ``0..H`` with NaN for "never" (counted above every month),
    one row per option of ``months`` ``(options, n)`` [month]; NaN where the percentile
    falls among the "never" draws.

    The same as :func:`numpy.percentile` with ``method="inverted_cdf"`` (the ``k``-th
    smallest draw, ``k = ⌈q n / 100⌉``, at least 1) once NaN is read as infinity, found by
    counting the draws of each month instead of partitioning them: two to four times faster.

    >>> month_percentiles(np.array([[3.0, np.nan, 1.0, 1.0]]), (5, 50, 95), 6).tolist()
    [[1.0], [1.0], [nan]]
    """
    months = np.asarray(months, dtype=float)
    options, n = months.shape
    last = int(horizon_months) + 1                 # the "never" bucket
    codes = np.where(np.isnan(months), last, months).astype(np.intp)
    codes += (last + 1) * np.arange(options)[:, None]
    counts = np.bincount(codes.ravel(), minlength=options * (last + 1))
    at_or_before = np.cumsum(counts.reshape(options, last + 1), axis=1)
    out = np.empty((len(percentiles), options))
    for j, q in enumerate(percentiles):
        month = np.argmax(at_or_before >= _rank(q, n), axis=1).astype(float)
        out[j] = np.where(month == last, np.nan, month)
    return out


def _rank(q: float, n: int) -> int:
    """The rank (1-based) of the draw numpy's ``inverted_cdf`` percentile ``q`` of ``n``
    draws picks, computed as numpy computes it (``n q / 100 − 1``, rounded up)."""
    index = n * (np.float64(q) / 100) - 1
    previous = math.floor(index)
    order = previous if index == previous else previous + 1
    return min(max(order, 0), n - 1) + 1


def _evidence(scenario: Scenario, inputs: Inputs, given: Mapping[str, Any]) -> dict[str, Any]:
    """What a Monte Carlo run draws by itself (:mod:`simulator.model.evidence`): the accuracy of
    each option with eval counts from its Jeffreys posterior, unless ``given`` names that
    field; drawn after the given fields, so their draws do not change."""
    out = {}
    for path, dist in evidence_distributions(scenario).items():
        users = SECTION_USERS[path.partition(".")[0]]
        if path not in given and users & set(inputs.options):
            out[path] = dist
    return out


VOLUME_FIELDS = ("workload.requests_per_month", "workload.growth_per_month")
"""The fields that make requests by month differ by draw."""
KEPT_WORKSPACE_BYTES = 8_000_000
"""The largest block workspace (:func:`_workspace`) kept between runs, per thread [bytes]:
five options × 2,000 draws × 97 months."""
KEPT_SHARED_BYTES = 32_000_000
"""The most memory of a block's shared arrays (the chain's basis, :func:`_evaluate_chunked`)
held from one run to the next, per thread [bytes]: about 5 MB for the benchmark's draws,
17 MB when many fixed-cost fields are drawn."""
_KEPT = threading.local()


def _workspace(size: int) -> np.ndarray:
    """A flat float array of ``size`` elements to write a block's monthly totals in, kept
    between runs in this thread (up to :data:`KEPT_WORKSPACE_BYTES`), so that each run does
    not map a new one and fault it in page by page (740 faults, 3 MB, for five options ×
    2,000 draws × 37 months: about 5% of a 10,000-draw run). Its contents are not kept."""
    kept = getattr(_KEPT, "array", None)
    if kept is not None and kept.size >= size:
        return kept[:size]
    array = np.empty(size)
    if 8 * size <= KEPT_WORKSPACE_BYTES:
        _KEPT.array = array
    return array


def _evaluate_chunked(inputs: Inputs, values: Mapping[str, Any], n: int,
                      names: Sequence[str] = ("savings_usd", "tco_usd", "breakeven_month")
                      ) -> dict[str, np.ndarray]:
    """``evaluate`` over ``n`` rows of ``values``, :data:`~simulator.core.limits.BLOCK_DRAWS`
    rows at a time (fewer when the horizon is long: at most :data:`~simulator.core.limits.
    CHUNK_CELLS` rows × months), each block's figures written into arrays made once;
    returns figure -> array ``(options, n)`` for ``names``, options in ``inputs.options``'
    order.

    Small blocks keep each temporary array small (about 0.6 MB for 2,000 draws × 37 months)
    and the memory in use low whatever ``n``; each draw's numbers are the same as in one
    call over all rows (the months of one draw are never split).

    Where the requests differ by draw (:data:`VOLUME_FIELDS` drawn), the blocks are priced
    with their arrays laid out months first (``order="F"``, :mod:`simulator.model.cost`),
    about a fifth faster, the same numbers; a block whose components came out in both
    layouts (other draws, such as a price decline, make arrays draws first) sends the rest
    back to draws first, where nothing is added across the grain."""
    rows = max(1, min(limits.BLOCK_DRAWS, limits.CHUNK_CELLS // (inputs.horizon_months + 1)))
    out = {k: np.empty((len(inputs.options), n)) for k in names}
    # every block's monthly totals in one array (copied out of it block by block)
    totals = _workspace(len(inputs.options) * min(rows, n) * (inputs.horizon_months + 1))
    by_draw = [k for k, v in values.items()
               if isinstance(v, np.ndarray) and v.ndim == 1 and v.shape[0] == n]
    # months first where requests differ by draw, until a block's components come in both
    order = "F" if any(k in by_draw for k in VOLUME_FIELDS) else "C"
    held = getattr(_KEPT, "shared", [])    # the last block's shared arrays, from the run before
    _KEPT.shared = []
    for start in range(0, n, rows):
        stop = min(start + rows, n)
        block = values if stop - start == n else dict(
            values, **{k: values[k][start:stop] for k in by_draw})
        layouts: set = set()
        shared: list = []
        _, figures = evaluate(inputs, block, volumes=False, names=names, keep_costs=False,
                              workspace=totals, order=order, layouts=layouts, hold=shared)
        held = shared   # the block before's shared arrays go only now (evaluate's hold)
        if layouts - {"F"}:
            order = "C"
        for i, o in enumerate(inputs.options):
            for k in names:
                out[k][i, start:stop] = figures[o][k]
    held = _owned_arrays(held)
    if sum(a.nbytes for a in held) <= KEPT_SHARED_BYTES:
        _KEPT.shared = held
    return out


def _owned_arrays(found: Any) -> list[np.ndarray]:
    """The arrays in ``found`` (a block's bases, with the tuples, lists and dicts they hold)
    that own their memory, leaving out the values ``p`` (views of the run's draws, which the
    caller holds anyway)."""
    if isinstance(found, np.ndarray):
        return [found] if found.base is None else []
    if isinstance(found, dict):
        found = [v for k, v in found.items() if k != "p"]
    if isinstance(found, (list, tuple)):
        return [a for item in found for a in _owned_arrays(item)]
    return []


def _by_option(inputs: Inputs, values: Mapping[str, Any], n: int
               ) -> dict[str, dict[str, np.ndarray]]:
    """:func:`_evaluate_chunked` as option -> figure -> ``(n,)`` array."""
    figures = _evaluate_chunked(inputs, values, n)
    return {o: {k: a[i] for k, a in figures.items()} for i, o in enumerate(inputs.options)}


def _check_growth(inputs: Inputs, drawn: Mapping[str, np.ndarray]) -> None:
    """Refuse draws whose volume compounds past the cap (:func:`limits.check_volume_growth`)."""
    keys = ("workload.requests_per_month", "workload.growth_per_month")
    if not any(k in drawn for k in keys):
        return
    v = np.asarray(drawn.get(keys[0], inputs.values[keys[0]]), dtype=float)
    g = np.asarray(drawn.get(keys[1], inputs.values[keys[1]]), dtype=float)
    v, g = np.broadcast_arrays(v, g)
    worst = int(np.argmax(np.where(g > 0, np.log10(np.maximum(v, 1e-300))
                                   + (inputs.horizon_months - 1) * np.log10(1 + np.maximum(g, 0)),
                                   -np.inf)))
    try:
        limits.check_volume_growth(float(v.flat[worst]), float(g.flat[worst]),
                                   inputs.horizon_months)
    except InputError as exc:
        raise InputError(f"{exc} (a drawn value)") from None


# ---- tornado ------------------------------------------------------------------------------------

def sensitivity(scenario: Scenario, ranges: Mapping[str, Sequence[float]], *,
                option: str | None = None, table: PriceTable | None = None) -> pd.DataFrame:
    """Tornado data: each field moved alone to its low and its high value.

    Returns one row per (option, field): ``option, field, base, low, high,
    savings_low_usd, savings_high_usd, base_savings_usd, swing_usd`` with ``swing_usd =
    |savings_high − savings_low|`` [USD], ranked by swing (largest first) within each option.
    ``option`` None = every option but the baseline. ``scenario`` may be a
    :func:`~simulator.simulate` result (its scenario, on its price table).
    """
    scenario, table = scenario_and_table(scenario, table)
    inputs = resolve(scenario, table, varied=set(ranges))
    options = _option_list(inputs, option)
    paths = list(ranges)
    if not paths:
        raise InputError("ranges: give at least one field with its (low, high) values")
    k = len(paths)
    values = dict(inputs.values)
    for i, path in enumerate(paths):
        pair = ranges[path]
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise InputError(f"{path}: expected a (low, high) pair, got {pair!r}")
        low_high = _prepare(path, np.array([_finite(f"{path} low", pair[0]),
                                            _finite(f"{path} high", pair[1])]), inputs)
        base = inputs.values[path]
        column = np.full(2 * k, np.nan if base is None else float(base))
        column[2 * i:2 * i + 2] = low_high
        if base is None:
            # A derived value (auto epochs, default accuracy): other rows keep deriving it,
            # which the chain cannot do per row, so vary such fields one run at a time.
            raise InputError(f"{path}: is derived in this scenario (auto or default); set it "
                             f"in the scenario to vary it")
        values[path] = column
    _, figures = evaluate(inputs, values, volumes=False, names=("savings_usd",))
    _, base_figures = evaluate(inputs, volumes=False, names=("savings_usd",))
    rows = []
    for opt in options:
        s = np.broadcast_to(figures[opt]["savings_usd"], (2 * k,))
        base_saving = float(base_figures[opt]["savings_usd"])
        for i, path in enumerate(paths):
            lo, hi = float(values[path][2 * i]), float(values[path][2 * i + 1])
            rows.append({"option": opt, "field": path, "base": inputs.values[path],
                         "low": lo, "high": hi, "savings_low_usd": float(s[2 * i]),
                         "savings_high_usd": float(s[2 * i + 1]),
                         "base_savings_usd": base_saving,
                         "swing_usd": abs(float(s[2 * i + 1]) - float(s[2 * i]))})
    frame = pd.DataFrame(rows)
    order = {o: i for i, o in enumerate(options)}
    frame["_o"] = frame["option"].map(order)
    frame = frame.sort_values(["_o", "swing_usd"], ascending=[True, False], kind="stable")
    return frame.drop(columns="_o").reset_index(drop=True)


# ---- grid ---------------------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True, eq=False)
class SavingsGrid:
    """Savings over two inputs.

    x_field, y_field : the two field paths; x_values ``(nx,)``, y_values ``(ny,)``
    savings_usd : option -> array ``(ny, nx)`` of baseline TCO − option TCO [USD]
    tco_usd : option -> array ``(ny, nx)`` [USD] (baseline included)
    baseline : the baseline option
    """

    x_field: str
    y_field: str
    x_values: np.ndarray
    y_values: np.ndarray
    baseline: str
    savings_usd: dict[str, np.ndarray] = field(default_factory=dict)
    tco_usd: dict[str, np.ndarray] = field(default_factory=dict)
    inputs: Inputs | None = field(default=None, repr=False, compare=False)
    """The resolved scenario, kept so that :meth:`contour` can place the break-even line
    exactly when ``x_field`` is month-1 volume."""
    _windows: dict = field(default_factory=dict, repr=False, compare=False)

    def frame(self) -> pd.DataFrame:
        """Tidy table ``option, x, y, savings_usd`` (column names ``x``/``y`` hold values of
        ``x_field``/``y_field``)."""
        parts = []
        X, Y = np.meshgrid(self.x_values, self.y_values)
        for option, s in self.savings_usd.items():
            parts.append(pd.DataFrame({"option": option, "x": X.ravel(), "y": Y.ravel(),
                                       "savings_usd": s.ravel()}))
        return pd.concat(parts, ignore_index=True)

    def contour(self, option: str) -> pd.DataFrame:
        """The break-even contour (savings = 0) of ``option`` as points ``x, y``.

        Found by linear interpolation between neighbouring grid points where the sign of the
        savings changes, along x for every y and along y for every x; sorted by x, then y.
        When x is month-1 volume, the points along x are instead the ends of the intervals
        of :class:`~simulator.model.breakeven.VolumeWindows` at each y that fall inside the grid
        (exact, and not misplaced by self-hosted replica steps between grid points).
        """
        if option not in self.savings_usd:
            raise InputError(f"option: no savings for {option!r} (have: "
                             f"{', '.join(self.savings_usd)})")
        s = self.savings_usd[option]
        xs, ys = [], []
        exact = self.x_field == "workload.requests_per_month" and self.inputs is not None
        lo_x, hi_x = float(np.min(self.x_values)), float(np.max(self.x_values))
        for j, y in enumerate(self.y_values):           # along x
            if exact:
                found = [e for lo, hi in self.volume_windows(option)[j].intervals
                         for e in (lo, hi) if 0 < e < math.inf and lo_x <= e <= hi_x]
            else:
                found = _zero_crossings(self.x_values, s[j, :])
            for x in found:
                xs.append(x)
                ys.append(float(y))
        for i, x in enumerate(self.x_values):           # along y
            for y in _zero_crossings(self.y_values, s[:, i]):
                xs.append(float(x))
                ys.append(y)
        out = pd.DataFrame({"x": xs, "y": ys}, dtype=float)
        return out.drop_duplicates().sort_values(["x", "y"]).reset_index(drop=True)


    def volume_windows(self, option: str) -> tuple:
        """Where ``option`` is cheaper by month-1 volume at each y value: one
        :class:`~simulator.model.breakeven.VolumeWindows` per ``y_values`` entry (needs ``inputs``)."""
        if option not in self._windows:
            values = dict(self.inputs.values, **{self.y_field: np.asarray(self.y_values,
                                                                          dtype=float)})
            _, figures = evaluate(self.inputs, values)
            self._windows[option] = figures[option]["volume_windows"]
        return self._windows[option]


def _zero_crossings(grid: np.ndarray, values: np.ndarray) -> list[float]:
    """Where ``values`` (sampled on ``grid``) crosses zero, by linear interpolation."""
    out = []
    for a in range(len(grid) - 1):
        v0, v1 = values[a], values[a + 1]
        if v0 == 0:
            out.append(float(grid[a]))
        elif v0 * v1 < 0:
            out.append(float(grid[a] + (grid[a + 1] - grid[a]) * v0 / (v0 - v1)))
    if len(values) and values[-1] == 0:
        out.append(float(grid[-1]))
    return out


def savings_grid(scenario: Scenario, x: tuple[str, Sequence[float]],
                 y: tuple[str, Sequence[float]], *, table: PriceTable | None = None
                 ) -> SavingsGrid:
    """Savings of every option against the baseline over a grid of two inputs.

    ``x`` and ``y`` are ``(field path, values)``, for example
    ``("workload.requests_per_month", np.linspace(1e3, 1e6, 100))`` and
    ``("prompt.fewshot_tokens", [0, 1000, 2000])``. All ``nx × ny`` points are priced in one
    vectorised call. :meth:`SavingsGrid.contour` gives the break-even line. ``scenario`` may
    be a :func:`~simulator.simulate` result (its scenario, on its price table).
    """
    scenario, table = scenario_and_table(scenario, table)
    (x_field, x_vals), (y_field, y_vals) = _axis(x, "x"), _axis(y, "y")
    inputs = resolve(scenario, table, varied={x_field, y_field})
    if x_field == y_field:
        raise InputError(f"y: must be another field than x, both are {x_field!r}")
    points = len(x_vals) * len(y_vals)
    if points > limits.MAX_GRID_POINTS:
        raise InputError(f"grid: {len(x_vals):,} × {len(y_vals):,} = {points:,} points is too "
                         f"many: at most {limits.MAX_GRID_POINTS:,} points")
    x_vals = _prepare(x_field, x_vals, inputs)
    y_vals = _prepare(y_field, y_vals, inputs)
    X, Y = np.meshgrid(x_vals, y_vals)
    values = dict(inputs.values, **{x_field: X.ravel(), y_field: Y.ravel()})
    _check_growth(inputs, {x_field: X.ravel(), y_field: Y.ravel()})
    figures = _evaluate_chunked(inputs, values, X.size, names=("savings_usd", "tco_usd"))
    shape = (len(y_vals), len(x_vals))
    return SavingsGrid(
        x_field=x_field, y_field=y_field, x_values=x_vals, y_values=y_vals,
        baseline=inputs.baseline,
        savings_usd={o: figures["savings_usd"][i].reshape(shape)
                     for i, o in enumerate(inputs.options) if o != inputs.baseline},
        tco_usd={o: figures["tco_usd"][i].reshape(shape)
                 for i, o in enumerate(inputs.options)},
        inputs=inputs)


def _axis(axis: Any, name: str) -> tuple[str, np.ndarray]:
    if not isinstance(axis, (tuple, list)) or len(axis) != 2 or not isinstance(axis[0], str):
        raise InputError(f"{name}: expected (field path, values), got {limits.shorten(axis)}")
    size = np.size(axis[1]) if isinstance(axis[1], np.ndarray) else len(axis[1]) \
        if hasattr(axis[1], "__len__") else 1
    if size > limits.MAX_GRID_POINTS:
        raise InputError(f"{name}: {axis[0]}: {size:,} values is too many: at most "
                         f"{limits.MAX_GRID_POINTS:,} grid points in all")
    try:
        values = np.asarray(axis[1], dtype=float).reshape(-1)
    except (TypeError, ValueError, OverflowError):
        raise InputError(f"{name}: {axis[0]}: values must be numbers, got "
                         f"{limits.shorten(axis[1])}") from None
    if values.size == 0:
        raise InputError(f"{name}: {axis[0]}: give at least one value")
    return axis[0], values
