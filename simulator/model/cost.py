"""Monthly cost components of every option, as pure vectorised functions (README, Method).

Conventions
    * Time runs along the **last** axis, months ``m = 0..H``. Month 0 holds the one-time
      costs paid at t = 0 (labelling, data preparation, the first training run and its
      evaluation, prompt engineering, the first corpus embedding), so a cumulative sum starts
      at the upfront investment. Months ``1..H`` hold the running costs.
    * Every parameter is a float or an array with a leading draw axis of shape ``(n, 1)``
      (:func:`as_columns` turns ``(n,)`` into ``(n, 1)``); results broadcast to ``(H+1,)`` or
      ``(n, H+1)``. One code path serves one scenario, a grid and Monte Carlo draws.
    * Memory layout of a ``(n, H+1)`` array: draws first (C order, numpy's default) or,
      with ``order="F"`` (:func:`chain_basis`), months first (Fortran order: one month's
      draws side by side) where the chain makes one from the requests or the data costs;
      numpy keeps that order in what is computed from such an array. A draw's value and a
      month's factor then meet in long contiguous loops over the draws, and a Monte Carlo
      block's totals go straight into months-first running sums: a run whose requests differ
      by draw (month-1 volume or growth drawn, or a grid along one of them) takes about a
      fifth less time, with the same numbers (each element is computed by the same
      operations). Arrays made otherwise from other draws (a drawn
      price decline against the months) come out draws first; adding the two layouts
      together is slow, so the Monte Carlo run goes back to draws first when it sees both
      (:func:`simulator.model.uncertainty._evaluate_chunked`), and :func:`total_usd`
      copies one layout into the other before adding.
    * Money is [USD], token rates are [USD per 1M tokens], hourly rates [USD/h].

Choices the formulas make, and why
    * ``rag`` also embeds each request's user content (``u`` tokens) to query the vector
      store, at the (declining) embedding rate: a real retrieval pipeline pays for it.
    * The first training run, at t = 0, is billed at today's rate (decline factor 1, as in
      month 1); retraining at month ``m`` pays month ``m``'s declined rate.
    * Prices move by kind (:func:`decline_factors`): per-token API rates (inference,
      embedding) by ``price_decline_tokens``, per-token training and validation rates by
      ``price_decline_training``, and hourly GPU prices (self-hosted training and serving, a
      dedicated deployment's hourly hosting fee) by ``price_decline_gpu_hours``; a negative
      decline is a rising price. Minimum charges, storage and people's time do not move.
    * ``selfhost`` reuses ``[finetune]``'s data, epochs, labelling, evaluation and retraining
      cadence; it is not bound by a provider's per-example token cap. Its one-time
      engineering is the data preparation plus ``selfhost.engineering_hours``.
    * ``hybrid`` pays both set-ups (prompt engineering and maintenance, data preparation and
      training) and splits traffic: ``q`` × tuned inference + ``(1-q)`` × prompted inference;
      its accuracy defaults to ``q a_ft + (1-q) a_prompt``.
    * Self-hosted serving tokens per request are ``s_ft + u + k_ft + o + z_sh`` (input,
      output and reasoning together, as serving throughput is quoted).
    * Each road pays its own chat format: the prompted request's ``k``
      (``workload.chat_overhead_tokens``, few-shot turns and all) for ``prompt``, ``rag`` and
      hybrid's prompted share; the tuned model's short request ``k_ft``
      (``finetune.chat_overhead_tokens``) for ``finetune``, ``selfhost`` and hybrid's tuned
      share. Reasoning tokens are billed at the output rate of the road that generates them.
    * Lifecycle (:mod:`simulator.model.lifecycle`): a road that closes inside the horizon moves in
      its switch month ``S`` (``prompt.switch_month``, ``finetune.switch_month``; infinite
      when it does not move). From ``S`` on, rates are the successor's
      (``prompt.after.*``, ``finetune.after.*``). The ``migration`` component holds the cost
      of moving, in month ``S``: for the prompt, ``prompt.migration_hours`` of
      re-engineering; for a fine-tune, a training run on the successor (on every example
      labelled so far), its evaluation and ``finetune.migration_hours``; for a fine-tune that
      falls back to prompting (``finetune.fallback = 1``), the prompt's engineering hours,
      after which the option pays the prompted road's inference and upkeep and no more
      training, hosting or storage.

The chain :func:`option_costs` assembles the components of one option from a flat mapping of
field paths (``"workload.requests_per_month"`` …) to values, as made by
:func:`simulator.model.resolve.resolve`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from pricing import HOURS_PER_MONTH

from ..tokens.tokens import auto_epochs
from .datacost import DATA_COMPONENTS, data_usd, outer_product
from .evidence import saturating_power_law

TOKENS_PER_MTOK = 1e6
SECONDS_PER_HOUR = 3600.0

COMPONENTS = DATA_COMPONENTS + ("training", "evaluation", "engineering", "inference", "embedding",
              "hosting", "infrastructure", "migration", "errors")
"""Cost components, in display order."""

ONE_TIME_NOTE = "month 0 holds one-time costs paid at t = 0"


# ---- time ---------------------------------------------------------------------------------------

def month_index(horizon_months: int) -> np.ndarray:
    """Months ``0..H`` as floats, month 0 being t = 0 (one-time costs) [months]."""
    return np.arange(int(horizon_months) + 1, dtype=float)


def requests_per_month(requests_month1, growth_per_month, months, order: str = "C"
                       ) -> np.ndarray:
    """Requests ``V_m = V_1 (1+g)^(m-1)`` for ``m ≥ 1``, 0 at month 0 [requests/month];
    over draws ``(n, H+1)``, laid out in ``order`` (``"F"``: months first, :func:`chain_basis`).

    >>> requests_per_month(1000.0, 0.1, month_index(3)).round(6).tolist()
    [0.0, 1000.0, 1100.0, 1210.0]
    """
    m = np.asarray(months, dtype=float)
    factors = growth_factors(growth_per_month, m, order)
    if np.ndim(requests_month1) == 2 and factors.ndim == 1:   # draws × months
        v = outer_product(requests_month1, factors, order)
    else:
        v = _times(requests_month1, factors)
    if m.ndim == 1 and np.shape(v)[-1:] == m.shape:
        v[..., m < 1] = 0.0
        return v
    return np.where(m >= 1, v, 0.0)


def growth_factors(growth_per_month, months, order: str = "C") -> np.ndarray:
    """``(1+g)^(m-1)`` for ``m ≥ 1`` and 1 at month 0 [1].

    For draws of ``g`` (a column, one row per draw, against the 1-D month index ``0..H``)
    the powers are built by multiplying month by month, about ten times faster than ``**``
    over 10,000 draws, and the same for a draw whatever block of draws it is priced in;
    the two agree to within a few units in the last place (about 1e-15 relative over 120
    months); that array is laid out in ``order`` (:func:`chain_basis`).
    """
    g = np.asarray(growth_per_month, dtype=float)
    m = np.asarray(months, dtype=float)
    H = m.size - 1
    if not (g.ndim == 2 and g.shape[1] == 1 and m.ndim == 1 and H >= 1
            and np.array_equal(m, np.arange(H + 1))):
        return (1.0 + g) ** np.maximum(m - 1, 0)
    rate = 1.0 + g[:, 0]
    out = np.empty((g.shape[0], H + 1), order=order)
    out[:, 0] = 1.0
    out[:, 1] = 1.0
    for k in range(2, H + 1):
        np.multiply(out[:, k - 1], rate, out=out[:, k])
    return out


def _plus(a, b):
    """``a + b``, written into ``a`` when ``a`` is a new float array of the sum's shape."""
    if isinstance(a, np.ndarray) and a.dtype == float and a.flags.writeable \
            and a.shape == np.broadcast_shapes(a.shape, np.shape(b)):
        return np.add(a, b, out=a)
    return a + b


