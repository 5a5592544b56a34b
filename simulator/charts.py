"""Plotly figures of a comparison. Pure builders: data in, ``plotly.graph_objects.Figure`` out.

Every function takes the core's outputs (:class:`~simulator.report.Result`,
:class:`~simulator.uncertainty.MonteCarloResult`, :class:`~simulator.uncertainty.SavingsGrid`,
the tornado DataFrame) and returns a figure; none draws, saves or imports a UI toolkit. Money
axes are [USD], time axes [months], volumes [requests/month], prompt lengths [tokens].
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go

OPTION_LABELS = {
    "prompt": "Prompt a large model",
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
}

_LAYOUT = dict(template="plotly_white", margin=dict(l=70, r=30, t=60, b=60),
               legend=dict(orientation="h", yanchor="bottom", y=1.02, xanchor="left", x=0),
               font=dict(size=13), height=430)


def label(option: str) -> str:
    """The display name of an option."""
    return OPTION_LABELS.get(option, option)


def _title(text: str) -> dict:
    return dict(text=text, x=0, xanchor="left", font=dict(size=15))


def cumulative_cost(result: Any) -> go.Figure:
    """Cumulative cost of every option over the months, with the break-even points marked.

    x: month (0 = one-time costs at the start) [months]; y: cumulative cost [USD]. A marker
    sits on each option's curve at its break-even month against the baseline (the first
    month from which it stays at or below the baseline).
    """
    cum = result.cumulative()
    summary = result.summary.set_index("option")
    baseline = result.scenario.baseline
    fig = go.Figure()
    for option in summary.index:
        part = cum[cum["option"] == option]
        name = label(option) + (" (baseline)" if option == baseline else "")
        fig.add_trace(go.Scatter(
            x=part["month"], y=part["cumulative_usd"], mode="lines", name=name,
            line=dict(color=OPTION_COLORS.get(option), width=3 if option == baseline else 2,
                      dash="dash" if option == baseline else "solid"),
            hovertemplate="month %{x}<br>%{y:$,.0f}<extra>" + label(option) + "</extra>"))
    for option in summary.index:
        if option == baseline:
            continue
        month = summary.loc[option, "breakeven_month"]
        if month is pd.NA or pd.isna(month):
            continue
        y = cum.loc[(cum["option"] == option) & (cum["month"] == int(month)), "cumulative_usd"]
        if y.empty:
            continue
        fig.add_trace(go.Scatter(
            x=[int(month)], y=[float(y.iloc[0])], mode="markers+text",
            marker=dict(symbol="star", size=15, color=OPTION_COLORS.get(option),
                        line=dict(color="black", width=1)),
            text=[f"break-even: month {int(month)}"],
            textposition=("top right" if int(month) < 0.6 * result.scenario.horizon_months
                          else "top left"),
            textfont=dict(size=12), name=f"{label(option)} break-even", showlegend=False,
            hovertemplate=f"{label(option)} breaks even in month {int(month)}<extra></extra>"))
    fig.update_layout(**_LAYOUT, title=_title("Cumulative cost per option"),
                      xaxis_title="month", yaxis_title="cumulative cost [USD]",
                      hovermode="x unified")
    fig.update_yaxes(tickprefix="$", tickformat=",.0f", rangemode="tozero")
    fig.update_xaxes(range=[0, result.scenario.horizon_months], dtick=_month_tick(
        result.scenario.horizon_months))
    return fig


def _month_tick(horizon: int) -> int:
    return 1 if horizon <= 12 else 3 if horizon <= 36 else 6 if horizon <= 72 else 12


def cost_breakdown(result: Any) -> go.Figure:
    """Total cost of every option over the horizon, stacked by component.

    x: option; y: cost summed over months 0..H [USD]; one colour per component (labelling,
    training, evaluation, engineering, inference, hosting, infrastructure, errors).
    """
    totals = (result.monthly.groupby(["option", "component"], sort=False)["cost_usd"].sum()
              .unstack("component", fill_value=0.0))
    options = [o for o in result.summary["option"] if o in totals.index]
    totals = totals.reindex(options)
    components = [c for c in COMPONENT_COLORS if c in totals.columns]
    components += [c for c in totals.columns if c not in components]
    names = [label(o) for o in options]
    fig = go.Figure()
    for comp in components:
        values = totals[comp].to_numpy(dtype=float)
        fig.add_trace(go.Bar(x=names, y=values, name=comp,
                             marker_color=COMPONENT_COLORS.get(comp),
                             hovertemplate="%{x}<br>" + comp + ": %{y:$,.0f}<extra></extra>"))
    grand = totals.sum(axis=1).to_numpy(dtype=float)
    fig.add_trace(go.Scatter(x=names, y=grand, mode="text", showlegend=False,
                             text=[f"${v:,.0f}" for v in grand], textposition="top center",
                             hoverinfo="skip"))
    fig.update_layout(**_LAYOUT, barmode="stack",
                      title=_title(f"Total cost over {result.scenario.horizon_months} months, "
                                   "by component"),
                      yaxis_title="cost [USD]")
    fig.update_yaxes(tickprefix="$", tickformat=",.0f",
                     range=[0, float(grand.max()) * 1.15 if grand.size and grand.max() > 0
                            else 1])
    return fig


def savings_heatmap(grid: Any, option: str, *, current: tuple[float, float] | None = None,
                    x_title: str = "requests in month 1 [requests/month]",
                    y_title: str = "static prompt (system + few-shot) [tokens]",
                    baseline_label: str | None = None) -> go.Figure:
    """Savings of ``option`` against the baseline over a grid of two inputs, with the
    break-even contour (savings = 0) and today's point.

    ``grid`` is a :class:`~simulator.uncertainty.SavingsGrid`; colour: savings [USD] (green:
    the option is cheaper, red: the baseline is); x is drawn on a log scale when its values
    span more than a factor of 20.
    """
    z = np.asarray(grid.savings_usd[option], dtype=float)
    x = np.asarray(grid.x_values, dtype=float)
    y = np.asarray(grid.y_values, dtype=float)
    bound = float(np.nanmax(np.abs(z))) if z.size and np.isfinite(z).any() else 1.0
    bound = bound or 1.0
    base = baseline_label or label(grid.baseline)
    fig = go.Figure(go.Heatmap(
        x=x, y=y, z=z, zmin=-bound, zmax=bound, zmid=0,
        colorscale=[[0, "#B2182B"], [0.5, "#F7F7F7"], [1, "#1A9850"]],
        colorbar=dict(title=dict(text="savings [USD]", side="right"), tickprefix="$",
                      tickformat=",.0f"),
        hovertemplate=("volume %{x:,.0f}/month<br>prompt %{y:,.0f} tokens<br>"
                       "savings %{z:$,.0f}<extra></extra>")))
    contour = grid.contour(option)
    if not contour.empty:
        fig.add_trace(go.Scatter(x=contour["x"], y=contour["y"], mode="markers",
                                 marker=dict(color="black", size=5),
                                 name="break-even (savings = 0)",
                                 hovertemplate="break-even<br>%{x:,.0f}/month, "
                                               "%{y:,.0f} tokens<extra></extra>"))
    if current is not None:
        fig.add_trace(go.Scatter(x=[current[0]], y=[current[1]], mode="markers",
                                 marker=dict(symbol="x", size=14, color="black",
                                             line=dict(width=2)),
                                 name="today's inputs",
                                 hovertemplate="today: %{x:,.0f}/month, %{y:,.0f} tokens"
                                               "<extra></extra>"))
    fig.update_layout(**_LAYOUT, title=_title(f"Savings of {label(option)} against {base}"),
                      xaxis_title=x_title, yaxis_title=y_title)
    if x.size and x.min() > 0 and x.max() / x.min() > 20:
        fig.update_xaxes(type="log", dtick="D2")
    if contour.empty:
        sign = "cheaper" if np.nanmin(z) > 0 else "dearer"
        fig.add_annotation(text=f"{label(option)} is {sign} everywhere on this grid: no "
                                "break-even line", xref="paper", yref="paper", x=0.5, y=1.0,
                           yanchor="bottom", showarrow=False, font=dict(size=12))
    return fig


def tornado(frame: pd.DataFrame, option: str, *, labels: Mapping[str, str] | None = None,
            top: int = 10) -> go.Figure:
    """How far each input alone moves the savings of ``option`` (largest swing on top).

    ``frame`` is the output of :func:`simulator.uncertainty.sensitivity`. Each bar runs from the
    savings at the input's low value to the savings at its high value [USD]; the vertical line
    is today's savings.
    """
    part = frame[frame["option"] == option].head(top).iloc[::-1]
    labels = labels or {}
    fig = go.Figure()
    if part.empty:
        fig.update_layout(**_LAYOUT, title=_title(f"No inputs to vary for {label(option)}"))
        return fig
    base = float(part["base_savings_usd"].iloc[0])
    names = [labels.get(f, f) for f in part["field"]]
    lows = part["savings_low_usd"].to_numpy(dtype=float)
    highs = part["savings_high_usd"].to_numpy(dtype=float)
    fig.add_trace(go.Bar(
        y=names, x=lows - base, base=base, orientation="h", name="input at its low value",
        marker_color="#4C78A8",
        customdata=np.stack([part["low"], lows], axis=-1),
        hovertemplate="%{y} = %{customdata[0]:,.4g}<br>savings %{customdata[1]:$,.0f}"
                      "<extra></extra>"))
    fig.add_trace(go.Bar(
        y=names, x=highs - base, base=base, orientation="h", name="input at its high value",
        marker_color="#F58518",
        customdata=np.stack([part["high"], highs], axis=-1),
        hovertemplate="%{y} = %{customdata[0]:,.4g}<br>savings %{customdata[1]:$,.0f}"
                      "<extra></extra>"))
    fig.add_vline(x=base, line=dict(color="black", width=1, dash="dot"))
    if _near_zero(np.concatenate([lows, highs, [base]])):
        fig.add_vline(x=0, line=dict(color="#B2182B", width=1))
    fig.update_layout(**_LAYOUT, barmode="overlay",
                      title=_title(f"What moves the savings of {label(option)} most"),
                      xaxis_title="savings against the baseline [USD]")
    fig.update_layout(height=max(330, 60 + 38 * len(part)), margin=dict(l=230, r=30, t=60,
                                                                        b=60))
    fig.update_xaxes(tickprefix="$", tickformat=",.0f")
    return fig


def _near_zero(values: np.ndarray) -> bool:
    """True when 0 lies within the values' range widened by a quarter of its span (then a line
    at 0 helps; otherwise it would only squeeze the chart)."""
    lo, hi = float(np.min(values)), float(np.max(values))
    pad = 0.25 * (hi - lo)
    return lo - pad <= 0 <= hi + pad


def savings_distribution(mc: Any, option: str, *, nbins: int = 60) -> go.Figure:
    """Distribution of the savings of ``option`` over the Monte Carlo draws, with P(win).

    ``mc`` is a :class:`~simulator.uncertainty.MonteCarloResult`; x: savings against the
    baseline [USD] (right of the red line: the option is cheaper); y: share of draws [%].
    Dotted lines: 5th, 50th and 95th percentiles; a red line marks 0 when it is in view.
    """
    s = np.asarray(mc.savings_usd[option], dtype=float)
    s = s[np.isfinite(s)]
    row = mc.summary.set_index("option").loc[option]
    p = float(row["p_cheaper"])
    fig = go.Figure()
    if s.size:
        lo, hi = float(s.min()), float(s.max())
        if lo == hi:
            lo, hi = lo - 1, hi + 1
        edges = np.linspace(lo, hi, nbins + 1)
        counts, _ = np.histogram(s, bins=edges)
        centers = 0.5 * (edges[:-1] + edges[1:])
        share = counts / s.size * 100
        colors = np.where(centers > 0, "#1A9850", "#B2182B")
        fig.add_trace(go.Bar(x=centers, y=share, width=np.diff(edges), marker_color=colors,
                             name="draws", showlegend=False,
                             hovertemplate="savings ≈ %{x:$,.0f}<br>%{y:.1f}% of draws"
                                           "<extra></extra>"))
    if s.size == 0 or _near_zero(s):
        fig.add_vline(x=0, line=dict(color="#B2182B", width=2))
    for q in (5, 50, 95):
        value = float(row[f"savings_p{q}_usd"])
        fig.add_vline(x=value, line=dict(color="black", width=1, dash="dot"),
                      annotation_text=f"P{q}: ${value:,.0f}", annotation_position="top",
                      annotation_font_size=11)
    fig.update_layout(**_LAYOUT,
                      title=_title(f"{label(option)}: cheaper than the baseline in {p:.0%} "
                                   f"of {mc.n:,} draws"),
                      xaxis_title="savings against the baseline [USD]",
                      yaxis_title="share of draws [%]", bargap=0)
    fig.update_layout(margin=dict(l=70, r=30, t=90, b=60))
    fig.update_xaxes(tickprefix="$", tickformat=",.0f")
    return fig
