"""The report's sheets, as a finance reader opens them: CSV files and an optional workbook.

Every sheet is built from a :class:`~simulator.model.result.Result` (and, with ``--vary``, a
:class:`~simulator.model.uncertainty.MonteCarloResult`) by a pure function:

* ``summary``: one row per option, baseline first. Money is rounded to the cent, and the
  totals are sums of the rounded monthly cells, so ``tco_usd`` equals the sum of the
  ``monthly`` sheet to the cent. The baseline's comparison cells (savings, ROI, break-even)
  are empty; an option that never breaks even says :data:`~simulator.core.wording.NEVER`.
* ``monthly``: ``option, month, calendar_month, component, cost_usd`` (long form).
* ``monthly_wide``: one row per month, one cost column per option, then one cumulative
  column per option.
* ``prices``: every rate used with its source and check date.
* ``montecarlo_summary``, ``montecarlo_percentiles``, ``montecarlo_draws``: the Monte Carlo
  run, when there is one.

Month 0 holds the one-time costs paid on the start date; month ``m ≥ 1`` is the ``m``-th
calendar month from the start (:func:`simulator.core.wording.month_label`). Text cells that a
spreadsheet would run as a formula are made inert (:func:`simulator.reports.export.inert_frame`).
Money stays float64 in the core; it is rounded here, for the reader, only.
"""

from __future__ import annotations

import datetime as _dt
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..core.errors import InputError
from ..core.wording import (
    NEVER,
    is_missing,
    month_label,
    never_cell,
    start_date,
    volume_windows_cell,
)

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_EXPOSED_FORMULA = re.compile(r"([,;\t\r\n|][ ]*)([=+\-@])")
"""A formula character right after a separator that a ``;``/``,``/tab split (or a line
break) would put at the start of a cell of its own."""


def inert_text(value: Any) -> Any:
    """``value`` made safe for a spreadsheet: text starting like a formula gets a leading
    apostrophe, and so does every part a ``,``, ``;``, tab, ``|`` or line-break split would
    expose (``x;=cmd|'…'!A1`` becomes ``x;'=cmd|'…'!A1``); anything else is returned
    unchanged.

    >>> inert_text("=HYPERLINK(\\"http://x\\")"), inert_text("gpt-4.1"), inert_text(-5.0)
    ('\\'=HYPERLINK("http://x")', 'gpt-4.1', -5.0)
    >>> inert_text("x;=cmd|' /C calc'!A0")
    "x;'=cmd|' /C calc'!A0"
    """
    if not isinstance(value, str):
        return value
    if value.startswith(FORMULA_PREFIXES):
        value = "'" + value
    return _EXPOSED_FORMULA.sub(r"\1'\2", value)


