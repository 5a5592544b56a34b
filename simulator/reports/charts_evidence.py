"""Plotly figures of the accuracy evidence (issue 18): what an option's TCO does as its
accuracy moves, and the pilot's learning curve. Pure builders like :mod:`simulator.reports.charts`:
data in, ``plotly.graph_objects.Figure`` out; no UI toolkit imported.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go

from ..core.wording import format_usd, is_missing, percent_text
from ..model.evidence import LEVEL, LearningCurve, posterior_interval
from .charts import OPTION_COLORS, _layout, label


def _figure(result: Any, option: str, name: str) -> Any:
    value = result.figures[option].get(name, np.nan)
    return float(np.asarray(value).reshape(-1)[0]) if np.size(value) else np.nan


def tco_by_accuracy(result: Any, option: str) -> go.Figure:
    """``option``'s TCO over its accuracy [USD against 0..1], the baseline's TCO as a line,
    the break-even accuracy marked, and the evidence's 95% interval shaded.

    The TCO is a straight line in the accuracy (errors cost ``cost per error × requests ×
    (1 − a)``); with a pilot curve the x axis is the accuracy at the planned training set and
    the whole curve moves with it. Without a cost per error the chart says so.
    """
    base = result.baseline
    s = result.summary.set_index("option")
    title = f"{label(option)}: total cost against its accuracy"
    slope = _figure(result, option, "tco_per_accuracy_usd")
    ref = _figure(result, option, "reference_accuracy")
    fig = go.Figure(layout=_layout(title, xaxis={"title": "accuracy", "tickformat": ".0%"},
                                   yaxis={"title": "total cost over the horizon [USD]"}))
    if is_missing(slope) or is_missing(ref):
        fig.add_annotation(text="Errors cost nothing (cost per error = 0): accuracy does not "
                                "change the cost.", showarrow=False, x=0.5, y=0.5,
                           xref="paper", yref="paper")
        return fig
    tco = float(s.loc[option, "tco_usd"])
    base_tco = float(s.loc[base, "tco_usd"])
    low, high = s.loc[option, "accuracy_low"], s.loc[option, "accuracy_high"]
    be = s.loc[option, "breakeven_accuracy"]
    marks = [ref] + [x for x in (low, high, be) if not is_missing(x)]
    lo = max(0.0, min(marks) - 0.05)
    hi = min(1.0, max(marks) + 0.05)
    x = np.linspace(lo, hi, 101)
    y = tco + slope * (x - ref)
    fig.add_trace(go.Scatter(x=x, y=y, mode="lines", name=label(option),
                             line={"color": OPTION_COLORS.get(option, "#444"), "width": 3},
                             hovertemplate="accuracy %{x:.1%}<br>TCO $%{y:,.0f}<extra></extra>"))
    fig.add_trace(go.Scatter(x=[lo, hi], y=[base_tco, base_tco], mode="lines",
                             name=f"{label(base)} (baseline)",
                             line={"color": OPTION_COLORS.get(base, "#888"), "dash": "dash"},
                             hovertemplate="TCO $%{y:,.0f}<extra></extra>"))
    if not (is_missing(low) or is_missing(high)):
        fig.add_vrect(x0=float(low), x1=float(high), fillcolor="#00A36C", opacity=0.12,
                      line_width=0, annotation_text=f"evidence, {LEVEL:.0%} interval",
                      annotation_position="top left")
    fig.add_trace(go.Scatter(x=[ref], y=[tco], mode="markers", name="estimate",
                             marker={"size": 11, "color": "black"},
                             hovertemplate=f"estimate {percent_text(ref)}<br>"
                                           f"TCO {format_usd(tco)}<extra></extra>"))
    if not is_missing(be):
        fig.add_vline(x=float(be), line={"color": "#D62728", "width": 2},
                      annotation_text=f"break-even {percent_text(be)}",
                      annotation_position="bottom right")
    return fig


def learning_curve(curve: LearningCurve, *, planned: float | None = None,
                   target: float | None = None, needed: float | None = None) -> go.Figure:
    """The pilot runs (with their 95% Jeffreys intervals when counts were given), the fitted
    curve ``a_max − b n^(−c)`` with its bootstrap band, the planned training set, the target
    accuracy and the examples needed to reach it [accuracy against examples, log scale]."""
    xs = [float(v) for v in curve.examples]
    for v in (planned, needed):
        if v is not None and not is_missing(v):
            xs.append(float(v))
    x = np.geomspace(max(1.0, min(xs) / 2), max(xs) * 2, 160)
    fig = go.Figure(layout=_layout(
        "Learning curve: accuracy against training examples",
        xaxis={"title": "training examples", "type": "log"},
        yaxis={"title": "accuracy", "tickformat": ".0%"}))
    draws = curve.accuracy_draws(x)
    if draws is not None:
        tail = 100 * (1 - LEVEL) / 2
        lo, hi = np.percentile(draws, [tail, 100 - tail], axis=0)
        fig.add_trace(go.Scatter(x=np.concatenate([x, x[::-1]]),
                                 y=np.concatenate([hi, lo[::-1]]), fill="toself",
                                 fillcolor="rgba(0,163,108,0.15)", line={"width": 0},
                                 name=f"{LEVEL:.0%} band (bootstrap)", hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=x, y=curve.accuracy(x), mode="lines", name="fit",
                             line={"color": "#00A36C", "width": 3},
                             hovertemplate="%{x:,.0f} examples<br>%{y:.1%}<extra></extra>"))
    error_y = None
    if curve.correct is not None:
        lo, hi = posterior_interval(curve.correct, curve.total)
        error_y = {"type": "data", "symmetric": False, "array": hi - curve.observed,
                   "arrayminus": curve.observed - lo}
    fig.add_trace(go.Scatter(x=curve.examples, y=curve.observed, mode="markers",
                             name="pilot runs", error_y=error_y,
                             marker={"size": 10, "color": "black"},
                             hovertemplate="%{x:,.0f} examples<br>%{y:.1%}<extra></extra>"))
    if planned is not None and not is_missing(planned):
        fig.add_vline(x=float(planned), line={"color": "#636EFA", "dash": "dot"},
                      annotation_text=f"planned {float(planned):,.0f}",
                      annotation_position="bottom left")
    if target is not None:
        fig.add_hline(y=float(target), line={"color": "#D62728", "dash": "dash"},
                      annotation_text=f"target {percent_text(target)}",
                      annotation_position="top left")
        if needed is not None and not is_missing(needed):
            fig.add_vline(x=float(needed), line={"color": "#D62728"},
                          annotation_text=f"needs {float(needed):,.0f}",
                          annotation_position="top right")
    return fig