def _times(a, b):
    """``a * b``, written into ``b`` when ``b`` is a new float array of the product's shape
    (made by the caller and used nowhere else): one array fewer to allocate."""
    if isinstance(b, np.ndarray) and b.dtype == float and b.flags.writeable \
            and b.shape == np.broadcast_shapes(np.shape(a), b.shape):
        return np.multiply(a, b, out=b)
    return a * b


def price_decline_factor(yearly_decline, months) -> np.ndarray:
    """Multiplier of a price that falls by the share ``d`` a year, ``(1-d)^((m-1)/12)`` for
    ``m ≥ 1`` [1]; ``-1 < d < 1``, a negative ``d`` being a price that rises by ``-d`` a year.

    Month 0 (t = 0) pays today's price (factor 1), as does month 1.

    >>> price_decline_factor(-0.21, month_index(13))[[0, 1, 13]].round(6).tolist()
    [1.0, 1.0, 1.21]
    """
    m = np.asarray(months, dtype=float)
    return (1.0 - np.asarray(yearly_decline, dtype=float)) ** (np.maximum(m - 1, 0) / 12.0)


def discount_factor(yearly_rate, months) -> np.ndarray:
    """Present-value factor ``(1+ρ)^(-m/12)``; 1 at month 0 [1]."""
    m = np.asarray(months, dtype=float)
    return (1.0 + np.asarray(yearly_rate, dtype=float)) ** (-m / 12.0)


def at_month0(amount_usd, months) -> np.ndarray:
    """A one-time amount placed at month 0, zero after [USD]."""
    return np.where(np.asarray(months) == 0, amount_usd, 0.0)


def every_month(amount_usd_per_month, months) -> np.ndarray:
    """A fixed monthly amount in months ``1..H``, zero at month 0 [USD/month]."""
    return np.where(np.asarray(months) >= 1, amount_usd_per_month, 0.0)


def from_month(switch_month, before, after, months):
    """``before`` in months ``< S``, ``after`` from month ``S`` on (``S`` may be infinite).

    >>> from_month(2.0, 1.0, 5.0, month_index(3)).tolist()
    [1.0, 1.0, 5.0, 5.0]
    """
    return np.where(np.asarray(months) >= switch_month, after, before)


def month_where(on, a, b, *, overwrite: bool = False, b_times=None):
    """``np.where(on, a, b_times × b)`` (``b`` alone without ``b_times``) for a mask of months
    ``on`` ``(H+1,)``, the same numbers, faster over ``(draws, months)``: when the months on
    are one run (after a time to production, before a fall back), the result is written
    month range by month range, and ``b_times × b`` is multiplied only in the months off.
    ``overwrite``: ``a`` is a new float array of the result's shape that the caller owns;
    the result is written into it.

    >>> month_where(np.array([False, True, True]), np.ones((2, 3)), 5.0).tolist()
    [[5.0, 1.0, 1.0], [5.0, 1.0, 1.0]]
    """
    fast = (isinstance(a, np.ndarray) and a.ndim == 2 and np.ndim(on) == 1
            and len(on) == a.shape[1]
            and all(np.ndim(x) < 2 or np.shape(x) in (a.shape, (len(a), 1))
                    for x in (b, b_times)))
    run = np.flatnonzero(on) if fast else ()
    if len(run) == 0 or run[-1] - run[0] + 1 != len(run):
        return np.where(on, a, b if b_times is None else b_times * b)
    lo, hi = int(run[0]), int(run[-1]) + 1
    shape = a.shape
    if overwrite and a.dtype == float and a.flags.writeable:
        out = a
    else:
        out = np.empty_like(a, dtype=np.result_type(a, b, 1.0))   # a's memory order
        out[:, lo:hi] = a[:, lo:hi]
    for start, stop in ((0, lo), (hi, shape[-1])):
        if start < stop:
            part = b[..., start:stop] if np.shape(b)[-1:] == shape[-1:] else b
            if b_times is not None:
                part = (b_times[..., start:stop] if np.shape(b_times)[-1:] == shape[-1:]
                        else b_times) * part
            out[:, start:stop] = part
    return out


# ---- inference ----------------------------------------------------------------------------------

def prompted_request_usd(static_tokens, cached_share, other_input_tokens, output_tokens,
                         input_usd_per_mtok, cached_input_usd_per_mtok, output_usd_per_mtok,
                         batch_share, batch_discount, *, reasoning_tokens=0.0,
                         cache_write_share=0.0, cache_write_usd_per_mtok=0.0):
    """Cost of one prompted request at today's prices [USD/request].

    ``[(s+f)(h c_cache + w c_write + (1-h-w) c_in) + (r+u+k) c_in + (o + z) c_out] / 1e6
    × (1 - b β)``, with ``static_tokens = s+f``, ``other_input_tokens = r+u+k``, ``h`` the
    share of the static prefix read from the cache, ``w`` the share written to it (billed at
    the cache-write rate ``c_write`` where the provider charges one) and ``z`` the hidden
    reasoning tokens, billed as output.

    >>> round(prompted_request_usd(1000, 0.5, 500, 100, 2.0, 0.5, 8.0, 0.0, 0.5), 10)
    0.00305
    >>> round(prompted_request_usd(1000, 0.5, 500, 100, 2.0, 0.5, 8.0, 0.0, 0.5,
    ...                            reasoning_tokens=50, cache_write_share=0.25,
    ...                            cache_write_usd_per_mtok=2.5), 10)  # + 50×8e-6 + 250×0.5e-6
    0.003575
    """
    static = static_tokens * (cached_share * cached_input_usd_per_mtok
                              + cache_write_share * cache_write_usd_per_mtok
                              + (1.0 - cached_share - cache_write_share) * input_usd_per_mtok)
    per_request = (static + other_input_tokens * input_usd_per_mtok
                   + (output_tokens + reasoning_tokens) * output_usd_per_mtok) / TOKENS_PER_MTOK
    return per_request * (1.0 - batch_share * batch_discount)


def tuned_request_usd(input_tokens, output_tokens, input_usd_per_mtok, output_usd_per_mtok,
                      batch_share, batch_discount, *, reasoning_tokens=0.0):
    """Cost of one request to a fine-tuned model at today's prices [USD/request].

    ``[(s_ft+u+k_ft) c_in_ft + (o + z_ft) c_out_ft] / 1e6 × (1 - b β)``, ``z_ft`` the tuned
    model's reasoning tokens (billed as output).

    >>> round(tuned_request_usd(100, 50, 1.0, 4.0, 0.0, 0.5, reasoning_tokens=25), 10)
    0.0004
    """
    return ((input_tokens * input_usd_per_mtok
             + (output_tokens + reasoning_tokens) * output_usd_per_mtok)
            / TOKENS_PER_MTOK * (1.0 - batch_share * batch_discount))


