"""Plotly figures of a comparison. Pure builders: data in, ``plotly.graph_objects.Figure`` out.

Every function takes the core's outputs (:class:`~simulator.model.result.Result`,
:class:`~simulator.model.uncertainty.MonteCarloResult`, :class:`~simulator.model.uncertainty.SavingsGrid`,
the tornado DataFrame) and returns a figure; none draws, saves or imports a UI toolkit. Money
axes are [USD], time axes [months], volumes [requests/month], prompt lengths [tokens].
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ..model.result import share_text

OPTION_LABELS = {
    "prompt": "Prompting",
    "rag": "Prompt + RAG",
    "finetune": "Fine-tune (API)",
    "selfhost": "Self-host a LoRA",
    "hybrid": "Hybrid",
}

OPTION_COLORS = {
    "prompt": "#636EFA",
    "rag": "#AB63FA",
    "finetune": "#00A36C",
    "selfhost": "#EF553B",
    "hybrid": "#FFA15A",
}

COMPONENT_COLORS = {
    "labelling": "#8C564B",
    "embedding": "#BCBD22",
    "training": "#2CA02C",
    "evaluation": "#98DF8A",
    "engineering": "#9467BD",
    "inference": "#1F77B4",
    "hosting": "#FF7F0E",
    "infrastructure": "#D62728",
    "errors": "#7F7F7F",
    "data_generation": "#C49C94",
    "data_review": "#E377C2",
    "holdout": "#F7B6D2",
}

COST_GROUPS = {
    "data": ("labelling", "data_generation", "data_review", "holdout"),
    "training": ("training", "evaluation", "migration"),
    "inference": ("inference", "embedding", "hosting", "infrastructure"),
    "people": ("engineering",),
    "errors": ("errors",),
}
"""Cost components gathered into what a reader weighs side by side: the training data, the
training runs, serving, people's hours (engineering and upkeep) and wrong answers."""

GROUP_COLORS = {"data": "#8C564B", "training": "#2CA02C", "inference": "#1F77B4",
                "people": "#9467BD", "errors": "#7F7F7F"}

_AXIS = {"gridcolor": "#E5E8EF", "zerolinecolor": "#C8CDD8", "automargin": True}


