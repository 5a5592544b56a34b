"""A report to hand over: one self-contained HTML file that opens offline in any browser.

:func:`html_report` writes the recommendation sentence, the headline figures, every chart of
:mod:`simulator.reports.charts` (interactive plotly, its JavaScript inlined once), the summary, the
Monte Carlo table when there is one, the notes, and the assumptions: every rate with its
source and check date, and the scenario itself. Nothing in the file loads from the network.

:func:`report_figures` builds the charts the way the app does: the cumulative cost, the cost
breakdown, the savings heatmap (month-1 volume × static prompt length, ÷10..×10 around
today's point) and the tornado (each input ± ``spread``) for the challenger, and the Monte
Carlo histogram when a run is given.
"""

from __future__ import annotations

import datetime as _dt
import html
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.io as pio
from plotly.offline import get_plotlyjs

from ..core.errors import InputError
from ..core.wording import (
    NEVER,
    SINGLE_ESTIMATE_CLI,
    SINGLE_ESTIMATE_PYTHON,
    compared_line,
    format_usd,
    is_missing,
    month_label,
    share_text,
    start_date,
)
from ..model.scenario import dumps_scenario
from . import charts

CHART_NAMES = {"cumulative": "cumulative cost", "breakdown": "breakdown",
               "heatmap": "savings map", "tornado": "what moves it", "montecarlo": "Monte Carlo",
               "accuracy": "accuracy", "learning": "learning curve"}
"""Link text of each chart in the report's navigation."""

DEFAULT_SPREAD = 0.25
"""± share by which the tornado moves each input (the app's default)."""


@dataclass(frozen=True)
class Chart:
    """One chart of the report: an anchor id, its figure and a caption [plain text]."""

    key: str
    figure: Any
    caption: str


def _challenger(result: Any) -> str | None:
    """The option the report talks about against the baseline (the scenario's focus)."""
    focus = result.focus
    return None if focus == result.baseline or focus not in result.costs else focus


def report_figures(result: Any, mc: Any = None, *, spread: float = DEFAULT_SPREAD,
                   table: Any = None) -> tuple[list[Chart], list[str]]:
    """Every chart of :mod:`simulator.reports.charts` for ``result`` (and ``mc``), and a note for each
    chart that this scenario cannot draw (e.g. a grid with nothing to vary).

    ``table`` is the price table the result was priced with (None: the shipped table).
    """
    from ..model.resolve import resolve
    from ..model.uncertainty import savings_grid, sensitivity
    from . import answer

    scenario = result.scenario
    out = [Chart("cumulative", charts.cumulative_cost(result),
                 "Month 0 holds the one-time costs (engineering, labelling, first training). "
                 "A star marks the month from which an option stays at or below the "
                 "baseline."),
           Chart("breakdown", charts.cost_breakdown(result),
                 f"Every cost over {scenario.horizon_months} months, by component.")]
    skipped: list[str] = []
    option = _challenger(result)
    if option is None:
        return out, ["Only the baseline is simulated: no savings charts."]
    values = dict(resolve(scenario, table).values)
    prefix = (values["prompt.system_prompt_tokens"] or 0) + (values["prompt.fewshot_tokens"] or 0)
    try:
        xs, ys = answer.grid_axes(scenario.workload.requests_per_month, prefix)
        grid = savings_grid(answer.prefix_scenario(scenario, prefix),
                            ("workload.requests_per_month", xs),
                            ("prompt.system_prompt_tokens", ys), table=table)
        out.append(Chart("heatmap", charts.savings_heatmap(
            grid, option, current=(scenario.workload.requests_per_month, prefix)),
            "Savings over month-1 volume and the static prompt length (system prompt + "
            "few-shot); black dots trace where savings are zero, the cross is today's "
            "inputs."))
    except (InputError, ValueError) as exc:
        skipped.append(f"No savings grid for this scenario: {exc}")
    try:
        ranges = answer.tornado_ranges(values, scenario.simulated_options, spread,
                                         scenario.cost_per_error_usd)
        frame = sensitivity(scenario, ranges, table=table)
        labels = {f.path: f.label for f in answer.FIELDS}
        out.append(Chart("tornado", charts.tornado(frame, option, labels=labels),
                         f"Each input moved alone by ±{spread:.0%} around today's value."))
    except (InputError, ValueError) as exc:
        skipped.append(f"No tornado for this scenario: {exc}")
    out += evidence_charts(result, option)
    if mc is not None:
        mc_option = option if option in mc.savings_usd.columns else None
        if mc_option:
            out.append(Chart("montecarlo", charts.savings_distribution(mc, mc_option),
                             f"Savings of {charts.label(mc_option)} over {mc.n:,} Monte "
                             "Carlo draws."))
    return out, skipped


