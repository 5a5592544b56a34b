"""The chain: scenario -> rates and counts -> monthly costs -> totals -> :class:`Result`.

:func:`evaluate` is the vectorised core shared by :func:`simulate`, the grid, the tornado
and the Monte Carlo run: it takes the flat field values (floats or ``(n,)`` arrays) and
returns per-option monthly costs and the summary figures as arrays.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import numpy as np

from pricing import PriceTable, default_table
from pricing.table import table_fingerprint

from ..core.wording import MATERIAL_UPFRONT_SHARE, MATERIAL_UPFRONT_USD, format_usd
from .breakeven import (
    VOLUME_PROBE,
    at_or_below_limit,
    breakeven_month_by_month,
    breakeven_month_of_ok,
    crossings_by_row,
    cumulative_usd,
    cumulative_usd_by_month,
    npv_usd,
    payback_month_of_ok,
    tco_usd,
    volume_windows,
)
from .cost import (
    all_costs,
    as_columns,
    chain_basis,
    effective_accuracy,
    follows_curve,
    option_accuracy,
    option_costs,
    served_accuracy,
    total_usd,
)
from .evidence import (
    LEVEL,
    curve_draws,
    eval_counts,
    evidence_distributions,
    posterior_interval,
    scenario_curve,
)
from .lifecycle import month_start
from .resolve import Inputs, resolve
from .result import SUMMARY_COLUMNS, Result
from .scenario import Scenario


def material_upfront(upfront_usd, tco_usd):
    """True where an upfront investment is material enough to quote a return on: at least
    :data:`~simulator.core.wording.MATERIAL_UPFRONT_USD` and at least
    :data:`~simulator.core.wording.MATERIAL_UPFRONT_SHARE` of the option's TCO. Elsewhere the ROI
    is missing (``n/a``), never a five-digit multiple of a few cents."""
    return ((upfront_usd >= MATERIAL_UPFRONT_USD)
            & (upfront_usd >= MATERIAL_UPFRONT_SHARE * tco_usd))


def follow(inputs: Inputs, values: Mapping[str, Any]) -> Mapping[str, Any]:
    """``values`` where a field left unset in the scenario follows its source when only the
    source was changed (a drawn or swung prompt upkeep moves the tuned model's, which
    defaults to it); a field changed itself keeps its own values."""
    changes = {dst: values[src] for dst, src in inputs.follows.items()
               if values[src] is not inputs.values[src]
               and values[dst] is inputs.values[dst]}
    return dict(values, **changes) if changes else values


def evaluate(inputs: Inputs, values: Mapping[str, Any] | None = None, *,
             volumes: bool = True, names: Collection[str] | None = None,
             keep_costs: bool = True, workspace: np.ndarray | None = None,
             order: str = "C", layouts: set | None = None, hold: list | None = None
             ) -> tuple[dict, dict]:
    """Monthly costs and summary figures of every simulated option.

    Parameters
    ----------
    inputs : from :func:`simulator.model.resolve.resolve`
    values : field values to use instead of ``inputs.values`` (floats or ``(n,)`` arrays)
    volumes : also find the volumes at which each option is cheaper: the same chain prices
        two more month-1 volumes (0 and :data:`~simulator.model.breakeven.VOLUME_PROBE`) in the
        same call, which gives each TCO's value at zero volume and its slope
    names : the figures wanted (default: all of :data:`SUMMARY_COLUMNS`); the others are
        neither computed nor returned (a Monte Carlo run needs three, a grid two)
    keep_costs : False (only without ``volumes``): each option's components are summed into
        its monthly total as soon as they are made and not kept, so that one option's
        components are in memory at a time (``costs`` is then empty)
    workspace : a flat float array of ``options × n × (H+1)`` elements to write the
        monthly totals in (without ``volumes``), reused by a caller that evaluates block
        after block, so that the largest arrays of a block are not made and freed each
        time; the figures returned may be views of it, valid until it is written again
    order : the memory layout of the arrays over draws and months the chain makes
        (:func:`~simulator.model.cost.chain_basis`): ``"C"`` draws first, ``"F"`` months
        first, faster for many draws where the arrays come out in that one layout
    layouts : a set, to which ``"C"`` and ``"F"`` are added as the streamed components
        (``keep_costs`` False) come out in that layout; a caller evaluating block after
        block with ``order="F"`` goes back to ``"C"`` when a block gave both (numpy adds
        two layouts across the grain, many times slower)
    hold : a list to which the arrays the options share (the chain's basis) are added, for a
        caller evaluating block after block to hold until the next block has made its own:
        released in between, their memory sits at the top of glibc's heap, which gives it
        back to the kernel, and the next block faults it in again page by page

    Returns
    -------
    costs : option -> component -> array ``(H+1,)`` or ``(n, H+1)`` [USD/month]
    figures : option -> figure name (:data:`SUMMARY_COLUMNS`) -> float or ``(n,)`` array;
        with ``volumes`` also ``volume_windows`` (one
        :class:`~simulator.model.breakeven.VolumeWindows` per draw), and for a single scenario
        ``crossings`` (:func:`~simulator.model.breakeven.crossing_months`)
    """
    values = inputs.values if values is None else follow(inputs, values)
    want = set(SUMMARY_COLUMNS) if names is None else set(names)
    H = inputs.horizon_months
    n = _draw_count(values)
    basis = chain_basis(_with_volume_probes(values, n) if volumes else values, H, order)
    streamed = not (keep_costs or volumes)
    if hold is not None:
        hold.append(basis)
    probed = {} if streamed else all_costs(None, inputs.options, H, basis=basis,
                                           broadcast=False)
    p = basis["p"] if n and not volumes else as_columns(values) if n else values
    months = basis["months"]
    V = _block(basis["V"], 0, n) if volumes else basis["V"]
    raw = {o: {c: _block(a, 0, n) if volumes and a.ndim == 2 else a for c, a in comps.items()}
           for o, comps in probed.items()} if volumes else probed
    shape = (n, H + 1) if n else (H + 1,)
    if not streamed:
        shape = np.broadcast_shapes(*{a.shape for comps in raw.values()
                                      for a in comps.values()})
    costs = {o: {c: a if a.shape == shape else np.broadcast_to(a, shape)
                 for c, a in comps.items()} for o, comps in raw.items()}
    # Every option's monthly totals in one array (options first), so that each figure is
    # one numpy operation over all options; it is ours, so running sums go in place.
    options = list(inputs.options)
    index = {o: i for i, o in enumerate(options)}
    # Streamed, an option's running sums are taken right after its total is summed, while it
    # is in cache (month 0, the upfront, is the same either way; NPV needs the monthly totals).
    early = streamed and "npv_usd" not in want and bool(
        want & {"breakeven_month", "payback_month"})
    # Requests by month differing by draw are laid out months first, and so are the
    # components made from them (simulator.model.cost): the totals of many draws then are
    # too, and in a Monte Carlo block so are the running sums, where each option's components
    # add straight into them, and adding one month to the next and finding the break-even
    # month are contiguous passes.
    months_first = order == "F" and streamed and n > 0
    by_month = early and months_first and "payback_month" not in want
    if volumes:
        probed_totals = np.empty((len(options), 3 * max(n, 1), H + 1))
        for i, o in enumerate(options):
            total_usd(probed[o], out=probed_totals[i])
        totals = (probed_totals[:, :n] if n else probed_totals[:, 0]).copy()
    elif by_month:
        totals = _carve(workspace, (len(options), H + 1, n))      # months first
        for i, o in enumerate(options):
            total_usd(_noted(option_costs(o, None, H, basis=basis), layouts), out=totals[i].T)
            cumulative_usd_by_month(totals[i])
    else:
        totals = _carve(workspace, (len(options),) + shape[::-1]).transpose(0, 2, 1) \
            if months_first else _carve(workspace, (len(options),) + shape)
        for i, o in enumerate(options):
            total_usd(_noted(option_costs(o, None, H, basis=basis), layouts) if streamed
                      else probed[o], out=totals[i])
            if early:
                cumulative_usd(totals[i], overwrite=True)
    requests = np.sum(V, axis=-1) if want & {"requests", "cost_per_request_usd"} else None
    fig_all: dict[str, np.ndarray] = {}
    if "npv_usd" in want:
        fig_all["npv_usd"] = npv_usd(totals, p["discount_rate"])
    upfront = (totals[:, 0] if by_month else totals[..., 0]).copy()
    if "upfront_usd" in want:
        fig_all["upfront_usd"] = upfront
    base = index[inputs.baseline]
    if by_month:
        cum = totals
        tco = cum[:, -1]
    elif n == 0 or want & {"breakeven_month", "payback_month"}:
        cum = totals if early else cumulative_usd(totals, overwrite=True)
        tco = cum[..., -1]
    else:  # only the totals over the horizon are wanted (a grid): no running sums
        tco = tco_usd(totals)
    savings = tco[base] - tco
    fig_all["tco_usd"], fig_all["savings_usd"] = tco, savings
    if "requests" in want:
        fig_all["requests"] = np.broadcast_to(requests, tco.shape)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        # ROI needs an investment (a millionth of a dollar or more); cost per request at
        # least one request in total. Otherwise they are missing (NaN), never infinite.
        if "roi" in want:
            invested = material_upfront(upfront, tco)
            fig_all["roi"] = np.where(invested, savings / np.where(invested, upfront, 1.0),
                                      np.nan)
        if "cost_per_request_usd" in want:
            fig_all["cost_per_request_usd"] = np.where(
                requests >= 1, tco / np.where(requests >= 1, requests, 1.0), np.nan)
    ok = None
    if by_month:
        fig_all["breakeven_month"] = breakeven_month_by_month(cum, at_or_below_limit(cum[base]))
    elif n == 0 or want & {"breakeven_month", "payback_month"}:
        ok = cum <= at_or_below_limit(cum[base])
        if "breakeven_month" in want:
            fig_all["breakeven_month"] = breakeven_month_of_ok(ok)
        if "payback_month" in want:
            fig_all["payback_month"] = payback_month_of_ok(ok)
    if "accuracy" in want:
        accuracy = [_accuracy(o, p, months, V) for o in options]
        fig_all["accuracy"] = np.array(accuracy, dtype=float) if n == 0 else np.stack(
            [np.broadcast_to(a, tco.shape[1:]) for a in accuracy])
    if "cost_per_correct_usd" in want:
        correct = np.stack([np.broadcast_to(np.sum(V * served_accuracy(o, p, months), axis=-1),
                                            tco.shape[1:]) for o in options])
        with np.errstate(divide="ignore", invalid="ignore"):
            fig_all["cost_per_correct_usd"] = np.where(
                correct >= 1, tco / np.where(correct >= 1, correct, 1.0), np.nan)
    figures: dict[str, dict[str, Any]] = {
        o: {name: a[i] for name, a in fig_all.items()} for i, o in enumerate(options)}
    if n == 0:
        for o, crossings in zip(options, crossings_by_row(ok)):
            figures[o]["crossings"] = crossings
    if volumes:
        at_zero, slope = _linear_parts(probed_totals, probed, options, n)
        a_b, b_b = at_zero[base], slope[base]
        for option in options:
            if option == inputs.baseline:
                figures[option]["breakeven_volume"] = np.full(tco.shape[1:], np.nan)
                continue
            i = index[option]
            windows = volume_windows(at_zero[i], slope[i], a_b, b_b, option, inputs.baseline,
                                     p, months)
            figures[option]["volume_windows"] = windows
            figures[option]["breakeven_volume"] = windows[0].smallest if n == 0 \
                else np.array([w.smallest for w in windows])
    return costs, figures


def _noted(components: Mapping[str, np.ndarray], layouts: set | None
           ) -> Mapping[str, np.ndarray]:
    """``components``, with the layouts of those over draws and months (``"C"``, ``"F"``)
    added to ``layouts`` (when given)."""
    if layouts is not None:
        for a in components.values():
            if a.ndim == 2 and a.shape[0] > 1:
                layouts.add("C" if a.flags.c_contiguous else "F" if a.flags.f_contiguous
                            else "?")
    return components


def _carve(workspace: np.ndarray | None, shape: tuple[int, ...]) -> np.ndarray:
    """A float array of ``shape`` made of the start of the flat ``workspace`` (a new one when
    there is none, or it is too small)."""
    size = math.prod(shape)
    if workspace is None or workspace.size < size:
        return np.empty(shape)
    return workspace[:size].reshape(shape)


def _accuracy(option: str, p: Mapping[str, Any], months=None, V=None) -> np.ndarray:
    """:func:`~simulator.model.cost.effective_accuracy` of one option, one value per draw [0..1];
    for an option that follows a pilot curve, its accuracy over the horizon weighted by each
    month's requests (the month-1 accuracy when there are none)."""
    if months is not None and follows_curve(option, p):
        a = np.broadcast_to(option_accuracy(option, p, months), np.shape(V)) * 1.0
        total = np.sum(V, axis=-1)
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = np.sum(a * V, axis=-1) / np.where(total > 0, total, 1.0)
        return np.where(total > 0, mean, a[..., min(1, a.shape[-1] - 1)])
    acc = np.asarray(effective_accuracy(option, p), dtype=float)
    return acc[..., 0] if acc.ndim == 2 else acc


def _draw_count(values: Mapping[str, Any]) -> int:
    """The length of the draw axis of ``values`` (0 when every value is a scalar)."""
    return max((v.shape[0] for v in values.values()
                if isinstance(v, np.ndarray) and v.ndim == 1), default=0)


def _with_volume_probes(values: Mapping[str, Any], n: int) -> dict[str, Any]:
    """``values`` three times over along the draw axis, with month-1 volume as given, 0 and
    :data:`~simulator.model.breakeven.VOLUME_PROBE` in the three blocks."""
    out = {k: (np.tile(v, 3) if isinstance(v, np.ndarray) and v.ndim == 1 else v)
           for k, v in values.items()}
    volume = np.broadcast_to(np.asarray(values["workload.requests_per_month"], dtype=float),
                             (max(n, 1),))
    out["workload.requests_per_month"] = np.concatenate(
        [volume, np.zeros_like(volume), np.full_like(volume, VOLUME_PROBE)])
    return out


def _block(array: np.ndarray, k: int, n: int) -> np.ndarray:
    """Block ``k`` of :func:`_with_volume_probes`' rows (a single row when ``n`` is 0)."""
    return array[k] if n == 0 else array[k * n:(k + 1) * n]


def _linear_parts(probed_totals: np.ndarray, probed: Mapping[str, Mapping[str, np.ndarray]],
                  options: list[str], n: int) -> tuple[np.ndarray, np.ndarray]:
    """Each option's TCO without self-hosted serving at ``V_1 = 0`` [USD] and its slope per
    month-1 request [USD per request/month], options first, from the probed rows of the
    monthly totals ``(options, 3 blocks, H+1)`` (the TCO is linear in ``V_1`` once the
    replica steps are set aside)."""
    tco = tco_usd(probed_totals)
    if "selfhost" in options:
        i = options.index("selfhost")
        tco[i] -= tco_usd(np.broadcast_to(probed["selfhost"]["hosting"],
                                          probed_totals.shape[1:]))
    at_zero = tco[:, n:2 * n] if n else tco[:, 1]
    return at_zero, ((tco[:, 2 * n:] if n else tco[:, 2]) - at_zero) / VOLUME_PROBE


def simulate(scenario: Scenario, *, table: PriceTable | None = None) -> Result:
    """Price every option of ``scenario`` month by month and compare it with the baseline.

    Rates come from ``table`` (default: the shipped price table) unless the scenario pins
    them. Returns a :class:`~simulator.model.result.Result` with every cost and figure computed;
    its tidy monthly table, per-option summary and price table (every rate used with its
    source) are pandas views built when first read.
    """
    if not isinstance(scenario, Scenario):
        raise TypeError(f"simulate() takes a Scenario, got {type(scenario).__name__}")
    inputs = resolve(scenario, table)
    costs, figures = evaluate(inputs)
    add_evidence_figures(scenario, inputs, figures)
    moves, short = move_sentences(inputs, costs)
    steps = tuple(s[0].upper() + s[1:] + "." for s in inputs.schedules)
    calendar = (moves or (calm_sentence(inputs),)) + steps
    moves = moves + steps
    return Result(scenario=scenario, costs=costs, figures=figures,
                  price_rows=tuple(inputs.prices),
                  notes=tuple(c for c in calendar if c) + tuple(inputs.notes),
                  start_date=inputs.start_date, lifecycle=moves, lifecycle_short=short,
                  sunk=sunk_items(inputs, costs), table_name=table_name(table),
                  price_table=table, warnings=inputs.warnings)


@dataclass(frozen=True, kw_only=True)
class SunkItem:
    """Money already spent, which no option is charged (a sunk cost).

    field : the scenario field that says so (``prompt.already_built`` …)
    what : what it is, in words (``prompt engineering (40 h)``)
    amount_usd : what it would have cost the option named [USD]
    option : the first simulated option that would have paid it
    """

    field: str
    what: str
    amount_usd: float
    option: str

    def words(self) -> str:
        """``prompt engineering (40 h), $4,000``."""
        return f"{self.what}, {format_usd(self.amount_usd)}"


SUNK_FIELDS = (
    ("finetune.already_trained", ("finetune", "hybrid")),
    ("finetune.examples_on_hand", ("finetune", "hybrid", "selfhost")),
    ("prompt.already_built", ("prompt", "rag", "hybrid", "finetune", "selfhost")),
)
"""Fields that mark money already spent, and the options that would pay it, in the order
their amounts are counted (each one's amount is what turning it off adds, with those before
it already off, so the amounts add up without counting an example twice)."""


YES_NO_FIELDS = frozenset({"finetune.already_trained"})
"""Sunk fields the cost chain reads as one yes or no, never as a column of draws: each is
priced on its own (the others, stacked)."""


def sunk_items(inputs: Inputs, costs: Mapping[str, Mapping[str, np.ndarray]]
               ) -> tuple[SunkItem, ...]:
    """What the scenario says is already paid, by name and amount (never silently dropped).

    Each amount is the option's TCO with the item counted less its TCO as simulated [USD],
    with the items before it in :data:`SUNK_FIELDS` already counted. The values with none,
    one, two … items counted are the rows of one pricing of the chain (a column of draws per
    field), so each option that pays an item is priced once for all of them; a
    :data:`YES_NO_FIELDS` item is priced on its own first.
    """
    values = dict(inputs.values)
    H = inputs.horizon_months
    items = []
    for path, users in SUNK_FIELDS:
        option = next((o for o in users if o in costs), None)
        if values.get(path) and option is not None:
            items.append((path, option))
    amounts: list[float] = []
    # The yes/no items, one by one, the simulated TCOs standing for "before".
    alone = max((i + 1 for i, (path, _) in enumerate(items) if path in YES_NO_FIELDS),
                default=0)
    known: dict[str, float] = {}
    for i, (path, option) in enumerate(items[:alone]):
        before = (known[option] if option in known else
                  float(np.sum(total_usd(costs[option]))) if i == 0 else _tco(option, values, H))
        values[path] = 0.0
        known = {option: _tco(option, values, H)}
        amounts.append(known[option] - before)
    # The rest stacked: row j has the first j of them counted (row 0: none).
    rest = items[alone:]
    if rest:
        rows = np.arange(len(rest) + 1)
        stacked = dict(values, **{path: np.where(rows <= j, values[path], 0.0)
                                  for j, (path, _) in enumerate(rest)})
        basis = chain_basis(stacked, H)
        by_row: dict[str, np.ndarray] = {}
        for j, (_, option) in enumerate(rest, start=1):
            if option not in by_row:
                by_row[option] = np.broadcast_to(
                    _tco(option, stacked, H, basis=basis), rows.shape)
            amounts.append(float(by_row[option][j]) - float(by_row[option][j - 1]))
    return tuple(SunkItem(field=path, what=_sunk_words(path, inputs.values), amount_usd=amount,
                          option=option)
                 for (path, option), amount in zip(items, amounts) if amount > 0)


def _tco(option: str, values: Mapping[str, Any], horizon_months: int, *,
         basis: Mapping[str, Any] | None = None):
    """The option's undiscounted TCO [USD]: a float, or one per row of ``(n,)`` values."""
    tco = np.sum(total_usd(option_costs(option, values, horizon_months, basis=basis)),
                 axis=-1)
    return float(tco) if np.ndim(tco) == 0 else tco


def _sunk_words(path: str, values: Mapping[str, Any]) -> str:
    if path == "prompt.already_built":
        return f"prompt engineering ({float(values['prompt.engineering_hours']):g} h)"
    if path == "finetune.examples_on_hand":
        return (f"labelling the {int(values['finetune.examples_on_hand']):,} examples on "
                f"hand")
    return "the existing fine-tune's first training run, its evaluation and data preparation"


SHIPPED_TABLE_NAME = "the shipped price table"


def table_name(table: PriceTable | None) -> str:
    """The price table in words, to tell two answers' tables apart: the shipped one, or
    another with a fingerprint of its rows."""
    if table is None or table is default_table():
        return SHIPPED_TABLE_NAME
    if not isinstance(table, PriceTable):
        return f"a price table of your own ({type(table).__name__} object at {id(table):#x})"
    return f"a price table of your own (rows {table_fingerprint(table)})"


def _prompt_ready(values: Mapping[str, Any]) -> bool:
    """True when the fine-tuning road's fallback prompt exists before its switch month: built
    already, or written at month 0 to serve until the tuned model did."""
    return bool(values.get("prompt.already_built")) or bool(
        np.any(np.asarray(values.get("finetune.months_to_production", 0.0)) > 0))


def calm_sentence(inputs: Inputs) -> str:
    """For a horizon no road closes in: what was checked, to which date (empty when
    nothing was)."""
    if not inputs.roads or inputs.start_date is None:
        return ""
    end = month_start(inputs.start_date, inputs.horizon_months + 1) - timedelta(days=1)
    return (f"No announced retirement or closing date falls inside the horizon "
            f"({inputs.start_date.isoformat()} to {end.isoformat()}) for "
            f"{' or '.join(inputs.roads)}.")


ROAD_USERS = {"prompt": ("prompt", "rag", "hybrid", "finetune"), "finetune": ("finetune", "hybrid")}
"""Options that travel each road, in the order their migration cost is quoted."""


def move_sentences(inputs: Inputs, costs: Mapping[str, Mapping[str, np.ndarray]]
                   ) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Each road that closes inside the horizon, in words, dates and dollars: what closes,
    where it goes from which month, and what the move costs (the ``migration`` component of
    the first option on that road). Returns full sentences and short clauses (for a
    headline)."""
    out, short = [], []
    for road in ("finetune", "prompt"):
        move = inputs.moves.get(road)
        if move is None:
            continue
        users = [o for o in ROAD_USERS[road] if o in costs and "migration" in costs[o]]
        if road == "prompt" and "finetune" in users and not (
                "finetune" in inputs.moves and inputs.moves["finetune"].fallback
                and inputs.moves["finetune"].month < move.month):
            users.remove("finetune")
        if not users:
            continue
        S = move.month
        cost = float(np.asarray(costs[users[0]]["migration"])[..., S].reshape(-1)[0])
        events = "; ".join(e.words() for e in move.events)
        when = f"from month {S} (starting {month_start(inputs.start_date, S).isoformat()})"
        why = f" ({move.why})" if move.why else ""
        subject = move.events[0].subject if move.events else road
        if road == "prompt":
            hours = float(inputs.values["prompt.migration_hours"])
            short.append(f"{subject} retires in month {S}: moving to {move.to} costs "
                         f"{format_usd(cost)}")
            text = (f"{events}: {when} the prompt moves to {move.to}{why} at its rates; "
                    f"re-engineering the prompt costs {format_usd(cost)} ({hours:g} h)")
        elif move.fallback:
            hours = float(inputs.values["prompt.engineering_hours"])
            short.append(f"{subject} fine-tuning closes in month {S}: falling back to "
                         f"prompting costs {format_usd(cost)}")
            to = move.to
            prompt_move = inputs.moves.get("prompt")
            if prompt_move is not None and prompt_move.month <= S:
                to = f"prompting {prompt_move.to}"
            text = (f"{events}: {when} the fine-tuning road falls back to {to}{why}; "
                    f"the move costs {format_usd(cost)}"
                    + (f" ({hours:g} h of prompt engineering)" if users[0] == "finetune"
                       and cost and not _prompt_ready(inputs.values) else
                       f" (moving the prompt it already has: "
                       f"{float(inputs.values['prompt.migration_hours']):g} h)"
                       if users[0] == "finetune" and cost else "")
                    + ", and the prompt's inference and upkeep replace the tuned model's")
        else:
            hours = float(inputs.values["finetune.migration_hours"])
            short.append(f"{subject} fine-tuning closes in month {S}: migrating to "
                         f"{move.to} costs {format_usd(cost)}")
            text = (f"{events}: {when} the fine-tuning road migrates to {move.to}{why}; the "
                    f"migration costs {format_usd(cost)} in month {S} (a training run on the "
                    f"successor with every example labelled so far, its evaluation and "
                    f"{hours:g} h of engineering), and the successor's rates apply from then on")
        out.append(text[0].upper() + text[1:] + ".")
    return tuple(out), tuple(short)


# ---- accuracy: the break-even accuracy and what the evidence says about it ---------------------

EVIDENCE_DRAWS = 4000
"""Draws of the evidence (eval posteriors, pilot refits) behind the accuracy intervals and
``p_reaches_breakeven`` of a single simulation."""
EVIDENCE_SEED = 18
"""Their seed (fixed: the same scenario always gives the same figures)."""

EVIDENCE_FIGURES = ("breakeven_accuracy", "breakeven_accuracy_status", "accuracy_low",
                    "accuracy_high", "p_reaches_breakeven", "projected_accuracy",
                    "examples_for_target", "target_labelling_usd")


def reference_accuracy(option: str, p: Mapping[str, Any]):
    """The accuracy ``breakeven_accuracy`` is compared with: the option's own accuracy, or,
    for an option that follows a pilot curve, its accuracy at the planned training set (month
    1) [0..1]."""
    a = np.asarray(option_accuracy(option, p, np.array([1.0])), dtype=float)
    return np.broadcast_to(a, np.broadcast_shapes(a.shape, (1,)))[..., 0]


def breakeven_accuracy(inputs: Inputs, figures: Mapping[str, Mapping[str, Any]]
                       ) -> dict[str, tuple[float, str]]:
    """Option -> (the accuracy at which its TCO equals the baseline's [0..1], status).

    The errors cost ``cost_per_error × Σ V_m (1 − a_m)``, so an option's TCO is affine in a
    constant added to its accuracy (to every month of a pilot curve, which is then shifted
    whole): one more evaluation with the accuracy raised by 1 gives the slope, and the
    break-even shift is ``(TCO_base − TCO) / slope``, exact. The result is the reference
    accuracy (:func:`reference_accuracy`) plus that shift. Status: empty when found, else
    why not: ``no error cost`` (``cost_per_error_usd`` = 0), ``no requests``, ``above 100%``
    (even perfect answers leave it dearer), ``below 0%`` (cheaper at any accuracy).
    """
    others = [o for o in inputs.options if o != inputs.baseline]
    out: dict[str, tuple[float, str]] = {}
    if not others:
        return out
    if not float(inputs.values["cost_per_error_usd"]) > 0:
        return {o: (np.nan, "no error cost") for o in others}
    raised = dict(inputs.values, **{f"{o}.accuracy_shift": 1.0 for o in others})
    _, up = evaluate(inputs, raised, volumes=False, names=("tco_usd",))
    base_tco = float(figures[inputs.baseline]["tco_usd"])
    for o in others:
        tco = float(figures[o]["tco_usd"])
        slope = float(up[o]["tco_usd"]) - tco          # = −cost per error × Σ V_m [USD]
        if not slope < 0:
            out[o] = (np.nan, "no requests")
            continue
        figures[o]["tco_per_accuracy_usd"] = slope
        a = float(reference_accuracy(o, inputs.values)) + (base_tco - tco) / slope
        out[o] = ((a, "") if 0.0 <= a <= 1.0 else
                  (np.nan, "above 100%" if a > 1.0 else "below 0%"))
    return out


def add_evidence_figures(scenario: Scenario, inputs: Inputs,
                         figures: dict[str, dict[str, Any]]) -> None:
    """Add :data:`EVIDENCE_FIGURES` to each option's ``figures`` (NaN or empty where they do
    not apply).

    ``accuracy_low``/``accuracy_high``: the 95% interval of the reference accuracy from the
    evidence (exact Jeffreys interval for an option's own eval counts, else percentiles of
    :data:`EVIDENCE_DRAWS` draws); ``p_reaches_breakeven``: the share of those draws in which
    the option is at or below the baseline's TCO (only accuracy is uncertain here; a Monte
    Carlo run adds the rest); ``projected_accuracy``: the pilot curve's accuracy at the planned
    training set; ``examples_for_target``: the examples it needs for
    ``finetune.target_accuracy`` (NaN when it never gets there) and ``target_labelling_usd``
    what labelling that many costs.
    """
    for fig in figures.values():
        fig.update({k: np.nan for k in EVIDENCE_FIGURES})
        fig["breakeven_accuracy_status"] = ""
    for o, (a, status) in breakeven_accuracy(inputs, figures).items():
        figures[o]["breakeven_accuracy"] = a
        figures[o]["breakeven_accuracy_status"] = status
    values = inputs.values
    curve = scenario_curve(scenario)
    counts = eval_counts(scenario)
    ft = scenario.finetune
    for o in inputs.options:
        figures[o]["reference_accuracy"] = float(reference_accuracy(o, values))
        if curve is not None and follows_curve(o, values):
            figures[o]["projected_accuracy"] = float(reference_accuracy(o, values))
            figures[o]["planned_examples"] = float(values["finetune.examples"])
            if ft.target_accuracy is not None:
                need = curve.examples_for(ft.target_accuracy)
                figures[o]["examples_for_target"] = need
                figures[o]["target_labelling_usd"] = need * (
                    values["finetune.labelling_usd_per_example"]
                    + values["finetune.labelling_hours_per_example"]
                    * values["hourly_rate_usd"])
    posteriors = evidence_distributions(scenario)
    if not posteriors and (curve is None or curve.draws is None):
        return                                   # no evidence to draw
    rng = np.random.default_rng(EVIDENCE_SEED)
    drawn = {path: d.sample(rng, EVIDENCE_DRAWS) for path, d in posteriors.items()}
    drawn.update(curve_draws(curve, rng, EVIDENCE_DRAWS))
    if not drawn:
        return
    varied = dict(values, **drawn)
    _, by_draw = evaluate(inputs, varied, volumes=False, names=("tco_usd",))
    p = as_columns(varied)
    tail = 100 * (1.0 - LEVEL) / 2
    base = np.broadcast_to(by_draw[inputs.baseline]["tco_usd"], (EVIDENCE_DRAWS,))
    for o in inputs.options:
        ref = np.broadcast_to(reference_accuracy(o, p), (EVIDENCE_DRAWS,))
        own = o if o in counts else "prompt" if (
            o == "rag" and scenario.rag.accuracy is None) else None
        if own in counts and not follows_curve(o, values):
            lo, hi = posterior_interval(*counts[own])
        elif np.ptp(ref) > 0:
            lo, hi = (float(x) for x in np.percentile(ref, [tail, 100 - tail]))
        else:
            lo = hi = np.nan
        figures[o]["accuracy_low"], figures[o]["accuracy_high"] = lo, hi
        if o != inputs.baseline and float(values["cost_per_error_usd"]) > 0:
            tco = np.broadcast_to(by_draw[o]["tco_usd"], (EVIDENCE_DRAWS,))
            figures[o]["p_reaches_breakeven"] = float(np.mean(tco <= base))