def served_error_usd(option: str, p: Mapping[str, Any], months, requests,
                     shared: dict | None = None) -> np.ndarray:
    """Cost of wrong answers ``V_m (1 - a_m) × cost per error`` at the accuracy ``option``
    serves (:func:`served_accuracy`) [USD/month]: the cost per request ``(1 - a) × cost per
    error`` is formed on the accuracy's shape (one value, or one per draw) and multiplied by
    the requests; the months the tuned model does not serve take the prompt's cost per
    request (:func:`month_where`)."""
    cost = p["cost_per_error_usd"]
    a = np.asarray(option_accuracy(option, p, months, shared), dtype=float)
    on = tuned_serving(option, p, months, shared)
    errors = _times(requests, cost * (1.0 - a))
    if on is None:
        return errors
    # the prompt's errors in the months the tuned model does not serve
    return month_where(on, errors, cost * (1.0 - p["prompt.accuracy"]), b_times=requests,
                       overwrite=True)


# ---- training -----------------------------------------------------------------------------------

def training_schedule(examples, new_examples_per_retrain, retrain_every_months, months):
    """When training runs happen and on how many examples.

    Returns ``(runs, examples_in_run, new_examples)``: ``runs`` is 1.0 in months with a run
    (month 0, then ``R, 2R, …`` up to ``H``; ``R = 0``: never again), ``examples_in_run`` is
    ``N_0 + j ΔN`` at the ``j``-th retraining (0 elsewhere) and ``new_examples`` the examples
    labelled that month (``N_0`` at month 0, ``ΔN`` at each retraining).

    >>> runs, n, new = training_schedule(600, 200, 6, month_index(12))
    >>> np.flatnonzero(runs).tolist(), n[[0, 6, 12]].tolist(), new[[0, 6]].tolist()
    ([0, 6, 12], [600.0, 800.0, 1000.0], [600.0, 200.0])
    """
    m = np.asarray(months, dtype=float)
    every = np.asarray(retrain_every_months, dtype=float)
    safe = np.where(every > 0, every, 1.0)
    retrain = (every > 0) & (m >= 1) & (np.mod(m, safe) == 0)
    first = m == 0
    j = np.where(retrain, np.floor_divide(m, safe), 0.0)
    runs = (retrain | first).astype(float)
    examples_in_run = np.where(retrain | first, examples + j * new_examples_per_retrain, 0.0)
    new = np.where(first, examples, np.where(retrain, new_examples_per_retrain, 0.0))
    return runs, examples_in_run * 1.0, new * 1.0


def run_epochs(examples_in_run, epochs) -> np.ndarray:
    """Epochs of each run: ``epochs`` if fixed, else the provider's "auto" rule per run."""
    if epochs is None:
        n = np.maximum(np.rint(np.asarray(examples_in_run, dtype=float)), 1)
        return np.where(np.asarray(examples_in_run) > 0, auto_epochs(n), 0.0)
    return np.asarray(epochs, dtype=float)


def billed_training_tokens(examples_in_run, tokens_per_example, max_tokens_per_example,
                           epochs) -> np.ndarray:
    """Tokens billed for a training run, ``N × min(t, max_len) × E`` [tokens]."""
    return examples_in_run * np.minimum(tokens_per_example, max_tokens_per_example) * epochs


def api_training_usd(runs, billed_tokens, train_usd_per_mtok, min_charge_usd, decline):
    """A provider's training bill per month: ``max(billed/1e6 × c_train × decline, min)`` in
    months with a run [USD/month]."""
    cost = np.maximum(billed_tokens / TOKENS_PER_MTOK * train_usd_per_mtok * decline,
                      min_charge_usd)
    return np.where(runs > 0, cost, 0.0)


def gpu_training_usd(billed_tokens, train_tokens_per_second, training_gpus, gpu_usd_per_hour,
                     scaling_efficiency=1.0):
    """Rented-GPU training bill [USD/month]: the run takes ``billed / (t_gpu × (1 + (G-1) e)
    × 3600)`` hours on ``G`` GPUs of throughput ``t_gpu`` [tokens/s] that each add a share
    ``e`` of one GPU's speed, billed ``hours × G × p_gpu``.

    The caller applies the GPU-hour price movement of the run's month.

    >>> round(float(gpu_training_usd(3.6e6 * 1000, 1000, 2, 2.0, 0.9)), 6)  # 1000/1.9 h × 2 × 2
    2105.263158
    """
    speedup = 1.0 + (training_gpus - 1.0) * scaling_efficiency
    hours = billed_tokens / (train_tokens_per_second * speedup * SECONDS_PER_HOUR)
    return hours * training_gpus * gpu_usd_per_hour


def labelling_usd(new_examples, usd_per_example, hours_per_example, hourly_rate_usd, *,
                  order: str = "C"):
    """Labelling new examples: ``ΔN × (cost per example + hours per example × hourly rate)``
    [USD/month]; ``order``: the layout of draws against months (:func:`chain_basis`)."""
    return outer_product(new_examples, usd_per_example + hours_per_example * hourly_rate_usd,
                         order)


def labelled_beyond_on_hand(new_examples, examples_on_hand) -> np.ndarray:
    """Examples that must be labelled each month when ``examples_on_hand`` already exist:
    the examples needed up to each month, less those on hand, never below zero, as monthly
    increments [examples/month].

    >>> labelled_beyond_on_hand(np.array([600.0, 0, 200, 0, 200]), 700).tolist()
    [0.0, 0.0, 100.0, 0.0, 200.0]
    """
    needed = np.cumsum(new_examples, axis=-1)
    paid = np.maximum(needed - examples_on_hand, 0.0)
    return np.diff(paid, axis=-1, prepend=0.0)


# ---- serving ------------------------------------------------------------------------------------

def replica_capacity_tokens(serve_tokens_per_second, utilisation):
    """Tokens one serving replica processes in a month, ``throughput × 3600 × 730 ×
    utilisation`` [tokens/month]."""
    return serve_tokens_per_second * SECONDS_PER_HOUR * HOURS_PER_MONTH * utilisation


def whole_replicas(need, min_replicas, months) -> np.ndarray:
    """Replicas from the fractional replicas ``need`` each month: ``max(min_replicas,
    ceil(need))``, 0 at month 0 [replicas]; a new float array ``need`` is rounded in place.

    >>> whole_replicas(np.array([0.5, 0.5, 2.0 + 1e-12, 2.5]), 1, month_index(3)).tolist()
    [0.0, 1.0, 2.0, 3.0]
    """
    own = isinstance(need, np.ndarray) and need.dtype == float and need.flags.writeable
    need = np.subtract(need, 1e-9, out=need if own else None)
    need = np.ceil(need, out=need if isinstance(need, np.ndarray) else None)
    need = np.maximum(min_replicas, need, out=need if need.shape == np.broadcast_shapes(
        np.shape(min_replicas), need.shape) else None)
    m = np.asarray(months)
    if m.ndim == 1 and np.shape(need)[-1:] == m.shape:
        need[..., m < 1] = 0.0
        return need
    return np.where(m >= 1, need, 0.0)


# ---- the chain ----------------------------------------------------------------------------------

def as_columns(values: Mapping[str, Any]) -> dict[str, Any]:
    """Arrays of shape ``(n,)`` become ``(n, 1)`` so they broadcast against the month axis."""
    out = {}
    for key, value in values.items():
        if isinstance(value, np.ndarray) and value.ndim == 1:
            out[key] = value[:, None]
        else:
            out[key] = value
    return out