def evidence_charts(result: Any, option: str) -> list[Chart]:
    """With evidence on accuracy (eval counts, a pilot): ``option``'s TCO against its accuracy
    (with a cost per error) and the pilot's learning curve."""
    from ..model.evidence import eval_counts, scenario_curve
    from . import charts_evidence

    scenario = result.scenario
    curve = scenario_curve(scenario)
    if not eval_counts(scenario) and curve is None:
        return []
    out = []
    if scenario.cost_per_error_usd > 0:
        out.append(Chart("accuracy", charts_evidence.tco_by_accuracy(result, option),
                         f"Total cost of {charts.label(option)} as its accuracy moves (a "
                         "straight line: errors cost accuracy gap × requests × cost per "
                         "error); the red line is the accuracy at which it costs what the "
                         "baseline does, the band what the evidence says (95%)."))
    if curve is not None:
        fig = result.figures.get("finetune", {})
        needed = fig.get("examples_for_target")
        out.append(Chart("learning", charts_evidence.learning_curve(
            curve, planned=fig.get("planned_examples"),
            target=scenario.finetune.target_accuracy, needed=needed),
            "Pilot runs (with their 95% intervals), the fitted curve a_max − b·n^(−c) and "
            "its bootstrap band; the dotted line is the planned training set."))
    return out


# ---- tables -------------------------------------------------------------------------------

