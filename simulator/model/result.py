"""What a simulation returns and how it is written down: :class:`Result`, CSV files, a paragraph.

``Result.to_csv(dir)`` writes everything needed to audit and rerun a comparison: the monthly
table, the summary, every rate used with its source, and the scenario itself as JSON. Text
cells a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``, tab or
carriage return) are prefixed with an apostrophe, so they are shown, never run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..core.errors import InputError
from ..core.wording import (
    NEVER,
    SINGLE_ESTIMATE_PYTHON,
    breakeven_accuracy_text,
    crossings_text,
    format_usd,
    is_missing,
    roi_text,
    share_text,
    target_text,
    volume_windows_cell,
    volume_windows_text,
)
from .resolve import PRICE_COLUMNS
from .scenario import Scenario

__all__ = ["Result", "format_usd", "is_missing", "share_text"]


SUMMARY_COLUMNS = ("option", "tco_usd", "npv_usd", "upfront_usd", "requests",
                   "cost_per_request_usd", "savings_usd", "roi", "breakeven_month",
                   "breakeven_volume", "accuracy", "payback_month", "crossing_months",
                   "breakeven_volume_status", "cost_per_correct_usd", "breakeven_accuracy",
                   "accuracy_low", "accuracy_high", "p_reaches_breakeven", "projected_accuracy",
                   "examples_for_target", "target_labelling_usd", "breakeven_accuracy_status")
"""Columns of :attr:`Result.summary`, in order (the three after ``accuracy`` added by issue
11, the nine last ones by issue 18: accuracy from evidence)."""
TEXT_COLUMNS = ("crossing_months", "breakeven_volume_status", "breakeven_accuracy_status")


@dataclass(frozen=True, kw_only=True, eq=False)
class Result:
    """One simulated scenario.

    The numbers are computed by :func:`~simulator.model.engine.simulate`; the three tables are
    pandas views of them, built the first time they are read (then kept).

    scenario : the :class:`~simulator.model.scenario.Scenario` simulated
    costs : option -> component -> array ``(H+1,)`` [USD per month], baseline first; month 0
        holds the one-time costs (t = 0)
    figures : option -> summary figure (a name of :data:`SUMMARY_COLUMNS`) -> number
        (a float or a 0-d array; NaN where the figure is missing), plus ``crossings`` and
        ``volume_windows``
    price_rows : every rate used, one mapping of :data:`PRICE_COLUMNS` per rate
    notes : what the reader should know (lifecycle moves first, then estimated token
        counts, renamed fields)
    start_date : the scenario's month 0 (its ``as_of``, or the day it was simulated)
    lifecycle : one sentence per road that closes inside the horizon: what closes on which
        date, where the road goes from which month, what the move costs
    lifecycle_short : the same as short clauses, for a headline
    warnings : sentences the answer must carry (a teacher model whose terms restrict training
        other models on its outputs; logs too few for the training set); ``explain()`` ends
        with them
    sunk : money already spent that no option is charged
        (:class:`~simulator.model.engine.SunkItem`: field, words, amount), listed as "not counted"
    table_name : the price table the rates came from, in words (the shipped one, or one of
        the user's with a fingerprint); :func:`~simulator.monte_carlo` and its siblings take
        the result itself to price on the same table
    price_table : that table (``None`` = the shipped one)

    Read from ``figures`` (properties):

    volume_windows : option -> :class:`~simulator.model.breakeven.VolumeWindows`: every interval
        of month-1 volume in which the option's TCO is at or below the baseline's
    crossings : option -> ``((month, cheaper), …)``: every month the cumulative curves
        cross (:func:`~simulator.model.breakeven.crossing_months`); not for the baseline

    Tables (properties):

    monthly : tidy table ``option, month, component, cost_usd`` [USD per month];
        components that are zero throughout are left out
    summary : one row per option, baseline first: ``tco_usd`` (Σ over months 0..H) [USD],
        ``npv_usd`` [USD], ``upfront_usd`` (month 0) [USD], ``requests`` (Σ V_m) [requests],
        ``cost_per_request_usd`` [USD/request], ``savings_usd`` (baseline TCO − option TCO)
        [USD], ``roi`` (savings / upfront) [1], ``breakeven_month`` (first month from which
        the cumulative cost stays at or below the baseline's) [month], ``breakeven_volume``
        (the smallest month-1 volume from which the option is cheaper) [requests/month],
        ``accuracy`` [0..1], ``payback_month`` (first month the cumulative cost is at or
        below the baseline's) [month], ``crossing_months`` (every month the cumulative curves
        cross, as text ``5, 12, 15``), ``breakeven_volume_status`` (``always``, ``above``,
        ``below``, ``between``, ``windows`` or ``never``); missing values (``<NA>``) mean
        "never" or "undefined"
    prices : every rate used: ``field, value, unit, source, source_url, checked_on, note``
    """

    scenario: Scenario
    costs: Mapping[str, Mapping[str, np.ndarray]]
    figures: Mapping[str, Mapping[str, Any]]
    price_rows: tuple[Mapping[str, Any], ...] = ()
    notes: tuple[str, ...] = ()
    start_date: date | None = None
    lifecycle: tuple[str, ...] = ()
    lifecycle_short: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    sunk: tuple[Any, ...] = ()
    table_name: str = "the shipped price table"
    price_table: Any = None

    def __post_init__(self) -> None:
        _check_priced(self.costs, self.figures)
        for comps in self.costs.values():
            for a in comps.values():
                if isinstance(a, np.ndarray):
                    a.flags.writeable = False   # the tables, built later, show these numbers

    @property
    def volume_windows(self) -> dict[str, Any]:
        return {o: f["volume_windows"][0] for o, f in self.figures.items()
                if f.get("volume_windows")}

    @property
    def crossings(self) -> dict[str, tuple]:
        return {o: f["crossings"] for o, f in self.figures.items()
                if o != self.baseline and "crossings" in f}

    @cached_property
    def monthly(self) -> pd.DataFrame:
        """Tidy table ``option, month, component, cost_usd`` [USD per month]."""
        return monthly_frame(self.costs)

    @cached_property
    def summary(self) -> pd.DataFrame:
        """One row per option, baseline first (:data:`SUMMARY_COLUMNS`)."""
        return summary_frame(self.figures, self.baseline)

    @cached_property
    def prices(self) -> pd.DataFrame:
        """Every rate used, with its source (:data:`PRICE_COLUMNS`)."""
        return pd.DataFrame(list(self.price_rows), columns=list(PRICE_COLUMNS))

    # ---- tables ---------------------------------------------------------------------------
    def cumulative(self) -> pd.DataFrame:
        """Cumulative cost ``option, month, cumulative_usd`` [USD] (for the crossing chart)."""
        per_month = (self.monthly.groupby(["option", "month"], sort=False)["cost_usd"].sum()
                     .unstack("month").reindex(columns=range(self.scenario.horizon_months + 1),
                                               fill_value=0.0).fillna(0.0))
        per_month = per_month.reindex(self.summary["option"]).fillna(0.0)
        cum = per_month.cumsum(axis=1)
        out = cum.stack().rename("cumulative_usd").reset_index()
        return out.rename(columns={"level_0": "option"})

    def to_csv(self, directory: str | Path, uncertainty: Any = None, *,
               overwrite: bool = False) -> dict[str, Path]:
        """Write the report's sheets into ``directory`` (created if needed) and return their
        paths by name: ``summary.csv``, ``monthly.csv`` (with the calendar month),
        ``monthly_wide.csv`` (month × option, with cumulative columns), ``prices.csv`` and
        ``scenario.json``; with ``uncertainty`` (a :class:`~simulator.model.uncertainty.
        MonteCarloResult`) also ``montecarlo_summary.csv``, ``montecarlo_percentiles.csv`` and
        ``montecarlo_draws.csv``. Money is rounded to the cent (see :mod:`simulator.reports.export`).

        Files already there are replaced only with ``overwrite=True`` (otherwise nothing is
        written and an :class:`~simulator.core.errors.InputError` lists them); a symbolic link is
        never written through; each file is written whole, then renamed into place.
        """
        from ..reports.export import write_csv_report

        return write_csv_report(self, directory, uncertainty, overwrite=overwrite)

    # ---- words ----------------------------------------------------------------------------
    def table(self) -> str:
        """The summary as a fixed-width text table within 100 columns (money rounded for
        display only; the NPV is in :attr:`summary` and the reports). The baseline's comparison
        cells (savings, ROI, break-even) are blank; "cheaper at V1" is the month-1 volume
        [requests/month] at which the option is cheaper."""
        rows = []
        for _, r in self.summary.iterrows():
            base = r["option"] == self.baseline
            rows.append({
                "option": r["option"] + (" (baseline)" if base else ""),
                "TCO": format_usd(r["tco_usd"]),
                "upfront": format_usd(r["upfront_usd"]),
                "$/request": f"${r['cost_per_request_usd']:.5f}"
                if not is_missing(r["cost_per_request_usd"]) else "n/a",
                "savings": "" if base else format_usd(r["savings_usd"]),
                "ROI": "" if base else "n/a" if is_missing(r["roi"]) else f"{r['roi']:.2f}",
                "payback": "" if base else NEVER if is_missing(r["payback_month"])
                else str(int(r["payback_month"])),
                "break-even": "" if base else NEVER if is_missing(r["breakeven_month"])
                else str(int(r["breakeven_month"])),
                "cheaper at V1": "" if base else self._volume_cell(r),
                "acc.": f"{r['accuracy']:.3f}",
            })
        return pd.DataFrame(rows).to_string(index=False)

    def _volume_cell(self, row: Any) -> str:
        windows = self.volume_windows.get(row["option"])
        if windows is not None:
            return volume_windows_cell(windows.intervals)
        vol = row["breakeven_volume"]
        return "—" if is_missing(vol) else f"≥ {vol:,.0f}"

    def volumes_sentence(self, option: str) -> str:
        """Where ``option`` is cheaper by month-1 volume, in words (empty when unknown)."""
        windows = self.volume_windows.get(option)
        if windows is None:
            return ""
        return volume_windows_text(windows.intervals, windows.checked_up_to)

    @property
    def baseline(self) -> str:
        return self.scenario.baseline

    @property
    def focus(self) -> str:
        """The option the answer talks about against the baseline (``scenario.focus``)."""
        return self.scenario.focus_option

    def sunk_sentence(self) -> str:
        """``Not counted (already paid): prompt engineering (40 h), $4,000; …`` (empty when
        nothing is sunk)."""
        if not self.sunk:
            return ""
        return "Not counted (already paid): " + "; ".join(i.words() for i in self.sunk) + "."

    def check_same_table(self, uncertainty: Any) -> None:
        """Refuse a Monte Carlo (or other) run priced on another price table than this
        result's, naming both."""
        other = getattr(uncertainty, "table_name", None)
        if other is not None and other != self.table_name:
            raise InputError(
                f"explain: the Monte Carlo run was priced on {other}, this result on "
                f"{self.table_name}; run monte_carlo(result, ...) to price both on the same "
                f"table")

    def explain(self, uncertainty: Any = None) -> str:
        """One paragraph: how the focus option (``scenario.focus``, by default ``finetune``)
        compares with the baseline, from which month, by how much, how sure we are; then the
        other options, and what was not counted because it is already paid.

        ``uncertainty`` may be a :class:`~simulator.model.uncertainty.MonteCarloResult` of the same
        scenario, priced on the same table (else an :class:`InputError` names both tables);
        then the paragraph quotes its probability and percentiles.
        """
        self.check_same_table(uncertainty)
        s = self.summary.set_index("option")
        H = self.scenario.horizon_months
        base = self.baseline
        v1 = self.scenario.workload.requests_per_month
        focus = self.focus if self.focus in s.index else base
        base_tco = s.loc[base, "tco_usd"]
        parts = []
        if focus == base:
            return " ".join(p for p in (
                (f"Only {base} was simulated: {format_usd(base_tco)} over {H} months, "
                 f"{format_usd(s.loc[base, 'cost_per_request_usd'])} per request."),
                *self._calendar_words(), self.sunk_sentence()) if p)
        row = s.loc[focus]
        if not row["savings_usd"] > 0:
            gap = row["tco_usd"] - base_tco
            parts.append(
                f"Keep {base} rather than {focus}: over {H} months {base} costs "
                f"{format_usd(base_tco)} in total and {focus} {format_usd(gap)} more "
                f"({gap / base_tco:.0%})." if base_tco > 0 else
                f"Keep {base} rather than {focus}: over {H} months {base} costs "
                f"{format_usd(base_tco)} and {focus} {format_usd(row['tco_usd'])}.")
            if not is_missing(row["payback_month"]):
                parts.append(f"{focus}'s cumulative cost is "
                             f"{crossings_text(self.crossings.get(focus, ()), base)}, so it is "
                             f"dearer by the horizon.")
            windows = self.volume_windows.get(focus)
            if windows is not None:
                if windows.intervals:
                    parts.append(f"{focus} would be cheaper at a month-1 volume "
                                 f"{self.volumes_sentence(focus)} (today's: {v1:,.0f}).")
                else:
                    parts.append(f"{focus} is not cheaper at any month-1 volume with these "
                                 f"rates.")
        else:
            saving = row["savings_usd"]
            month = row["breakeven_month"]
            when = ("from the start" if not is_missing(month) and int(month) == 0 else
                    f"from month {int(month)} on" if not is_missing(month) else "by the horizon")
            roi = "" if is_missing(row["roi"]) else (
                f", a return of {roi_text(row['roi'])} on {format_usd(row['upfront_usd'])} "
                f"upfront")
            parts.append(
                f"{focus} wins against {base}: over {H} months it costs "
                f"{format_usd(row['tco_usd'])} against {format_usd(base_tco)}, saving "
                f"{format_usd(saving)} ({saving / base_tco:.0%} of the baseline){roi}. Its "
                f"cumulative cost is at or below {base}'s {when}.")
            payback = row["payback_month"]
            if not is_missing(payback) and not is_missing(month) and payback < month:
                parts.append(f"It first pays for itself in month {int(payback)}: its "
                             f"cumulative cost is "
                             f"{crossings_text(self.crossings.get(focus, ()), base)}.")
            parts.append(self._volume_words(focus, base, v1))
            if (self.scenario.cost_per_error_usd == 0
                    and row["accuracy"] < s.loc[base, "accuracy"]):
                parts.append(f"Errors are not priced (cost_per_error_usd = 0), and {focus} is "
                             f"less accurate ({row['accuracy']:.2f} against "
                             f"{s.loc[base, 'accuracy']:.2f}).")
        parts.append(self._others_sentence(s, focus, base))
        parts.append(self.sunk_sentence())
        if self.lifecycle:
            # Right after the headline: the answer above already prices these moves.
            parts.insert(1, *self._calendar_words())
        parts += self.accuracy_sentences(focus)
        parts.append(_certainty(uncertainty, focus, base))
        parts.extend(f"Warning: {w}" for w in self.warnings)
        return " ".join(p for p in parts if p)

    def accuracy_sentences(self, focus: str | None = None) -> list[str]:
        """What accuracy each option must reach to pay for itself, with the evidence (eval
        counts, a pilot curve): for the options with evidence of their own, else the
        ``focus`` option (else the cheapest alternative) when errors are priced; nothing when
        errors cost nothing and there is no evidence."""
        from .evidence import eval_counts, scenario_curve

        sc = self.scenario
        s = self.summary.set_index("option")
        base = self.baseline
        counts = eval_counts(sc)
        curve = scenario_curve(sc)
        on_curve = [o for o in s.index if not is_missing(s.loc[o, "projected_accuracy"])]
        others = s.drop(index=base)
        if others.empty or not (counts or on_curve or sc.cost_per_error_usd > 0):
            return []
        if not sc.cost_per_error_usd > 0:
            return [("Errors cost nothing (cost_per_error_usd = 0), so the evidence on "
                     "accuracy does not change the costs; set a cost per error to see the "
                     "accuracy each option must reach.")]
        chosen = [o for o in others.index if o in counts or o in on_curve] \
            or [focus if focus in others.index else others["tco_usd"].idxmin()]
        out = []
        for o in chosen:
            r = s.loc[o]
            if o in on_curve:
                planned = self.figures[o].get("planned_examples", np.nan)
                evidence = (f"your pilot's curve ({len(curve.examples)} runs"
                            + ("" if is_missing(planned) else f", {planned:,.0f} examples")
                            + ")")
                estimate = r["projected_accuracy"]
            elif o in counts:
                k, n = counts[o]
                evidence, estimate = f"your eval ({k:,} of {n:,})", r["accuracy"]
            else:
                evidence, estimate = "", r["accuracy"]
            out.append(breakeven_accuracy_text(
                o, r["breakeven_accuracy"], r["breakeven_accuracy_status"], evidence=evidence,
                estimate=estimate, low=r["accuracy_low"], high=r["accuracy_high"],
                probability=r["p_reaches_breakeven"], own=bool(evidence)))
        if on_curve and sc.finetune.target_accuracy is not None:
            o = on_curve[0]
            planned = self.figures[o].get("planned_examples", np.nan)
            out.append(target_text(sc.finetune.target_accuracy, s.loc[o, "examples_for_target"],
                                   planned, s.loc[o, "target_labelling_usd"]))
        return out

    def _calendar_words(self) -> list[str]:
        """The lifecycle moves and scheduled price changes the figures price, as one
        sentence list (empty when there are none)."""
        if not self.lifecycle:
            return []
        return ["Priced with the calendar from "
                f"{self.start_date.isoformat() if self.start_date else 'today'}: "
                + " ".join(self.lifecycle)]

    def _others_sentence(self, s: pd.DataFrame, focus: str, base: str) -> str:
        """The options other than the focus and the baseline, by TCO; the cheapest of all
        named when it is one of them."""
        others = s.drop(index=[focus, base]).sort_values("tco_usd", kind="stable")
        if others.empty:
            return ""
        listed = ", ".join(f"{o} {format_usd(r['tco_usd'])}" for o, r in others.iterrows())
        text = f"Other options over {self.scenario.horizon_months} months: {listed}."
        cheapest = s["tco_usd"].idxmin()
        if cheapest in others.index and s.loc[cheapest, "tco_usd"] < s.loc[focus, "tco_usd"]:
            text += (f" The cheapest of all is {cheapest}, saving "
                     f"{format_usd(s.loc[cheapest, 'savings_usd'])} against {base}.")
        return text

    def _volume_words(self, option: str, base: str, v1: float) -> str:
        """Where the winning ``option`` stays cheaper by month-1 volume, truthfully."""
        windows = self.volume_windows.get(option)
        if windows is None:
            return ""
        status = windows.status
        if status == "always":
            return f"It is cheaper than {base} at every month-1 volume with these rates."
        if status == "above":
            vol = windows.smallest
            return (f"It stays cheaper as long as month-1 volume stays above {vol:,.0f} "
                    f"requests/month ({vol / v1:.0%} of today's {v1:,.0f}).") if v1 else ""
        if status == "below":
            vol = windows.intervals[0][1]
            return (f"It stays cheaper as long as month-1 volume stays below {vol:,.0f} "
                    f"requests/month ({vol / v1:.1f}× today's {v1:,.0f}).") if v1 else ""
        return (f"It is cheaper only at a month-1 volume {self.volumes_sentence(option)} "
                f"(today's: {v1:,.0f}); outside these it is dearer"
                + (", as whole GPU replicas are added" if "selfhost" in (option, base)
                   else "") + ".")

    def __str__(self) -> str:
        lines = [self.table(), "", self.explain()]
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)


FINITE_SUMMARY = ("tco_usd", "npv_usd", "upfront_usd", "requests")
"""Summary figures that always have a finite value (the others may be missing: "never",
"undefined")."""


def _check_priced(costs: Mapping[str, Mapping[str, np.ndarray]],
                  figures: Mapping[str, Mapping[str, Any]]) -> None:
    """The last line of the validation boundary (:mod:`simulator.core.limits`): a scenario whose
    numbers, each within its range, still multiply to an infinite, undefined or negative cost
    is refused, never reported."""
    from ..core.errors import InputError

    arrays = [np.asarray(a, dtype=float) for comps in costs.values() for a in comps.values()]
    if arrays:
        every = np.concatenate([a.reshape(-1) for a in arrays])
        if not (np.isfinite(every).all() and every.min() >= -1e-9):
            for option, comps in costs.items():
                for component, a in comps.items():
                    a = np.asarray(a, dtype=float).reshape(-1)
                    bad = ~np.isfinite(a) | (a < -1e-9)
                    if bad.any():
                        month = int(np.argmax(bad))
                        raise InputError(
                            f"scenario: its numbers are too extreme to price: {option}'s "
                            f"{component} cost in month {month} comes out as {a[month]:g}; "
                            f"bring the largest volumes, token counts or prices down (docs/"
                            f"limits.md)")
    values = np.array([[fig.get(col, 0.0) for col in FINITE_SUMMARY]
                       for fig in figures.values()], dtype=float).reshape(-1, len(FINITE_SUMMARY))
    finite = np.isfinite(values)
    if not finite.all():
        row, col = np.argwhere(~finite)[0]
        raise InputError(f"scenario: its numbers are too extreme to price: "
                         f"{FINITE_SUMMARY[col]} comes out as {values[row, col]:g} (docs/"
                         f"limits.md)")


def _certainty(mc: Any, winner: str, base: str) -> str:
    if mc is None:
        return SINGLE_ESTIMATE_PYTHON
    s = mc.summary.set_index("option")
    option = winner if winner != base else s.drop(index=base, errors="ignore")["savings_p50_usd"]\
        .idxmax() if len(s.drop(index=base, errors="ignore")) else None
    if option is None or option not in s.index:
        return ""
    r = s.loc[option]
    return (f"Over {mc.n:,} Monte Carlo draws, {option} was cheaper than {base} in "
            f"{share_text(r['p_cheaper'])} of them; savings ranged from "
            f"{format_usd(r['savings_p5_usd'])} "
            f"to {format_usd(r['savings_p95_usd'])} (5th–95th percentile).")


def monthly_frame(costs: Mapping[str, Mapping[str, np.ndarray]]) -> pd.DataFrame:
    """Tidy table ``option, month, component, cost_usd`` of one scenario's costs.

    Rows run by option (baseline first), then month, then component. Components that are
    zero in every month of an option are left out; month 0 holds the one-time costs.
    """
    options, components, blocks = [], [], []
    for option, comps in costs.items():
        kept = [(c, np.asarray(a, dtype=float)) for c, a in comps.items() if np.any(a)]
        if not kept:
            continue
        block = np.stack([a for _, a in kept])          # (components, months)
        n_comp, n_month = block.shape
        options.append(np.full(n_comp * n_month, option, dtype=object))
        components.append(np.tile(np.array([c for c, _ in kept], dtype=object), n_month))
        blocks.append(block.T.reshape(-1))
    if not blocks:
        return pd.DataFrame({"option": pd.Series(dtype=str), "month": pd.Series(dtype=int),
                             "component": pd.Series(dtype=str),
                             "cost_usd": pd.Series(dtype=float)})
    n_months = len(next(iter(next(iter(costs.values())).values())))
    months = np.concatenate([np.repeat(np.arange(n_months), len(c) // n_months)
                             for c in components])
    return pd.DataFrame({"option": np.concatenate(options), "month": months,
                         "component": np.concatenate(components),
                         "cost_usd": np.concatenate(blocks)})


def summary_frame(figures: Mapping[str, Mapping[str, Any]], baseline: str) -> pd.DataFrame:
    """One row per option (baseline first); missing break-evens are ``<NA>``.

    ``crossing_months`` lists the months in which the cumulative curves cross (``5, 12,
    15``); ``breakeven_volume_status`` says where the option is cheaper by month-1 volume
    (:attr:`~simulator.model.breakeven.VolumeWindows.status`); both are empty for the baseline.
    """
    options = list(figures)
    columns: dict[str, Any] = {"option": pd.array(options, dtype="str")}
    for col in SUMMARY_COLUMNS[1:]:
        if col in TEXT_COLUMNS:
            continue
        x = np.array([_first(figures[o].get(col, np.nan)) for o in options])
        if col in ("breakeven_month", "payback_month") or col == "examples_for_target":
            missing = np.isnan(x)
            columns[col] = pd.arrays.IntegerArray(np.where(missing, 0, x).astype("int64"),
                                                  missing)
        elif col in ("breakeven_volume", "roi", "breakeven_accuracy", "accuracy_low",
                     "accuracy_high", "p_reaches_breakeven", "projected_accuracy",
                     "target_labelling_usd", "cost_per_correct_usd"):
            missing = np.isnan(x)
            columns[col] = pd.arrays.FloatingArray(np.where(missing, 0.0, x), missing)
        else:
            columns[col] = x
    columns["crossing_months"] = pd.array(
        ["" if o == baseline else ", ".join(str(m) for m, _ in figures[o].get("crossings", ()))
         for o in options], dtype="str")
    columns["breakeven_volume_status"] = pd.array(
        ["" if o == baseline or not figures[o].get("volume_windows")
         else figures[o]["volume_windows"][0].status for o in options], dtype="str")
    columns["breakeven_accuracy_status"] = pd.array(
        [str(figures[o].get("breakeven_accuracy_status", "")) for o in options], dtype="str")
    return pd.DataFrame({c: columns[c] for c in SUMMARY_COLUMNS})


def _first(value: Any) -> float:
    """The figure of a single scenario as a float (NaN when there is none)."""
    return float(np.asarray(value).reshape(-1)[0]) if np.size(value) else np.nan