def examples_labelled_by(month, examples, new_examples_per_retrain, retrain_every_months):
    """Examples labelled up to and including ``month``: ``N_0 + ⌊m/R⌋ ΔN`` (``N_0`` when
    ``R = 0``) [examples]."""
    every = np.asarray(retrain_every_months, dtype=float)
    done = np.where(every > 0, np.floor_divide(month, np.where(every > 0, every, 1.0)), 0.0)
    return examples + done * new_examples_per_retrain


def _finetune_data(p: Mapping[str, Any], months: np.ndarray, *, capped: bool,
                   lifecycle: bool = False, shared: dict | None = None):
    """Training runs and their data: ``runs``, billed training tokens, labelling and
    evaluation [USD/month], and billed validation tokens.

    With ``lifecycle``, the offering's switch month is honoured: a migration run on every
    example labelled so far in month ``S`` (``finetune.fallback = 0``), or no runs nor
    labelling from ``S`` on (fallback to prompting).

    ``shared``: a dict kept for one set of values (the :func:`chain_basis`), in which the
    result is kept, read-only, for the other options that train on the same data
    (``finetune`` and ``hybrid`` alike; ``selfhost`` uncapped).
    """
    key = ("finetune_data", capped, lifecycle)
    if shared is not None and key in shared:
        return shared[key]
    data = _finetune_data_of(p, months, capped=capped, lifecycle=lifecycle,
                             shared={} if shared is None else shared)
    if shared is not None:
        for a in data:
            for b in (a.values() if isinstance(a, dict) else (a,)):
                if isinstance(b, np.ndarray):
                    b.flags.writeable = False
        shared[key] = data
    return data


def _finetune_data_of(p: Mapping[str, Any], months: np.ndarray, *, capped: bool,
                      lifecycle: bool, shared: dict):
    if "training_schedule" not in shared:
        schedule = training_schedule(p["finetune.examples"],
                                     p["finetune.new_examples_per_retrain"],
                                     p["finetune.retrain_every_months"], months)
        shared["training_schedule"] = schedule + (run_epochs(schedule[1],
                                                             p["finetune.epochs"]),)
    runs, n_run, new, epochs = shared["training_schedule"]
    trained = bool(p.get("finetune.already_trained", 0.0))
    if trained and capped:  # the provider's tuned model exists: no first run
        first = months == 0
        runs, n_run = np.where(first, 0.0, runs), np.where(first, 0.0, n_run)
    on_hand = p.get("finetune.examples_on_hand", 0.0)
    if trained:  # the examples it was trained on are the team's
        on_hand = np.maximum(on_hand, p["finetune.examples"])
    S = switch_month(p, "finetune") if lifecycle else np.inf
    if S != np.inf:
        if p.get("finetune.fallback", 0.0):
            after = months >= S
            runs, n_run, new = (np.where(after, 0.0, runs), np.where(after, 0.0, n_run),
                                np.where(after, 0.0, new))
        else:
            at = months == S
            labelled = examples_labelled_by(S, p["finetune.examples"],
                                            p["finetune.new_examples_per_retrain"],
                                            p["finetune.retrain_every_months"])
            runs, n_run = np.where(at, 1.0, runs), np.where(at, labelled, n_run)
        epochs = run_epochs(n_run, p["finetune.epochs"])
    cap = road_rate(p, "finetune", "max_tokens_per_example", months) if capped else np.inf
    billed = billed_training_tokens(n_run, p["finetune.tokens_per_example"], cap, epochs)
    order = shared.get("order", "C")
    if new is shared["training_schedule"][2]:  # the same examples whatever the cap
        labelling = shared_once(shared, "training_data",
                                lambda: training_data_usd(p, new, months, on_hand, order=order))
    else:
        labelling = training_data_usd(p, new, months, on_hand, order=order)
    evaluation = runs * p["finetune.eval_usd_per_run"]
    validation = billed_training_tokens(runs * p.get("finetune.validation_examples", 0.0),
                                        p["finetune.tokens_per_example"], cap, epochs)
    return runs, billed, labelling, evaluation, validation


def training_data_usd(p: Mapping[str, Any], new_examples, months, examples_on_hand=0.0,
                      *, order: str = "C") -> dict[str, Any]:
    """The data components of the examples labelled each month [USD/month]
    (:data:`~simulator.model.datacost.DATA_COMPONENTS`), by the scenario's source
    (``data.source``; ``human`` when the values have no ``[data]``, as before it existed).

    ``new_examples`` are trained on; ``data.holdout_share`` ``h`` of everything produced is
    held out besides, so ``new / (1 − h)`` examples are needed in all
    (:func:`~simulator.model.datacost.holdout_examples`). ``examples_on_hand`` (owned already)
    cover the first of them, training and hold-out alike: only the examples beyond them are
    produced and paid (:func:`labelled_beyond_on_hand`), split ``1 − h`` / ``h`` between the
    components. Model tokens pay the month's declined rate; people's time does not decline.
    ``order``: the layout of draws against months (:func:`chain_basis`).
    """
    source = p.get("data.source", "human")
    h = p.get("data.holdout_share", 0.0)
    needed = new_examples / (1.0 - h) if any_nonzero(h) else new_examples
    if any_nonzero(examples_on_hand):
        needed = labelled_beyond_on_hand(needed, examples_on_hand)
    if "data.holdout_share" not in p:  # values made without a [data] section
        return {"labelling": labelling_usd(needed, p["finetune.labelling_usd_per_example"],
                                           p["finetune.labelling_hours_per_example"],
                                           p["hourly_rate_usd"], order=order)}
    decline = price_decline_factor(p["price_decline"], months) if source == "teacher" else 1.0
    return data_usd(source, needed * (1.0 - h), needed * h, p, decline, skip_zero=True,
                    order=order)


PROMPT_RATES = ("input_usd_per_mtok", "cached_input_usd_per_mtok", "output_usd_per_mtok",
                "batch_discount")
"""Prompt rates that change when the prompted model moves to its successor."""
FINETUNE_RATES = ("train_usd_per_mtok", "input_usd_per_mtok", "output_usd_per_mtok",
                  "hosting_usd_per_hour", "min_charge_usd", "batch_discount",
                  "storage_usd_per_month", "validation_usd_per_mtok", "max_tokens_per_example")
"""Offering rates that change when the fine-tuning road migrates to its successor."""


def switch_month(p: Mapping[str, Any], road: str) -> float:
    """First month of ``road`` (``prompt``/``finetune``) on its successor; inf = never."""
    return p.get(f"{road}.switch_month", np.inf)


def road_rate(p: Mapping[str, Any], road: str, name: str, months):
    """Rate ``road.name`` by month: its own before the switch month (times its scheduled
    price steps, :func:`scheduled_rate`), ``road.after.name`` from it on (the same rate
    throughout when the road does not move and no price change is scheduled)."""
    S = switch_month(p, road)
    own = scheduled_rate(p, road, name, months)
    if S == np.inf:
        return own
    return from_month(S, own, p[f"{road}.after.{name}"], months)


def scheduled_rate(p: Mapping[str, Any], road: str, name: str, months):
    """Rate ``road.name`` by month with the price table's scheduled changes (an introductory
    price that ends, an announced increase): ``road.price_steps`` steps, step ``i`` from
    month ``road.price_step{i}.month`` on multiplying the start date's rate by
    ``road.price_step{i}.{name}_factor`` (cumulative, 1 where that rate does not change).
    The month that holds the change day pays the new rate throughout, as a lifecycle switch
    does. Without steps, the rate itself (no array made)."""
    rate = p[f"{road}.{name}"]
    steps = p.get(f"{road}.price_steps", 0)
    steps = int(steps.max() if isinstance(steps, np.ndarray) else steps)
    if steps == 0:
        return rate
    factor = np.ones(np.shape(months))
    for i in range(1, steps + 1):
        f = p.get(f"{road}.price_step{i}.{name}_factor")
        if f is not None:
            factor = np.where(np.asarray(months) >= p[f"{road}.price_step{i}.month"], f, factor)
    return rate * factor