def _layout(title: str, **extra: Any) -> dict:
    """The shared layout (white background, legend above the plot) as one dict, so that each
    figure is validated once (plotly's per-call validation dominates building time)."""
    # The title sits at the top of the figure and the legend (up to two rows) between it and
    # the plot, so a legend that wraps never covers the title.
    out = {"title": {"text": title, "x": 0, "xanchor": "left", "font": {"size": 15},
                     "y": 1, "yref": "container", "yanchor": "top", "pad": {"t": 10}},
               "margin": {"l": 70, "r": 30, "t": 95, "b": 60}, "font": {"size": 13}, "height": 460,
               "plot_bgcolor": "white", "paper_bgcolor": "white",
               "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "left", "x": 0}}
    for axis in ("xaxis", "yaxis"):
        out[axis] = dict(_AXIS, **extra.pop(axis, {}))
    out.update(extra)
    return out


def _vline(x: float, color: str, width: float = 1, dash: str = "solid") -> dict:
    """A vertical line at data coordinate ``x`` spanning the plot height."""
    return {"type": "line", "xref": "x", "yref": "paper", "x0": x, "x1": x, "y0": 0, "y1": 1,
                "line": {"color": color, "width": width, "dash": dash}}


def label(option: str) -> str:
    """The display name of an option."""
    return OPTION_LABELS.get(option, option)


def cumulative_cost(result: Any) -> go.Figure:
    """Cumulative cost of every option over the months, with the break-even points marked.

    x: month (0 = one-time costs at the start) [months]; y: cumulative cost [USD]. A star
    sits on each option's curve at its break-even month against the baseline (the first
    month from which it stays at or below the baseline), a circle at its payback month (the
    first month at or below the baseline) when that comes earlier.
    """
    cum = result.cumulative()
    summary = result.summary.set_index("option")
    baseline = result.scenario.baseline
    horizon = result.scenario.horizon_months
    hidden = off_scale_options(cum, baseline, getattr(result, "focus", baseline))
    traces = []
    for option in summary.index:
        part = cum[cum["option"] == option]
        name = label(option) + (" (baseline)" if option == baseline else "")
        traces.append({
            "type": "scatter", "x": part["month"].to_numpy(), "y": part["cumulative_usd"].to_numpy(),
            "mode": "lines", "name": name,
            "visible": "legendonly" if option in hidden else True,
            "line": {"color": OPTION_COLORS.get(option), "width": 3 if option == baseline else 2,
                      "dash": "dash" if option == baseline else "solid"},
            "hovertemplate": "month %{x}<br>%{y:$,.0f}<extra>" + label(option) + "</extra>"})
    for option in summary.index:
        if option == baseline or option in hidden:
            continue
        traces += _payback_marker(cum, summary, option, horizon)
        month = summary.loc[option, "breakeven_month"]
        if month is pd.NA or pd.isna(month):
            continue
        y = cum.loc[(cum["option"] == option) & (cum["month"] == int(month)), "cumulative_usd"]
        if y.empty:
            continue
        traces.append({
            "type": "scatter", "x": [int(month)], "y": [float(y.iloc[0])], "mode": "markers+text",
            "marker": {"symbol": "star", "size": 15, "color": OPTION_COLORS.get(option),
                        "line": {"color": "black", "width": 1}},
            "text": [f"break-even: month {int(month)}"],
            "textposition": "top right" if int(month) < 0.6 * horizon else "top left",
            "textfont": {"size": 12}, "name": f"{label(option)} break-even", "showlegend": False,
            "hovertemplate": f"{label(option)} breaks even in month {int(month)}<extra></extra>"})
    layout = _layout("Cumulative cost per option", hovermode="x unified",
                     xaxis={"title": "month", "range": [0, horizon], "dtick": _month_tick(horizon)},
                     yaxis={"title": "cumulative cost [USD]", "tickprefix": "$",
                                "tickformat": ",.0f", "rangemode": "tozero"})
    return go.Figure(data=traces, layout=layout)


OFF_SCALE = 2.0
"""An option whose cumulative cost ends above this multiple of the focus option's and the
baseline's starts hidden (one click on its legend entry shows it)."""


def off_scale_options(cum: pd.DataFrame, baseline: str, focus: str) -> set[str]:
    """Options drawn hidden at first on the cumulative chart: those whose cost would set the
    scale far above the two roads the page is about (the focus option and the baseline), and
    squeeze them together at the bottom."""
    final = cum[cum["month"] == cum["month"].max()].set_index("option")["cumulative_usd"]
    kept = [o for o in (baseline, focus) if o in final.index]
    if not kept:
        return set()
    top = max(float(final[o]) for o in kept)
    return {o for o, v in final.items() if o not in kept and top > 0 and v > OFF_SCALE * top}


def _payback_marker(cum: pd.DataFrame, summary: pd.DataFrame, option: str,
                    horizon: int) -> list[dict]:
    """A circle where ``option`` first pays for itself, when that comes before its
    break-even month (or it is dearer again by the horizon); nothing otherwise."""
    if "payback_month" not in summary.columns:
        return []
    payback, month = summary.loc[option, "payback_month"], summary.loc[option, "breakeven_month"]
    if pd.isna(payback) or (not pd.isna(month) and int(month) == int(payback)):
        return []
    y = cum.loc[(cum["option"] == option) & (cum["month"] == int(payback)), "cumulative_usd"]
    if y.empty:
        return []
    text = f"pays for itself: month {int(payback)}"
    return [{"type": "scatter", "x": [int(payback)], "y": [float(y.iloc[0])],
             "mode": "markers+text", "text": [text],
             "marker": {"symbol": "circle", "size": 11, "color": OPTION_COLORS.get(option),
                        "line": {"color": "black", "width": 1}},
             "textposition": "bottom right" if int(payback) < 0.6 * horizon else "bottom left",
             "textfont": {"size": 12}, "name": f"{label(option)} payback", "showlegend": False,
             "hovertemplate": f"{label(option)} first pays for itself in month {int(payback)}"
                              "<extra></extra>"}]


def _month_tick(horizon: int) -> int:
    return 1 if horizon <= 12 else 3 if horizon <= 36 else 6 if horizon <= 72 else 12


def cost_breakdown(result: Any) -> go.Figure:
    """Total cost of every option over the horizon, stacked by component.

    x: option; y: cost summed over months 0..H [USD]; one colour per component (labelling,
    embedding, training, evaluation, engineering, inference, hosting, infrastructure, errors).
    """
    totals = (result.monthly.groupby(["option", "component"], sort=False)["cost_usd"].sum()
              .unstack("component", fill_value=0.0))
    options = [o for o in result.summary["option"] if o in totals.index]
    totals = totals.reindex(options)
    components = [c for c in COMPONENT_COLORS if c in totals.columns]
    components += [c for c in totals.columns if c not in components]
    names = [label(o) for o in options]
    traces = [{"type": "bar", "x": names, "y": totals[comp].to_numpy(dtype=float), "name": comp,
                   "marker_color": COMPONENT_COLORS.get(comp),
                   "hovertemplate": "%{x}<br>" + comp + ": %{y:$,.0f}<extra></extra>"}
              for comp in components]
    grand = totals.sum(axis=1).to_numpy(dtype=float)
    traces.append({"type": "scatter", "x": names, "y": grand, "mode": "text", "showlegend": False,
                       "text": [f"${v:,.0f}" for v in grand], "textposition": "top center",
                       "hoverinfo": "skip"})
    top = float(grand.max()) * 1.15 if grand.size and grand.max() > 0 else 1.0
    layout = _layout(f"Total cost over {result.scenario.horizon_months} months, by component",
                     barmode="stack",
                     yaxis={"title": "cost [USD]", "tickprefix": "$", "tickformat": ",.0f",
                                "range": [0, top]})
    return go.Figure(data=traces, layout=layout)


def savings_heatmap(grid: Any, option: str, *, current: tuple[float, float] | None = None,
                    x_title: str = "requests in month 1 [requests/month]",
                    y_title: str = "static prompt (system + few-shot) [tokens]",
                    baseline_label: str | None = None) -> go.Figure:
    """Savings of ``option`` against the baseline over a grid of two inputs, with the
    break-even contour (savings = 0) and today's point.

    ``grid`` is a :class:`~simulator.model.uncertainty.SavingsGrid`; colour: savings [USD] (green:
    the option is cheaper, red: the baseline is); x is drawn on a log scale when its values
    span more than a factor of 20.
    """
    z = np.asarray(grid.savings_usd[option], dtype=float)
    x = np.asarray(grid.x_values, dtype=float)
    y = np.asarray(grid.y_values, dtype=float)
    bound = float(np.nanmax(np.abs(z))) if z.size and np.isfinite(z).any() else 1.0
    bound = bound or 1.0
    base = baseline_label or label(grid.baseline)
    traces = [{
        "type": "heatmap", "x": x, "y": y, "z": z, "zmin": -bound, "zmax": bound, "zmid": 0,
        "colorscale": [[0, "#B2182B"], [0.5, "#F7F7F7"], [1, "#1A9850"]],
        "colorbar": {"title": {"text": "savings [USD]", "side": "right"}, "tickprefix": "$",
                      "tickformat": ",.0f"},
        "hovertemplate": ("volume %{x:,.0f}/month<br>prompt %{y:,.0f} tokens<br>"
                       "savings %{z:$,.0f}<extra></extra>")}]
    contour = grid.contour(option)
    if not contour.empty:
        traces.append({"type": "scatter", "x": contour["x"].to_numpy(),
                           "y": contour["y"].to_numpy(), "mode": "markers",
                           "marker": {"color": "black", "size": 5}, "name": "break-even (savings = 0)",
                           "hovertemplate": "break-even<br>%{x:,.0f}/month, %{y:,.0f} tokens"
                                         "<extra></extra>"})
    if current is not None:
        traces.append({"type": "scatter", "x": [current[0]], "y": [current[1]], "mode": "markers",
                           "marker": {"symbol": "x", "size": 14, "color": "black", "line": {"width": 2}},
                           "name": "today's inputs",
                           "hovertemplate": "today: %{x:,.0f}/month, %{y:,.0f} tokens"
                                         "<extra></extra>"})
    xaxis: dict[str, Any] = {"title": x_title}
    if x.size and x.min() > 0 and x.max() / x.min() > 20:
        xaxis.update(type="log", dtick="D2")
    annotations = []
    if contour.empty:
        sign = "cheaper" if np.nanmin(z) > 0 else "dearer"
        annotations.append({"text": f"{label(option)} is {sign} everywhere on this grid: no "
                                     "break-even line", "xref": "paper", "yref": "paper", "x": 0.5,
                                "y": 1.0, "yanchor": "bottom", "showarrow": False, "font": {"size": 12}})
    layout = _layout(f"Savings of {label(option)} against {base}", xaxis=xaxis,
                     yaxis={"title": y_title}, annotations=annotations)
    return go.Figure(data=traces, layout=layout)


def tornado(frame: pd.DataFrame, option: str, *, labels: Mapping[str, str] | None = None,
            top: int = 10) -> go.Figure:
    """How far each input alone moves the savings of ``option`` (largest swing on top).

    ``frame`` is the output of :func:`simulator.model.uncertainty.sensitivity`. Each bar runs from the
    savings at the input's low value to the savings at its high value [USD]; the dotted line
    is today's savings, a red line marks 0 when it is in view.
    """
    part = frame[frame["option"] == option].head(top).iloc[::-1]
    labels = labels or {}
    if part.empty:
        return go.Figure(layout=_layout(f"No inputs to vary for {label(option)}"))
    base = float(part["base_savings_usd"].iloc[0])
    names = [labels.get(f, f) for f in part["field"]]
    lows = part["savings_low_usd"].to_numpy(dtype=float)
    highs = part["savings_high_usd"].to_numpy(dtype=float)
    traces = [
        {"type": "bar", "y": names, "x": lows - base, "base": base, "orientation": "h",
             "name": "input at its low value", "marker_color": "#4C78A8",
             "customdata": np.stack([part["low"].to_numpy(dtype=float), lows], axis=-1),
             "hovertemplate": "%{y} = %{customdata[0]:,.4g}<br>savings %{customdata[1]:$,.0f}"
                           "<extra></extra>"},
        {"type": "bar", "y": names, "x": highs - base, "base": base, "orientation": "h",
             "name": "input at its high value", "marker_color": "#F58518",
             "customdata": np.stack([part["high"].to_numpy(dtype=float), highs], axis=-1),
             "hovertemplate": "%{y} = %{customdata[0]:,.4g}<br>savings %{customdata[1]:$,.0f}"
                           "<extra></extra>"},
    ]
    shapes = [_vline(base, "black", dash="dot")]
    if _near_zero(np.concatenate([lows, highs, [base]])):
        shapes.append(_vline(0, "#B2182B"))
    layout = _layout(f"What moves the savings of {label(option)} most", barmode="overlay",
                     shapes=shapes, height=max(330, 60 + 38 * len(part)),
                     margin={"l": 230, "r": 30, "t": 60, "b": 60},
                     xaxis={"title": "savings against the baseline [USD]", "tickprefix": "$",
                                "tickformat": ",.0f"})
    return go.Figure(data=traces, layout=layout)


def _near_zero(values: np.ndarray) -> bool:
    """True when 0 lies within the values' range widened by a quarter of its span (then a line
    at 0 helps; otherwise it would only squeeze the chart)."""
    lo, hi = float(np.min(values)), float(np.max(values))
    pad = 0.25 * (hi - lo)
    return lo - pad <= 0 <= hi + pad


def savings_distribution(mc: Any, option: str, *, nbins: int = 60) -> go.Figure:
    """Distribution of the savings of ``option`` over the Monte Carlo draws, with P(win).

    ``mc`` is a :class:`~simulator.model.uncertainty.MonteCarloResult`; x: savings against the
    baseline [USD] (right of 0: the option is cheaper; green bars); y: share of draws [%].
    Dotted lines: 5th, 50th and 95th percentiles; a red line marks 0 when it is in view.
    """
    s = np.asarray(mc.savings_usd[option], dtype=float)
    s = s[np.isfinite(s)]
    row = mc.summary.set_index("option").loc[option]
    p = float(row["p_cheaper"])
    traces = []
    if s.size:
        lo, hi = float(s.min()), float(s.max())
        if lo == hi:
            lo, hi = lo - 1, hi + 1
        edges = np.linspace(lo, hi, nbins + 1)
        counts, _ = np.histogram(s, bins=edges)
        centers = 0.5 * (edges[:-1] + edges[1:])
        traces.append({"type": "bar", "x": centers, "y": counts / s.size * 100,
                           "width": np.diff(edges),
                           "marker_color": np.where(centers > 0, "#1A9850", "#B2182B"),
                           "name": "draws", "showlegend": False,
                           "hovertemplate": "savings ≈ %{x:$,.0f}<br>%{y:.1f}% of draws"
                                         "<extra></extra>"})
    shapes, annotations = [], []
    for q in (5, 50, 95):
        value = float(row[f"savings_p{q}_usd"])
        shapes.append(_vline(value, "black", dash="dot"))
        annotations.append({"x": value, "xref": "x", "y": 1.0, "yref": "paper", "yanchor": "bottom",
                                "text": f"P{q}: ${value:,.0f}", "showarrow": False,
                                "font": {"size": 11}})
    if s.size == 0 or _near_zero(s):
        shapes.append(_vline(0, "#B2182B", width=2))
    layout = _layout(f"{label(option)}: cheaper than the baseline in {share_text(p)} of "
                     f"{mc.n:,} draws",
                     shapes=shapes, annotations=annotations, bargap=0,
                     margin={"l": 70, "r": 30, "t": 90, "b": 60},
                     xaxis={"title": "savings against the baseline [USD]", "tickprefix": "$",
                                "tickformat": ",.0f"},
                     yaxis={"title": "share of draws [%]"})
    return go.Figure(data=traces, layout=layout)


def cost_groups_frame(result: Any) -> pd.DataFrame:
    """Total cost over the horizon per option (rows, baseline first) and group of
    :data:`COST_GROUPS` (columns) [USD]; groups that are zero for every option are left out."""
    totals = result.monthly.groupby(["option", "component"], sort=False)["cost_usd"].sum()
    rows = {}
    for option in result.summary["option"]:
        part = totals.get(option, pd.Series(dtype=float))
        rows[option] = {g: float(sum(part.get(c, 0.0) for c in comps))
                        for g, comps in COST_GROUPS.items()}
    frame = pd.DataFrame.from_dict(rows, orient="index", columns=list(COST_GROUPS))
    return frame.loc[:, (frame != 0).any(axis=0)]


def cost_groups(result: Any) -> go.Figure:
    """Data, training, inference and people side by side: one bar per group and option, the
    total over months 0..H [USD]."""
    frame = cost_groups_frame(result)
    groups = list(frame.columns)
    traces = [{"type": "bar", "x": groups, "y": frame.loc[o].to_numpy(dtype=float),
               "name": label(o), "marker_color": OPTION_COLORS.get(o),
               "hovertemplate": label(o) + "<br>%{x}: %{y:$,.0f}<extra></extra>"}
              for o in frame.index]
    layout = _layout(f"Where the money goes over {result.scenario.horizon_months} months: "
                     f"data, training, inference and people", barmode="group",
                     xaxis={"title": "cost group"},
                     yaxis={"title": "cost [USD]", "tickprefix": "$", "tickformat": ",.0f"})
    return go.Figure(data=traces, layout=layout)