def inert_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells (and column names) are inert (:func:`inert_text`)."""
    out = frame.copy()
    for col in out.columns:
        if isinstance(out[col].dtype, pd.CategoricalDtype):
            out[col] = out[col].astype(object)
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(inert_text)
    out.columns = [inert_text(str(c)) for c in out.columns]
    return out


CENT = 2
"""Decimals of money cells [USD]."""
PER_REQUEST_DECIMALS = 6
"""Decimals of ``cost_per_request_usd`` (a millionth of a dollar: a cent would show 0.00)."""
MC_PERCENTILES = (1, 5, 10, 25, 50, 75, 90, 95, 99)
"""Percentiles of the ``montecarlo_percentiles`` sheet [%]."""


def _cents(values: Any) -> Any:
    return np.round(np.asarray(values, dtype=float), CENT) + 0.0  # + 0.0: no "-0.0" cells


def monthly_sheet(result: Any, start: _dt.date | None = None) -> pd.DataFrame:
    """``option, month, calendar_month, component, cost_usd`` with cost rounded to the cent
    [USD]; ``calendar_month`` is ``YYYY-MM`` counted from ``start`` (default: the result's
    start date, :func:`simulator.core.wording.start_date`)."""
    start = start or start_date(result)
    m = result.monthly
    out = pd.DataFrame({
        "option": m["option"].astype(str).to_numpy(),
        "month": m["month"].astype(int).to_numpy(),
        "calendar_month": [month_label(start, k) for k in m["month"]],
        "component": m["component"].astype(str).to_numpy(),
        "cost_usd": _cents(m["cost_usd"]),
    })
    return out


def _month_totals(result: Any) -> pd.DataFrame:
    """Month × option totals of the rounded monthly cells [USD], options in summary order."""
    m = result.monthly
    long = pd.DataFrame({"month": m["month"].astype(int).to_numpy(),
                         "option": m["option"].astype(str).to_numpy(),
                         "cost_usd": _cents(m["cost_usd"])})
    options = list(result.summary["option"])
    wide = (long.groupby(["month", "option"], sort=False)["cost_usd"].sum().unstack("option")
            .reindex(index=range(result.scenario.horizon_months + 1), columns=options)
            .fillna(0.0))
    return wide.round(CENT)


def wide_sheet(result: Any, start: _dt.date | None = None) -> pd.DataFrame:
    """One row per month: ``month, calendar_month``, then ``<option>_usd`` (the month's cost)
    for every option, then ``<option>_cumulative_usd`` (months 0..m) [USD, to the cent]."""
    start = start or start_date(result)
    totals = _month_totals(result)
    out = pd.DataFrame({"month": totals.index.astype(int),
                        "calendar_month": [month_label(start, k) for k in totals.index]})
    for option in totals.columns:
        out[f"{option}_usd"] = totals[option].to_numpy()
    for option in totals.columns:
        out[f"{option}_cumulative_usd"] = _cents(totals[option].cumsum())
    return out


def summary_sheet(result: Any) -> pd.DataFrame:
    """The summary as a reader checks it: money to the cent, with ``tco_usd`` and
    ``upfront_usd`` the sums of the rounded monthly cells, ``cost_per_request_usd`` that
    TCO over the requests and ``savings_usd`` the TCOs' difference to the baseline's; the
    baseline's ``savings_usd``, ``roi``, ``breakeven_month`` and ``breakeven_volume`` empty;
    a break-even month that does not exist written ``never``; ROI and break-even volume
    empty where undefined."""
    s = result.summary
    base = result.scenario.baseline
    totals = _month_totals(result)
    tco = totals.sum().round(CENT)
    upfront = totals.loc[0]
    rows = []
    for _, r in s.iterrows():
        o = r["option"]
        is_base = o == base
        rows.append({
            "option": o,
            "tco_usd": float(tco[o]),
            "npv_usd": round(float(r["npv_usd"]), CENT),
            "upfront_usd": float(upfront[o]),
            "requests": round(float(r["requests"])),
            "cost_per_request_usd": None if is_missing(r["cost_per_request_usd"])
            else round(float(tco[o]) / float(r["requests"]), PER_REQUEST_DECIMALS),
            "savings_usd": None if is_base else round(float(tco[base] - tco[o]), CENT),
            "roi": None if is_base or is_missing(r["roi"]) else round(float(r["roi"]), 4),
            "breakeven_month": None if is_base else never_cell(r["breakeven_month"]),
            "breakeven_volume": None if is_base or is_missing(r["breakeven_volume"])
            else round(float(r["breakeven_volume"])),
            "accuracy": None if is_missing(r["accuracy"]) else round(float(r["accuracy"]), 4),
            "payback_month": None if is_base else never_cell(r.get("payback_month")),
            "crossing_months": None if is_base else r.get("crossing_months") or None,
            "breakeven_volume_status": None if is_base else r.get("breakeven_volume_status")
            or None,
            "cheaper_at_volumes": None if is_base else _volume_cell(result, o),
            **_evidence_cells(r, is_base),
        })
    return pd.DataFrame(rows, columns=list(s.columns) + ["cheaper_at_volumes"])


def _evidence_cells(r: Any, is_base: bool) -> dict[str, Any]:
    """The accuracy-from-evidence columns (issue 18): shares to 4 decimals, money to the
    cent, examples whole; empty where missing (the baseline has no break-even accuracy)."""

    def share(col: str) -> float | None:
        v = r.get(col)
        return None if is_missing(v) else round(float(v), 4)

    examples = r.get("examples_for_target")
    labelling = r.get("target_labelling_usd")
    cost = r.get("cost_per_correct_usd")
    return {
        "cost_per_correct_usd": None if is_missing(cost)
        else round(float(cost), PER_REQUEST_DECIMALS),
        "breakeven_accuracy": None if is_base else share("breakeven_accuracy"),
        "accuracy_low": share("accuracy_low"),
        "accuracy_high": share("accuracy_high"),
        "p_reaches_breakeven": None if is_base else share("p_reaches_breakeven"),
        "projected_accuracy": share("projected_accuracy"),
        "examples_for_target": None if is_missing(examples) else int(examples),
        "target_labelling_usd": None if is_missing(labelling) else round(float(labelling), CENT),
        "breakeven_accuracy_status": None if is_base
        else r.get("breakeven_accuracy_status") or None,
    }


def _volume_cell(result: Any, option: str) -> str | None:
    """Every interval of month-1 volume in which ``option`` is cheaper (``4,400,000–5,300,000;
    ≥ 10,070,000``), ``never``, or empty when the result has none."""
    windows = getattr(result, "volume_windows", {}).get(option)
    return None if windows is None else volume_windows_cell(windows.intervals)


def mc_summary_sheet(mc: Any) -> pd.DataFrame:
    """The Monte Carlo summary per option but the baseline: probabilities as shares [0..1],
    savings to the cent [USD], break-even month percentiles with ``never`` where, at that
    percentile, the option does not break even."""
    s = mc.summary[mc.summary["option"] != mc.baseline].reset_index(drop=True)
    out = pd.DataFrame({"option": s["option"].astype(str)})
    for col in s.columns[1:]:
        if col.endswith("_usd"):
            out[col] = _cents(s[col])
        elif col.startswith("p_"):
            out[col] = s[col].astype(float).round(4)
        elif col.startswith("breakeven_month"):
            out[col] = [never_cell(v) for v in s[col]]
        else:
            out[col] = s[col]
    out.insert(1, "draws", mc.n)
    return out


def _percentile(values: np.ndarray, q: float) -> float:
    return float(np.percentile(values, q))


def mc_percentiles_sheet(mc: Any, percentiles: tuple[int, ...] = MC_PERCENTILES
                         ) -> pd.DataFrame:
    """One row per percentile ``q`` [%]: each option's TCO [USD], each non-baseline option's
    savings [USD] and break-even month (``never`` where a share of at least ``q`` of the
    draws has none), over the draws. Money to the cent."""
    out = pd.DataFrame({"percentile": list(percentiles)})
    options = list(mc.tco_usd.columns)
    for o in options:
        v = mc.tco_usd[o].to_numpy(dtype=float)
        out[f"{o}_tco_usd"] = _cents([_percentile(v, q) for q in percentiles])
    for o in options:
        if o == mc.baseline:
            continue
        v = mc.savings_usd[o].to_numpy(dtype=float)
        out[f"{o}_savings_usd"] = _cents([_percentile(v, q) for q in percentiles])
    for o in options:
        if o == mc.baseline:
            continue
        bm = mc.breakeven_month[o].to_numpy(dtype=float)
        never_as_inf = np.where(np.isnan(bm), np.inf, bm)
        cells = []
        for q in percentiles:
            value = float(np.percentile(never_as_inf, q, method="inverted_cdf"))
            cells.append(NEVER if np.isinf(value) else int(value))
        out[f"{o}_breakeven_month"] = cells
    return out


def mc_draws_sheet(mc: Any) -> pd.DataFrame:
    """Every draw: ``draw`` (1..n), the drawn inputs, each option's TCO and each non-baseline
    option's savings [USD, to the cent], so any percentile can be recomputed."""
    out = pd.DataFrame({"draw": np.arange(1, mc.n + 1)})
    for col in mc.draws.columns:
        out[col] = mc.draws[col].to_numpy()
    for o in mc.tco_usd.columns:
        out[f"{o}_tco_usd"] = _cents(mc.tco_usd[o])
    for o in mc.savings_usd.columns:
        if o != mc.baseline:
            out[f"{o}_savings_usd"] = _cents(mc.savings_usd[o])
    return out


def not_counted_sheet(result: Any) -> pd.DataFrame:
    """Money already spent that no option is charged (sunk): ``field`` (the scenario field
    that says so), ``what``, ``amount_usd`` (what it would have cost ``option``) [USD, to the
    cent]."""
    return pd.DataFrame({"field": [i.field for i in result.sunk],
                         "what": [i.what for i in result.sunk],
                         "amount_usd": _cents([i.amount_usd for i in result.sunk]),
                         "option": [i.option for i in result.sunk]})


def report_sheets(result: Any, mc: Any = None) -> dict[str, pd.DataFrame]:
    """Every sheet by name, in reading order (the Monte Carlo sheets only with ``mc``)."""
    start = start_date(result)
    sheets = {"summary": summary_sheet(result), "monthly": monthly_sheet(result, start),
              "monthly_wide": wide_sheet(result, start), "prices": result.prices.copy()}
    if result.sunk:
        sheets["not_counted"] = not_counted_sheet(result)
    if mc is not None:
        sheets.update(montecarlo_summary=mc_summary_sheet(mc),
                      montecarlo_percentiles=mc_percentiles_sheet(mc),
                      montecarlo_draws=mc_draws_sheet(mc))
    return sheets


def write_csv_report(result: Any, directory: str | Path, mc: Any = None, *,
                     overwrite: bool = False) -> dict[str, Path]:
    """Write every sheet as ``<name>.csv`` and the scenario as ``scenario.json`` into
    ``directory`` (created if needed); return the paths by name.

    Existing files are replaced only with ``overwrite=True`` (otherwise nothing is written);
    a file that is a symbolic link, or resolves outside ``directory``, is never written; each
    file is written whole, then renamed into place (:mod:`simulator.core.files`).
    """
    from ..core.files import prepare_directory, write_files
    from ..model.scenario import dumps_scenario

    directory = prepare_directory(directory, what="csv directory")
    contents: dict[str, tuple[Path, str]] = {}
    for name, frame in report_sheets(result, mc).items():
        contents[name] = (directory / f"{name}.csv", inert_frame(frame).to_csv(index=False))
    contents["scenario"] = (directory / "scenario.json",
                            dumps_scenario(result.scenario, "json"))
    write_files(dict(contents.values()), overwrite=overwrite, what="csv directory",
                inside=directory)
    return {name: path for name, (path, _) in contents.items()}


def write_xlsx_report(result: Any, path: str | Path, mc: Any = None, *,
                      overwrite: bool = False) -> Path:
    """Write the same sheets into one ``.xlsx`` workbook (needs the ``xlsx`` extra:
    ``pip install 'ftroi[xlsx]'``, which installs XlsxWriter). An existing file is replaced
    only with ``overwrite=True``; never through a symbolic link; atomically."""
    try:
        import xlsxwriter  # noqa: F401
    except ImportError:
        raise InputError("--xlsx: needs XlsxWriter; install it with "
                         "pip install -e '.[xlsx]'") from None
    import io

    from ..core.files import check_targets, write_files

    path = Path(path)
    check_targets([path], overwrite=overwrite, what="xlsx")
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="xlsxwriter",
                        engine_kwargs={"options": {"strings_to_formulas": False,
                                                   "strings_to_urls": False}}) as writer:
        for name, frame in report_sheets(result, mc).items():
            inert_frame(frame).to_excel(writer, sheet_name=name[:31], index=False)
            sheet = writer.sheets[name[:31]]
            sheet.freeze_panes(1, 1)
            sheet.set_column(0, len(frame.columns) - 1, 16)
    write_files({path: buffer.getvalue()}, overwrite=overwrite, what="xlsx")
    return path