def _prompted_usd(p, static, other, months):
    rate = {name: road_rate(p, "prompt", name, months) for name in PROMPT_RATES}
    # A scenario refuses h + w > 1; independent Monte Carlo draws may not: w is capped there.
    write_share = np.minimum(p.get("prompt.cache_write_share", 0.0),
                             1.0 - p["prompt.cached_share"])
    write_rate = (road_rate(p, "prompt", "cache_write_usd_per_mtok", months)
                  if "prompt.cache_write_usd_per_mtok" in p else rate["input_usd_per_mtok"])
    return prompted_request_usd(static, p["prompt.cached_share"], other,
                                p["workload.output_tokens"], rate["input_usd_per_mtok"],
                                rate["cached_input_usd_per_mtok"], rate["output_usd_per_mtok"],
                                p["prompt.batch_share"], rate["batch_discount"],
                                reasoning_tokens=p.get("prompt.reasoning_tokens", 0.0),
                                cache_write_share=write_share,
                                cache_write_usd_per_mtok=write_rate)


def shared_once(shared: dict | None, key, make):
    """``make()``, kept read-only in ``shared`` (a :func:`chain_basis`) under ``key`` so that
    the options priced on one basis compute it once (computed afresh without one)."""
    if shared is None:
        return make()
    if key not in shared:
        value = make()
        if isinstance(value, np.ndarray):
            value.flags.writeable = False
        shared[key] = value
    return shared[key]


def prompted_inference_usd(p: Mapping[str, Any], months, Vd, shared: dict | None = None):
    """The prompted road's inference bill, ``V_m × decline_m × (price of one prompted request
    with the system prompt and few-shot examples)`` [USD/month]; one array for every option
    that prompts (``prompt``, hybrid's prompted share, a tuned road before its model serves)."""
    def make():
        static = p["prompt.system_prompt_tokens"] + p["prompt.fewshot_tokens"]
        other = p["workload.input_tokens"] + p["workload.chat_overhead_tokens"]
        return Vd * _prompted_usd(p, static, other, months)
    return shared_once(shared, "prompted_inference", make)


def tuned_inference_usd(p: Mapping[str, Any], months, Vd, shared: dict | None = None):
    """The tuned model's inference bill if it served every month, ``V_m × decline_m × (price
    of one tuned request)`` [USD/month]."""
    return shared_once(shared, "tuned_inference", lambda: Vd * _tuned_usd(p, months))


def tuned_chat_overhead(p: Mapping[str, Any]):
    """Chat-format tokens of one request to the tuned (or self-hosted) model, ``k_ft``
    [tokens]: ``finetune.chat_overhead_tokens`` (resolved to the tuned model's own chat rule
    when unset), never the prompted request's ``workload.chat_overhead_tokens``; values made
    without it (older callers) fall back to the workload's."""
    k_ft = p.get("finetune.chat_overhead_tokens")
    return p["workload.chat_overhead_tokens"] if k_ft is None else k_ft


def _tuned_usd(p, months):
    tokens_in = (p["finetune.prompt_tokens"] + p["workload.input_tokens"]
                 + tuned_chat_overhead(p))
    return tuned_request_usd(tokens_in, p["workload.output_tokens"],
                             road_rate(p, "finetune", "input_usd_per_mtok", months),
                             road_rate(p, "finetune", "output_usd_per_mtok", months),
                             p["finetune.batch_share"],
                             road_rate(p, "finetune", "batch_discount", months),
                             reasoning_tokens=p.get("finetune.reasoning_tokens", 0.0))


def prompt_migration_usd(p: Mapping[str, Any], months) -> np.ndarray:
    """Re-engineering the prompt for its successor model, in the prompt's switch month
    [USD/month]."""
    S = switch_month(p, "prompt")
    hours = p.get("prompt.migration_hours", 0.0)
    return np.where(np.asarray(months) == S, hours * p["hourly_rate_usd"], 0.0)


def effective_accuracy(option: str, p: Mapping[str, Any]):
    """Accuracy of ``option`` [0..1]; ``rag`` defaults to the prompt's, ``hybrid`` to the
    traffic-weighted mix ``q a_ft + (1-q) a_prompt``."""
    if option == "rag":
        acc = p.get("rag.accuracy")
        return p["prompt.accuracy"] if acc is None else acc
    if option == "hybrid":
        acc = p.get("hybrid.accuracy")
        if acc is None:
            q = p["hybrid.finetuned_share"]
            return q * p["finetune.accuracy"] + (1.0 - q) * p["prompt.accuracy"]
        return acc
    return p[f"{option}.accuracy"]


CURVE_USERS = ("finetune", "hybrid", "selfhost")
"""Options whose tuned model follows a pilot curve (``finetune.pilot``) when one is given."""


def tuned_accuracy(p: Mapping[str, Any], months, shared: dict | None = None):
    """The fine-tuned model's accuracy by month [0..1]: ``finetune.accuracy``, or with a pilot
    curve ``a_max − b N_m^(−c)`` where ``N_m`` is the training set of the latest run by month
    ``m`` (``N_0 + ⌊m/R⌋ ΔN``, :func:`examples_labelled_by`).

    The training set takes a few sizes over the horizon (one per run), so for a curve drawn
    many times the power is taken once per size and draw, then spread over the months (the
    same numbers, several times fewer powers); ``shared`` keeps it for the options of one
    :func:`chain_basis`."""
    c = p.get("finetune.curve_c")
    if c is None:
        return p["finetune.accuracy"]

    def make():
        n = examples_labelled_by(np.asarray(months, dtype=float), p["finetune.examples"],
                                 p["finetune.new_examples_per_retrain"],
                                 p["finetune.retrain_every_months"])
        a_max, b = p["finetune.curve_a_max"], p["finetune.curve_b"]
        if np.ndim(n) == 1 and np.size(c) > 1:
            sizes, month_size = np.unique(n, return_inverse=True)
            return saturating_power_law(sizes, a_max, b, c)[..., month_size]
        return saturating_power_law(n, a_max, b, c)
    return shared_once(shared, "tuned_accuracy", make)


def follows_curve(option: str, p: Mapping[str, Any]) -> bool:
    """True when ``option``'s tuned model follows a pilot curve (its accuracy varies by
    month)."""
    if p.get("finetune.curve_c") is None or option not in CURVE_USERS:
        return False
    if option == "selfhost":
        return bool(p.get("selfhost.follows_pilot", 0.0))
    if option == "hybrid":
        return p.get("hybrid.accuracy") is None
    return True


def option_accuracy(option: str, p: Mapping[str, Any], months, shared: dict | None = None):
    """Accuracy of ``option``'s own model by month [0..1]: :func:`effective_accuracy`, or the
    pilot curve (:func:`tuned_accuracy`) for an option that follows one; plus
    ``<option>.accuracy_shift`` where the values carry one (the break-even accuracy solver
    shifts an option's accuracy, or its whole curve, by a constant). ``shared``: see
    :func:`tuned_accuracy`."""
    if follows_curve(option, p):
        tuned = tuned_accuracy(p, months, shared)
        if option == "hybrid":
            q = p["hybrid.finetuned_share"]
            a = q * tuned + (1.0 - q) * p["prompt.accuracy"]
        else:
            a = tuned
    else:
        a = effective_accuracy(option, p)
    shift = p.get(f"{option}.accuracy_shift")
    return a if shift is None else a + shift


