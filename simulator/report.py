"""What a simulation returns and how it is written down: :class:`Result`, CSV files, a paragraph.

``Result.to_csv(dir)`` writes everything needed to audit and rerun a comparison: the monthly
table, the summary, every rate used with its source, and the scenario itself as JSON. Text
cells a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``, tab or
carriage return) are prefixed with an apostrophe, so they are shown, never run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from .scenario import Scenario
from .wording import NEVER, SINGLE_ESTIMATE_PYTHON, format_usd, is_missing, share_text

__all__ = ["Result", "format_usd", "inert_frame", "inert_text", "is_missing", "share_text"]

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def inert_text(value: Any) -> Any:
    """``value`` made safe for a spreadsheet: text starting like a formula gets a leading
    apostrophe; anything else is returned unchanged.

    >>> inert_text("=HYPERLINK(\\"http://x\\")"), inert_text("gpt-4.1"), inert_text(-5.0)
    ('\\'=HYPERLINK("http://x")', 'gpt-4.1', -5.0)
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def inert_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells (and column names) are inert (:func:`inert_text`)."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(inert_text)
    out.columns = [inert_text(str(c)) for c in out.columns]
    return out


@dataclass(frozen=True, kw_only=True, eq=False)
class Result:
    """One simulated scenario.

    scenario : the :class:`~simulator.scenario.Scenario` simulated
    monthly : tidy table ``option, month, component, cost_usd`` [USD per month]; month 0
        holds the one-time costs (t = 0); components that are zero throughout are left out
    summary : one row per option, baseline first: ``tco_usd`` (Σ over months 0..H) [USD],
        ``npv_usd`` [USD], ``upfront_usd`` (month 0) [USD], ``requests`` (Σ V_m) [requests],
        ``cost_per_request_usd`` [USD/request], ``savings_usd`` (baseline TCO − option TCO)
        [USD], ``roi`` (savings / upfront) [1], ``breakeven_month`` [month],
        ``breakeven_volume`` (month-1 volume with equal TCOs) [requests/month], ``accuracy``
        [0..1]; missing values (``<NA>``) mean "never" or "undefined"
    prices : every rate used: ``field, value, unit, source, source_url, checked_on, note``
    notes : what the reader should know (lifecycle moves first, then estimated token
        counts, renamed fields)
    start_date : the scenario's month 0 (its ``as_of``, or the day it was simulated)
    lifecycle : one sentence per road that closes inside the horizon: what closes on which
        date, where the road goes from which month, what the move costs
    lifecycle_short : the same as short clauses, for a headline
    """

    scenario: Scenario
    monthly: pd.DataFrame
    summary: pd.DataFrame
    prices: pd.DataFrame
    notes: tuple[str, ...] = ()
    start_date: date | None = None
    lifecycle: tuple[str, ...] = ()
    lifecycle_short: tuple[str, ...] = ()

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

    def to_csv(self, directory: str | Path, uncertainty: Any = None) -> dict[str, Path]:
        """Write the report's sheets into ``directory`` (created if needed) and return their
        paths by name: ``summary.csv``, ``monthly.csv`` (with the calendar month),
        ``monthly_wide.csv`` (month × option, with cumulative columns), ``prices.csv`` and
        ``scenario.json``; with ``uncertainty`` (a :class:`~simulator.uncertainty.
        MonteCarloResult`) also ``montecarlo_summary.csv``, ``montecarlo_percentiles.csv`` and
        ``montecarlo_draws.csv``. Money is rounded to the cent (see :mod:`simulator.export`).
        """
        from .export import write_csv_report

        return write_csv_report(self, directory, uncertainty)

    # ---- words ----------------------------------------------------------------------------
    def table(self) -> str:
        """The summary as a fixed-width text table (money rounded for display only). The
        baseline's comparison cells (savings, ROI, break-even) are blank."""
        rows = []
        for _, r in self.summary.iterrows():
            base = r["option"] == self.baseline
            rows.append({
                "option": r["option"] + (" (baseline)" if base else ""),
                "TCO": format_usd(r["tco_usd"]),
                "NPV": format_usd(r["npv_usd"]),
                "upfront": format_usd(r["upfront_usd"]),
                "per request": f"${r['cost_per_request_usd']:.5f}"
                if not is_missing(r["cost_per_request_usd"]) else "n/a",
                "savings": "" if base else format_usd(r["savings_usd"]),
                "ROI": "" if base else "—" if is_missing(r["roi"]) else f"{r['roi']:.2f}",
                "break-even month": "" if base else NEVER if is_missing(r["breakeven_month"])
                else str(int(r["breakeven_month"])),
                "break-even volume/month": "" if base else "—" if is_missing(
                    r["breakeven_volume"]) else f"{r['breakeven_volume']:,.0f}",
                "accuracy": f"{r['accuracy']:.3f}",
            })
        return pd.DataFrame(rows).to_string(index=False)

    @property
    def baseline(self) -> str:
        return self.scenario.baseline

    def explain(self, uncertainty: Any = None) -> str:
        """One paragraph: which option wins, from which month, by how much, how sure we are.

        ``uncertainty`` may be a :class:`~simulator.uncertainty.MonteCarloResult` of the same
        scenario; then the paragraph quotes its probability and percentiles.
        """
        s = self.summary.set_index("option")
        H = self.scenario.horizon_months
        base = self.baseline
        v1 = self.scenario.workload.requests_per_month
        winner = s["tco_usd"].idxmin()
        base_tco = s.loc[base, "tco_usd"]
        parts = []
        if winner == base:
            others = s.drop(index=base)
            if others.empty:
                return (f"Only {base} was simulated: {format_usd(base_tco)} over {H} months, "
                        f"{format_usd(s.loc[base, 'cost_per_request_usd'])} per request.")
            closest = others["tco_usd"].idxmin()
            gap = others.loc[closest, "tco_usd"] - base_tco
            parts.append(
                f"Keep {base}: over {H} months it costs {format_usd(base_tco)} in total, less than "
                f"any alternative; the closest, {closest}, costs {format_usd(gap)} more "
                f"({gap / base_tco:.0%})." if base_tco > 0 else
                f"Keep {base}: over {H} months it costs {format_usd(base_tco)}, less than any "
                f"alternative.")
            vol = others.loc[closest, "breakeven_volume"]
            if not is_missing(vol):
                direction = "above" if vol > v1 else "below"
                parts.append(f"{closest} would break even at a month-1 volume of "
                             f"{vol:,.0f} requests/month ({direction} today's {v1:,.0f}).")
            else:
                parts.append(f"{closest} does not break even at any volume with these rates.")
        else:
            row = s.loc[winner]
            saving = row["savings_usd"]
            month = row["breakeven_month"]
            when = ("from the start" if not is_missing(month) and int(month) == 0 else
                    f"from month {int(month)} on" if not is_missing(month) else "by the horizon")
            roi = "" if is_missing(row["roi"]) else (
                f", a return of {row['roi']:.1f}× on {format_usd(row['upfront_usd'])} upfront")
            parts.append(
                f"{winner} wins: over {H} months it costs {format_usd(row['tco_usd'])} against "
                f"{format_usd(base_tco)} for {base}, saving {format_usd(saving)} "
                f"({saving / base_tco:.0%} of the baseline){roi}. Its cumulative cost is at or "
                f"below {base}'s {when}.")
            vol = row["breakeven_volume"]
            if not is_missing(vol) and vol > 0:
                if vol < v1:
                    parts.append(f"It stays cheaper as long as month-1 volume stays above "
                                 f"{vol:,.0f} requests/month ({vol / v1:.0%} of today's "
                                 f"{v1:,.0f}).")
                else:
                    parts.append(f"It stays cheaper as long as month-1 volume stays below "
                                 f"{vol:,.0f} requests/month ({vol / v1:.1f}× today's "
                                 f"{v1:,.0f}).")
            else:
                parts.append(f"It is cheaper than {base} at any volume with these rates.")
            runner = s.drop(index=[winner, base])
            if not runner.empty:
                second = runner["tco_usd"].idxmin()
                parts.append(f"Next best: {second} at {format_usd(runner.loc[second, 'tco_usd'])}.")
            if (self.scenario.cost_per_error_usd == 0
                    and row["accuracy"] < s.loc[base, "accuracy"]):
                parts.append(f"Errors are not priced (cost_per_error_usd = 0), and {winner} is "
                             f"less accurate ({row['accuracy']:.2f} against "
                             f"{s.loc[base, 'accuracy']:.2f}).")
        if self.lifecycle:
            # Right after the headline: the answer above already prices these moves.
            parts.insert(1, "Priced with the calendar from "
                         f"{self.start_date.isoformat() if self.start_date else 'today'}: "
                         + " ".join(self.lifecycle))
        parts.append(_certainty(uncertainty, winner, base))
        return " ".join(p for p in parts if p)

    def __str__(self) -> str:
        lines = [self.table(), "", self.explain()]
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)


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