def _esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _table(frame: pd.DataFrame, *, cls: str = "", links: Sequence[str] = ()) -> str:
    head = "".join(f"<th>{_esc(c)}</th>" for c in frame.columns)
    body = []
    for row in frame.itertuples(index=False):
        cells = []
        for col, value in zip(frame.columns, row):
            text = "" if is_missing(value) else str(value)
            if col in links and text.startswith(("https://", "http://")):
                cells.append(f'<td><a href="{_esc(text)}">{_esc(text)}</a></td>')
            else:
                cells.append(f"<td>{_esc(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (f'<table class="{cls}"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table>')


def summary_display(result: Any) -> pd.DataFrame:
    """The summary with display units: money as ``$1,234``, the baseline's comparison cells
    empty, a missing break-even month written ``never``."""
    base = result.baseline
    rows = []
    for _, r in result.summary.iterrows():
        is_base = r["option"] == base
        rows.append({
            "option": charts.label(r["option"]) + (" (baseline)" if is_base else ""),
            "total cost (TCO)": format_usd(r["tco_usd"]),
            "NPV": format_usd(r["npv_usd"]),
            "upfront": format_usd(r["upfront_usd"]),
            "per request": "" if is_missing(r["cost_per_request_usd"])
            else f"${r['cost_per_request_usd']:.5f}",
            "savings": "" if is_base else format_usd(r["savings_usd"]),
            "ROI": "" if is_base or is_missing(r["roi"]) else f"{r['roi']:.2f}×",
            "break-even month": "" if is_base else (
                NEVER if is_missing(r["breakeven_month"]) else str(int(r["breakeven_month"]))),
            "break-even volume [requests/month]": "" if is_base or is_missing(
                r["breakeven_volume"]) else f"{r['breakeven_volume']:,.0f}",
            "accuracy": f"{r['accuracy']:.3f}",
            **_evidence_cells(r, is_base),
        })
    frame = pd.DataFrame(rows)
    # The evidence columns only when some option has one of their figures.
    empty = [c for c in EVIDENCE_COLUMNS if c in frame and (frame[c] == "").all()]
    return frame.drop(columns=empty)


EVIDENCE_COLUMNS = ("cost per correct answer", "break-even accuracy", "accuracy (95%)",
                    "P(reaches it)", "projected accuracy", "examples for target")


def _evidence_cells(r: Any, is_base: bool) -> dict[str, str]:
    """The accuracy-from-evidence cells of one summary row, in display units."""
    def pct(col: str) -> str:
        return "" if is_missing(r[col]) else f"{float(r[col]):.1%}"

    interval = "" if is_missing(r["accuracy_low"]) else \
        f"{float(r['accuracy_low']):.1%}–{float(r['accuracy_high']):.1%}"
    breakeven = "" if is_base else pct("breakeven_accuracy") or (
        r["breakeven_accuracy_status"] if r["breakeven_accuracy_status"] != "no error cost"
        else "")
    return {
        "cost per correct answer": "" if is_missing(r["cost_per_correct_usd"])
        or not any(not is_missing(r[c]) for c in ("accuracy_low", "breakeven_accuracy"))
        else f"${float(r['cost_per_correct_usd']):.5f}",
        "break-even accuracy": breakeven,
        "accuracy (95%)": interval,
        "P(reaches it)": "" if is_base or is_missing(r["p_reaches_breakeven"])
        else f"{float(r['p_reaches_breakeven']):.2f}",
        "projected accuracy": pct("projected_accuracy"),
        "examples for target": "" if is_missing(r["examples_for_target"])
        else f"{int(r['examples_for_target']):,}",
    }


def data_display(result: Any) -> pd.DataFrame:
    """The data components (:data:`~simulator.model.datacost.DATA_COMPONENTS`) and the training
    runs of each option that trains, summed over the horizon [USD, whole dollars]."""
    from ..model.datacost import DATA_COMPONENTS

    shown = [*DATA_COMPONENTS, "training", "evaluation"]
    monthly = result.monthly[result.monthly["component"].isin(shown)]
    if monthly.empty or not monthly["component"].isin(DATA_COMPONENTS).any():
        return pd.DataFrame()
    frame = (monthly.groupby(["option", "component"], sort=False)["cost_usd"].sum()
             .unstack("component", fill_value=0.0))
    frame = frame[[c for c in shown if c in frame.columns]].round(0)
    return frame.reset_index()


def mc_display(mc: Any) -> pd.DataFrame:
    """The Monte Carlo summary per option but the baseline, in display units."""
    rows = []
    for _, r in mc.summary.iterrows():
        if r["option"] == mc.baseline:
            continue
        rows.append({
            "option": charts.label(r["option"]),
            "P(cheaper)": share_text(float(r["p_cheaper"])),
            "mean savings": format_usd(r["savings_mean_usd"]),
            **{f"savings P{q}": format_usd(r[f"savings_p{q}_usd"]) for q in (5, 50, 95)},
            "P(breaks even)": share_text(float(r["p_breakeven"])),
            **{f"break-even P{q}": NEVER if is_missing(r[f"breakeven_month_p{q}"])
               else f"month {int(r[f'breakeven_month_p{q}'])}" for q in (5, 50, 95)},
        })
    return pd.DataFrame(rows)


# ---- the page -----------------------------------------------------------------------------

CSS = """
body { font-family: -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
       margin: 0 auto; max-width: 1180px; padding: 24px 32px 64px; color: #1f2430; }
h1 { font-size: 26px; margin: 0 0 4px; } h2 { font-size: 19px; margin-top: 36px;
     border-bottom: 1px solid #e5e8ef; padding-bottom: 4px; }
.compared, .meta, .caption, .note { color: #5a6272; font-size: 14px; }
.recommendation { font-size: 20px; font-weight: 600; margin: 20px 0 16px; line-height: 1.35; }
.figures { display: flex; flex-wrap: wrap; gap: 12px; margin: 8px 0 12px; }
.figure { flex: 1 1 150px; border: 1px solid #e5e8ef; border-radius: 8px; padding: 10px 14px; }
.figure .label { font-size: 13px; color: #5a6272; } .figure .value { font-size: 24px;
     font-weight: 600; margin-top: 2px; }
.chart { margin: 18px 0 4px; }
table { border-collapse: collapse; font-size: 13px; margin: 8px 0; }
th, td { border-bottom: 1px solid #e5e8ef; padding: 4px 10px; text-align: right; }
th:first-child, td:first-child { text-align: left; } th { background: #f5f7fa; }
table.rates td, table.rates th { text-align: left; }
pre { background: #f5f7fa; padding: 12px; font-size: 12px; overflow-x: auto; }
nav a { margin-right: 14px; font-size: 14px; }
@media print { .chart { break-inside: avoid; } }
"""


def _version() -> str:
    try:
        return metadata.version("ftroi")
    except metadata.PackageNotFoundError:
        return "unknown"


def html_report(result: Any, mc: Any = None, *, figures: Sequence[Chart] | None = None,
                skipped: Sequence[str] = (), hint: str = SINGLE_ESTIMATE_CLI,
                table: Any = None, spread: float = DEFAULT_SPREAD) -> str:
    """The whole report as one HTML document (text).

    ``figures`` default to :func:`report_figures` of ``result`` and ``mc`` (priced with
    ``table``, the tornado at ± ``spread``); ``hint`` replaces the Python hint that closes
    :meth:`Result.explain` when there is no Monte Carlo.
    """
    from . import answer

    if figures is None:
        figures, skipped = report_figures(result, mc, table=table, spread=spread)
    scenario = result.scenario
    H = scenario.horizon_months
    start = start_date(result)
    mc_summary = None if mc is None else mc.summary
    sentence = answer.headline(result.summary, result.baseline, H, mc_summary,
                                 None if mc is None else mc.n, focus=result.focus)
    k = answer.key_figures(result.summary, result.baseline, H, mc_summary, result.focus)
    vs = charts.label(k["challenger"]) if k["challenger"] else "—"
    cards = [("Best option", charts.label(k["winner"])), ("Break-even", k["breakeven_text"]),
             (f"Savings over {H} months", k["savings_text"]), ("ROI", k["roi_text"]),
             ("P(cheaper than baseline)", k["p_text"])]
    explain = result.explain(mc).replace(SINGLE_ESTIMATE_PYTHON, hint)
    title = scenario.title or "Fine-tune or keep prompting?"
    last = month_label(start, H)
    prices_when = (f"in force on {scenario.as_of.isoformat()}" if scenario.as_of
                   else "the latest in the price table")

    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_esc(title)} (ftroi report)</title>", f"<style>{CSS}</style>",
        f'<script type="text/javascript">{get_plotlyjs()}</script>', "</head><body>",
        f"<h1>{_esc(title)}</h1>",
        f'<div class="compared">{_esc(compared_line(scenario))}</div>',
        (f'<div class="meta">Month 0 (one-time costs) is {start.isoformat()}; month {H} ends in '
         f"{last}. Prices: {prices_when}. "
         f"Written by ftroi {_esc(_version())} on {_dt.date.today().isoformat()}.</div>"),
        f'<p class="recommendation" id="recommendation">{_esc(sentence)}</p>',
        *[f'<p class="warning">Warning: {_esc(w)}</p>' for w in result.warnings],
        '<div class="figures" id="headline">',
        *[f'<div class="figure"><div class="label">{_esc(lab)}</div>'
          f'<div class="value">{_esc(val)}</div></div>' for lab, val in cards],
        "</div>",
        (f'<p class="caption">Break-even, savings, ROI and probability are for '
         f"<b>{_esc(vs)}</b> against the baseline, <b>{_esc(charts.label(result.baseline))}"
         "</b>.</p>"),
        "<nav>" + "".join(f'<a href="#{c.key}">{_esc(CHART_NAMES.get(c.key, c.key))}</a>'
                          for c in figures)
        + '<a href="#summary">summary</a><a href="#assumptions">assumptions</a></nav>',
        "<h2>How this was worked out</h2>", f"<p>{_esc(explain)}</p>",
        "<h2>Charts</h2>",
    ]
    config = {"displaylogo": False, "responsive": True}
    for chart in figures:
        div = pio.to_html(chart.figure, full_html=False, include_plotlyjs=False,
                          config=config, div_id=f"chart-{chart.key}")
        parts += [f'<section class="chart" id="{_esc(chart.key)}">', div,
                  f'<div class="caption">{_esc(chart.caption)}</div></section>']
    parts += [f'<p class="note">{_esc(s)}</p>' for s in skipped]
    parts += ['<h2 id="summary">Summary</h2>', _table(summary_display(result), cls="summary")]
    data = data_display(result)
    if not data.empty:
        parts += ['<h2 id="data">Training data</h2>',
                  (f"<p>Source: {_esc(result.scenario.data.source)}; "
                   f"{result.scenario.data.holdout_share:.0%} held out for validation and "
                   "test. Total over the horizon by component [USD], beside the training "
                   "runs.</p>"),
                  _table(data, cls="data")]
    if mc is not None:
        parts += [f"<h2>Monte Carlo ({mc.n:,} draws)</h2>", _table(mc_display(mc), cls="mc")]
    if result.notes:
        parts += ["<h2>Notes</h2>", "<ul>"] + [f"<li>{_esc(n)}</li>" for n in result.notes] \
            + ["</ul>"]
    rates = result.prices.copy()
    parts += [
        '<h2 id="assumptions">Assumptions and their sources</h2>',
        ("<p>Every rate the simulation used, with its source and the date it was checked; "
         "'scenario' rows are inputs of the scenario below.</p>"),
        _table(rates, cls="rates", links=("source_url",)),
        "<h3>The scenario (rerun it with <code>ftroi simulate scenario.toml</code>)</h3>",
        f"<pre>{_esc(dumps_scenario(scenario, 'toml'))}</pre>",
        "</body></html>",
    ]
    return "\n".join(parts)


def write_html_report(result: Any, path: str | Path, mc: Any = None, *,
                      overwrite: bool = False, **kwargs: Any) -> Path:
    """Write :func:`html_report` to ``path`` (UTF-8) and return the path. An existing file is
    replaced only with ``overwrite=True``; never through a symbolic link; atomically
    (:mod:`simulator.core.files`)."""
    from ..core.files import check_targets, write_files

    path = Path(path)
    check_targets([path], overwrite=overwrite, what="report")
    write_files({path: html_report(result, mc, **kwargs)}, overwrite=overwrite, what="report")
    return path