def tuned_serving(option: str, p: Mapping[str, Any], months, shared: dict | None = None):
    """True in the months ``option``'s tuned model serves (``None``: every month): after its
    time to production, and before a fine-tuning road falls back to prompting [bool].
    ``shared``: a :func:`chain_basis`, which keeps it for the option's other components."""
    if option == "selfhost":
        if any_positive(p.get("selfhost.months_to_production", 0.0)):
            return shared_once(shared, ("tuned_serving", option),
                               lambda: serves_after(p, "selfhost", months))
        return None
    if option not in ("finetune", "hybrid"):
        return None

    def make():
        S = switch_month(p, "finetune")
        fallback = S != np.inf and bool(p.get("finetune.fallback", 0.0))
        waits = any_positive(p.get("finetune.months_to_production", 0.0))
        on = serves_after(p, "finetune", months) if waits else None
        if fallback:
            before = np.asarray(months) < S
            on = before if on is None else on & before
        return on
    return shared_once(shared, ("tuned_serving", option), make)


def any_positive(x) -> bool:
    """True when ``x`` (a number, or an array of them) is above 0 anywhere; a plain number is
    checked without numpy (a few microseconds less, many times per block of draws)."""
    if isinstance(x, (int, float)):
        return x > 0
    return bool(np.any(np.asarray(x) > 0))


def any_nonzero(x) -> bool:
    """True when ``x`` (a number, or an array of them) is not 0 somewhere (see
    :func:`any_positive`)."""
    if isinstance(x, (int, float)):
        return x != 0
    return bool(np.any(x))


def served_accuracy(option: str, p: Mapping[str, Any], months):
    """Accuracy of the answers ``option`` serves by month [0..1]: :func:`option_accuracy`
    while its tuned model serves, the prompt's before (time to production) and after a
    fall back to prompting (:func:`tuned_serving`)."""
    a = option_accuracy(option, p, months)
    on = tuned_serving(option, p, months)
    return a if on is None else np.where(on, a, p["prompt.accuracy"])


def chain_basis(values: Mapping[str, Any], horizon_months: int, order: str = "C"
                ) -> dict[str, Any]:
    """What every option's costs share, computed once: column-shaped values ``p``, the
    ``months``, requests ``V`` [requests/month], the per-token API price ``decline`` and
    ``V × decline``, the ``training_decline`` and ``gpu_decline`` factors
    (:func:`decline_factors`), and the ``order`` in memory of the arrays over draws and months
    it makes (requests, data costs): ``"C"`` draws first, ``"F"`` months first (see the
    module's conventions)."""
    p = as_columns(values)
    months = month_index(horizon_months)
    V = requests_per_month(p["workload.requests_per_month"], p["workload.growth_per_month"],
                           months, order)
    decline, training_decline, gpu_decline = decline_factors(p, months)
    return {"p": p, "months": months, "V": V, "decline": decline, "V_declined": V * decline,
            "training_decline": training_decline, "gpu_decline": gpu_decline,
            "order": order}


def decline_factors(p: Mapping[str, Any], months):
    """Price factors by month of per-token API rates, per-token training rates and GPU-hours,
    ``(1 - d_kind)^((m-1)/12)`` [1]. ``d_tokens`` and ``d_training`` default to
    ``price_decline``, ``d_gpu_hours`` to 0 (the scalar form moves per-token prices only).

    >>> [round(float(f[13]), 6) for f in decline_factors(    # month 13: a year on
    ...     {"price_decline": 0.2, "price_decline_gpu_hours": -0.05}, month_index(13))]
    [0.8, 0.8, 1.05]
    """
    def kind(name, default):
        value = p.get(name)
        return default if value is None else value

    d = p["price_decline"]
    return (price_decline_factor(kind("price_decline_tokens", d), months),
            price_decline_factor(kind("price_decline_training", d), months),
            price_decline_factor(kind("price_decline_gpu_hours", 0.0), months))


def option_costs(option: str, values: Mapping[str, Any], horizon_months: int,
                 *, step_part: bool = True, basis: Mapping[str, Any] | None = None
                 ) -> dict[str, np.ndarray]:
    """Monthly cost components of one option [USD/month], month 0 = one-time costs.

    Parameters
    ----------
    option : ``prompt``, ``rag``, ``finetune``, ``selfhost`` or ``hybrid``
    values : field path -> float or ``(n,)`` array (see :func:`simulator.model.resolve.resolve`)
    horizon_months : ``H``
    step_part : False leaves out self-hosted serving (the only cost that is not linear in
        volume); used by the break-even volume solver
    basis : :func:`chain_basis` of the same values, to share work between options

    Returns
    -------
    dict component -> array of shape ``(H+1,)`` or ``(n, H+1)``; only the option's components.
    """
    b = chain_basis(values, horizon_months) if basis is None else basis
    shared = b if isinstance(b, dict) else None  # work shared between options
    p, months, V, decline, Vd = b["p"], b["months"], b["V"], b["decline"], b["V_declined"]
    rate = p["hourly_rate_usd"]
    u, k = p["workload.input_tokens"], p["workload.chat_overhead_tokens"]
    static = p["prompt.system_prompt_tokens"] + p["prompt.fewshot_tokens"] \
        if option in ("prompt", "rag", "hybrid") else 0.0
    out: dict[str, np.ndarray] = {}
    prompt_upkeep = every_month(p["prompt.maintenance_hours_per_month"] * rate, months)
    if option == "prompt":
        out["engineering"] = at_month0(prompt_build_usd(p), months) + prompt_upkeep
        out["inference"] = prompted_inference_usd(p, months, Vd, shared)
        out["migration"] = prompt_migration_usd(p, months)
    elif option == "rag":
        c_emb = p["rag.embedding_usd_per_mtok"] / TOKENS_PER_MTOK
        corpus = p["rag.corpus_tokens"]
        out["engineering"] = (
            at_month0(prompt_build_usd(p) + p["rag.engineering_hours"] * rate, months)
            + prompt_upkeep)
        out["inference"] = Vd * _prompted_usd(p, static, p["rag.context_tokens"] + u + k, months)
        out["embedding"] = (at_month0(corpus * c_emb, months)
                            + every_month(corpus * p["rag.reembed_share_per_month"] * c_emb,
                                          months) * decline
                            + Vd * (u * c_emb))
        out["infrastructure"] = every_month(p["rag.vector_store_usd_per_month"], months)
        out["migration"] = prompt_migration_usd(p, months)
    elif option in ("finetune", "hybrid"):
        out.update(_finetune_api_costs(option, p, months, Vd, b["training_decline"],
                                       requests=V, shared=shared,
                                       gpu_decline=b["gpu_decline"]))
    elif option == "selfhost":
        _, billed, data, evaluation, _ = _finetune_data(p, months, capped=False,
                                                        shared=shared)
        out.update(data)
        out["training"] = gpu_training_usd(billed, p["selfhost.train_tokens_per_second"],
                                           p["selfhost.training_gpus"],
                                           p["selfhost.gpu_usd_per_hour"],
                                           p["selfhost.scaling_efficiency"]) * b["gpu_decline"]
        out["evaluation"] = evaluation
        data_prep = p["finetune.data_prep_hours"] * (1.0 - p.get("finetune.already_trained",
                                                                 0.0))
        ops = every_month(p["selfhost.ops_hours_per_month"] * rate, months)
        out["engineering"] = at_month0((data_prep + p["selfhost.engineering_hours"]) * rate,
                                       months)
        on = tuned_serving("selfhost", p, months, shared)  # None: serves from month 1
        if on is not None:
            prompting = ~on & (months >= 1)
            static = p["prompt.system_prompt_tokens"] + p["prompt.fewshot_tokens"]
            out["engineering"] = (out["engineering"]
                                  + interim_prompt_build_usd(p, "selfhost", months)
                                  + np.where(on, ops, every_month(
                                      p["prompt.maintenance_hours_per_month"] * rate, months)))
            out["inference"] = month_where(prompting,
                                           prompted_inference_usd(p, months, Vd, shared), 0.0)
            out["migration"] = np.where(prompting, prompt_migration_usd(p, months), 0.0)
            if step_part:
                out["hosting"] = selfhost_hosting_usd(p, V, months,
                                                      np.where(on, b["gpu_decline"], 0.0))
        else:
            out["engineering"] = out["engineering"] + ops
            if step_part:
                out["hosting"] = selfhost_hosting_usd(p, V, months, b["gpu_decline"])
    else:
        raise ValueError(f"unknown option {option!r}")
    if "errors" not in out:
        out["errors"] = served_error_usd(option, p, months, V, shared)
    return {c: out[c] for c in COMPONENTS if c in out}


def prompt_build_usd(p: Mapping[str, Any]):
    """Writing the prompt, ``engineering_hours × hourly rate``; 0 when it is already built
    (``prompt.already_built``: sunk) [USD]."""
    return (p["prompt.engineering_hours"] * p["hourly_rate_usd"]
            * (1.0 - p.get("prompt.already_built", 0.0)))


def serves_after(p: Mapping[str, Any], road: str, months) -> np.ndarray:
    """True in the months the tuned model of ``road`` (``finetune``/``selfhost``) serves:
    after its ``months_to_production`` ``M`` (months ``M+1 .. H``) [bool]."""
    return np.asarray(months) > p.get(f"{road}.months_to_production", 0.0)


def interim_prompt_build_usd(p: Mapping[str, Any], road: str, months):
    """Writing the prompt at month 0 for an option whose tuned model serves only from month
    ``M+1``, so that the prompted road can serve until then (0 when ``M`` is 0 or the prompt
    is already built) [USD/month]."""
    waits = np.asarray(p.get(f"{road}.months_to_production", 0.0)) > 0
    return at_month0(np.where(waits, prompt_build_usd(p), 0.0), months)


def _finetune_api_costs(option: str, p: Mapping[str, Any], months: np.ndarray, Vd, decline,
                        *, requests, shared: dict | None = None, gpu_decline=1.0
                        ) -> dict[str, np.ndarray]:
    """Components of ``finetune`` and ``hybrid`` (a provider's fine-tuning service), with the
    time to production (the prompted road serves until month ``M``) and the offering's switch
    month: migration to the successor or fallback to prompting.

    ``Vd`` is the requests times the per-token price factor, ``decline`` the training price
    factor and ``gpu_decline`` the GPU-hour factor of the hourly hosting fee. Hosting per
    month is ``h_hr × 730 × gpu_decline / adapters_per_deployment + storage`` [USD/month]:
    fine-tunes that share one dedicated deployment share its hourly fee."""
    rate = p["hourly_rate_usd"]
    S = switch_month(p, "finetune")
    fallback = S != np.inf and bool(p.get("finetune.fallback", 0.0))
    tuned_on = tuned_serving(option, p, months, shared)

    def while_tuned(a):
        """``a`` in the months the tuned model serves, 0 before it does and after a fallback
        to prompting."""
        return a if tuned_on is None else np.where(tuned_on, a, 0.0)

    runs, billed, data, evaluation, validation = _finetune_data(
        p, months, capped=True, lifecycle=True, shared=shared)
    training = (api_training_usd(runs, billed, road_rate(p, "finetune", "train_usd_per_mtok",
                                                         months),
                                 road_rate(p, "finetune", "min_charge_usd", months), decline)
                + validation / TOKENS_PER_MTOK
                * road_rate(p, "finetune", "validation_usd_per_mtok", months) * decline)
    fixed = (road_rate(p, "finetune", "hosting_usd_per_hour", months) * HOURS_PER_MONTH
             * gpu_decline / p.get("finetune.adapters_per_deployment", 1.0)
             + road_rate(p, "finetune", "storage_usd_per_month", months))
    out: dict[str, np.ndarray] = {
        **data,
        "training": training,
        "evaluation": evaluation,
        "hosting": while_tuned(every_month(fixed, months)),
    }
    tuned = tuned_inference_usd(p, months, Vd, shared)
    prompted = 0.0
    if option == "hybrid" or tuned_on is not None:  # the prompt's numbers are resolved then
        prompted = prompted_inference_usd(p, months, Vd, shared)
    tuned_upkeep = while_tuned(every_month(p["finetune.maintenance_hours_per_month"] * rate,
                                           months))
    prompt_upkeep = every_month(p["prompt.maintenance_hours_per_month"] * rate, months)
    prompt_move = prompt_migration_usd(p, months)
    data_prep = p["finetune.data_prep_hours"] * rate * (1.0 - p.get("finetune.already_trained",
                                                                     0.0))
    interim_build = interim_prompt_build_usd(p, "finetune", months)
    if option == "finetune":
        out["engineering"] = (at_month0(data_prep, months) + interim_build + tuned_upkeep
                              + (0.0 if tuned_on is None
                                 else np.where(tuned_on, 0.0, prompt_upkeep)))
        out["inference"] = tuned if tuned_on is None else month_where(tuned_on, tuned, prompted)
        # The prompt's own move is paid in the months this option prompts; re-engineering a
        # prompt it builds in the same month is part of building it.
        migration = np.zeros(np.shape(months)) if tuned_on is None else np.where(
            tuned_on | (np.asarray(months) < 1), 0.0, prompt_move)
        # The prompt a fallback goes back to exists when it was built before, or at month 0
        # to serve until the tuned model did; otherwise it is written in month S.
        ready = np.maximum(p.get("prompt.already_built", 0.0),
                           np.asarray(p.get("finetune.months_to_production", 0.0)) > 0)
        if fallback:
            migration = np.where((np.asarray(months) == S) & (ready == 0), 0.0, migration)
    else:
        q = p["hybrid.finetuned_share"]
        out["engineering"] = (
            at_month0(prompt_build_usd(p) + data_prep, months) + prompt_upkeep + tuned_upkeep)
        mix = _plus(_times(q, tuned), _times(1.0 - q, prompted) if tuned_on is None
                    else (1.0 - q) * prompted)
        out["inference"] = mix if tuned_on is None else month_where(tuned_on, mix, prompted,
                                                                     overwrite=True)
        migration = prompt_move
    if S != np.inf:
        at = np.asarray(months) == S
        if fallback:
            if option == "finetune":
                migration = migration + np.where(
                    at, p["prompt.engineering_hours"] * rate * (1.0 - ready), 0.0)
        else:
            migration = migration + np.where(
                at, out["training"] + out["evaluation"] + p["finetune.migration_hours"] * rate,
                0.0)
            out["training"] = np.where(at, 0.0, out["training"])
            out["evaluation"] = np.where(at, 0.0, out["evaluation"])
    out["migration"] = migration
    out["errors"] = served_error_usd(option, p, months, requests, shared)
    return out


def selfhost_tokens_per_request(p: Mapping[str, Any]):
    """Tokens a self-hosted replica processes per request, ``s_ft + u + k_ft + o + z_sh``
    [tokens] (``z_sh``: ``selfhost.reasoning_tokens``, generated like output)."""
    return (p["finetune.prompt_tokens"] + p["workload.input_tokens"]
            + tuned_chat_overhead(p) + p["workload.output_tokens"]
            + p.get("selfhost.reasoning_tokens", 0.0))


def replica_gpus(p: Mapping[str, Any]):
    """GPUs of one serving replica ``n`` (:func:`simulator.model.throughput.gpus_per_replica`;
    1 where the values carry none) [GPUs]."""
    return p.get("selfhost.gpus_per_replica", 1.0)


def selfhost_replica_tokens_per_second(p: Mapping[str, Any]):
    """Throughput of one replica, ``n × t_gpu`` [tokens/s]: ``n`` GPUs each serving the
    per-GPU share ``t_gpu`` (``selfhost.serve_tokens_per_second``) of the run measured."""
    return p["selfhost.serve_tokens_per_second"] * replica_gpus(p)


def selfhost_capacity_tokens(p: Mapping[str, Any]):
    """Tokens one self-hosted replica serves in a month, ``n × t_gpu × 3600 × 730 × u``
    [tokens/month]."""
    return replica_capacity_tokens(selfhost_replica_tokens_per_second(p),
                                   p["selfhost.utilisation"])


def selfhost_replica_usd_per_hour(p: Mapping[str, Any]):
    """One replica for one hour, ``n × p_gpu`` [USD/h]."""
    return p["selfhost.gpu_usd_per_hour"] * replica_gpus(p)


def selfhost_hosting_usd(p: Mapping[str, Any], requests, months, price_factor=1.0
                         ) -> np.ndarray:
    """Self-hosted serving bill from traffic [USD/month] (``p`` already column-shaped):
    ``replicas_m × n × 730 h × p_gpu × f_m`` with ``replicas_m = max(min_replicas,
    ceil(tokens_m / (n × t_gpu × 3600 × 730 × u)))`` and ``f_m`` the month's ``price_factor``
    (the GPU-hour price movement, 0 in months the replicas do not serve).

    The requests are scaled to replicas in one pass (requests × tokens per request per
    replica-month), the rounding runs in place, and one more pass prices them.

    >>> p = {"finetune.prompt_tokens": 0, "workload.input_tokens": 900,
    ...      "workload.chat_overhead_tokens": 0, "workload.output_tokens": 100,
    ...      "selfhost.serve_tokens_per_second": 100.0, "selfhost.gpus_per_replica": 4.0,
    ...      "selfhost.utilisation": 1.0, "selfhost.min_replicas": 1,
    ...      "selfhost.gpu_usd_per_hour": 1.09}
    >>> selfhost_hosting_usd(p, np.array([0.0, 1.0]), month_index(1)).round(2).tolist()
    [0.0, 3182.8]
    """
    replicas = whole_replicas(
        requests * (selfhost_tokens_per_request(p) / selfhost_capacity_tokens(p)),
        p["selfhost.min_replicas"], months)
    return _times(HOURS_PER_MONTH * selfhost_replica_usd_per_hour(p) * price_factor, replicas)


def total_usd(components: Mapping[str, np.ndarray], out: np.ndarray | None = None
              ) -> np.ndarray:
    """Sum of components per month [USD/month], in one array of their common shape (``out``,
    when given, is that array). Components smaller than the sum (the same in every draw,
    ``(H+1,)`` against ``(n, H+1)``) are added together first, then once to the rest: one
    pass over the large array fewer for each.

    The additions are made in the same order whatever the arrays' layout in memory (draws
    first or months first, :mod:`simulator.model.cost`), so the sums are the same; large
    components laid out otherwise than ``out`` are summed in their own layout and copied
    into ``out`` once (numpy adds two layouts element by element across the grain, up to
    thirty times slower than that copy), or, where the layouts are mixed, each is copied
    into ``out``'s layout before it is added.

    >>> total_usd({"a": np.ones((2, 3)), "b": np.arange(3.0), "c": np.ones(3)}).tolist()
    [[2.0, 3.0, 4.0], [2.0, 3.0, 4.0]]
    """
    arrays = list(components.values())
    if out is None:
        out = np.empty(np.broadcast_shapes(*{np.shape(a) for a in arrays}))
    small = [_same_in_every_draw(a, out) for a in arrays]
    large = [a for a, s in zip(arrays, small) if not s]
    across = [_across_grain(a, out) for a in large]
    if any(across) and not all(across):     # mixed: each copied into out's layout first
        order = "F" if out.flags.f_contiguous else "C"
        large = [np.asarray(a, order=order) if x else a for a, x in zip(large, across)]
    if not large:
        out[...] = 0.0
    elif len(large) == 1:
        out[...] = large[0]
    else:  # into out directly (no copy), or, all across the grain, in their own layout
        total = np.add(large[0], large[1], out=None if all(across) else out)
        for a in large[2:]:
            total += a
        if total is not out:
            out[...] = total
    rest = None
    for a, s in zip(arrays, small):
        if s:
            rest = a if rest is None else rest + a
    if rest is not None:
        out += rest
    return out


def _same_in_every_draw(a, out: np.ndarray) -> bool:
    """True for a component smaller than the sum ``out``: the same in every draw (``(H+1,)``)
    or in every month (a column of draws), at most half its size. In a block of one draw
    (``out`` ``(1, H+1)``) it is told by its shape, so that a draw's sum is added in the same
    order whatever block it is priced in."""
    if out.ndim == 2 and out.shape[0] == 1:
        return np.ndim(a) < 2 or np.shape(a)[-1] < out.shape[-1]
    return 2 * np.size(a) <= out.size


def _across_grain(a, out: np.ndarray) -> bool:
    """True when ``a`` and ``out`` (2-D, of one shape) are laid out in memory the two
    different ways: one draws first (C order), the other months first (Fortran order)."""
    if out.ndim < 2 or np.ndim(a) < 2 or out.flags.c_contiguous == out.flags.f_contiguous:
        return False
    return bool(a.flags.c_contiguous if out.flags.f_contiguous else a.flags.f_contiguous) \
        and not (a.flags.c_contiguous and a.flags.f_contiguous)


def all_costs(values: Mapping[str, Any] | None, options, horizon_months: int, *,
              basis: Mapping[str, Any] | None = None, broadcast: bool = True
              ) -> dict[str, dict[str, np.ndarray]]:
    """:func:`option_costs` for each option, every array broadcast to one common shape
    (``broadcast`` False: as made, ``(H+1,)`` where a component is the same in every draw).
    ``basis``: :func:`chain_basis` of ``values``, which may then be None."""
    basis = chain_basis(values, horizon_months) if basis is None else basis
    costs = {o: option_costs(o, values, horizon_months, basis=basis) for o in options}
    if not broadcast:
        return costs
    shape = np.broadcast_shapes(*(a.shape for comps in costs.values() for a in comps.values()))
    return {o: {c: np.broadcast_to(a, shape) for c, a in comps.items()}
            for o, comps in costs.items()}
