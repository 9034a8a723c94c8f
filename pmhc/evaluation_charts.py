"""Charts of the evaluation page: the interrupted time series with its counterfactual band,
and the event study of the staggered design (pre-period coefficients = parallel-trends check)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from . import charts
from .evaluation import DiD, ITS


def time_series(its: ITS, title: str, y_title: str, hide_below: int | None = None) -> go.Figure:
    """Observed months (points), the fitted model (line) and the counterfactual after the start
    (dashed, with its 95% band). `hide_below`: observed counts under it are not drawn (public view)."""
    f = its.frame
    xs = pd.to_datetime(f["month"] + "-01")
    observed = f["observed"].where(f["observed"] >= hide_below) if hide_below else f["observed"]
    post = f["post"].to_numpy()
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=xs[post], y=f["cf_high"][post], mode="lines", line={"width": 0},
                             showlegend=False, hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=xs[post], y=f["cf_low"][post], mode="lines", line={"width": 0}, fill="tonexty",
                             fillcolor="rgba(230,159,0,0.25)", name="Counterfactual, 95% band", hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=xs[post], y=f["counterfactual"][post], mode="lines", name="Without the program "
                             "(counterfactual)", line={"color": charts.PALETTE[1], "width": 2.5, "dash": "dash"},
                             hovertemplate="%{y:,.1f}<extra>counterfactual</extra>"))
    fig.add_trace(go.Scatter(x=xs, y=f["fitted"], mode="lines", name="Fitted model",
                             line={"color": charts.PALETTE[0], "width": 2.5},
                             hovertemplate="%{y:,.1f}<extra>fitted</extra>"))
    fig.add_trace(go.Scatter(x=xs, y=observed, mode="markers", name="Observed", connectgaps=False,
                             marker={"color": "#444", "size": 6}, hovertemplate="%{y:,.4~g}<extra>observed</extra>"))
    start = pd.Timestamp(its.start)
    fig.add_vline(x=start, line={"color": "#888", "dash": "dot"})
    fig.add_annotation(x=start, y=1, yref="paper", text="Program start", showarrow=False, xanchor="left",
                       yanchor="bottom", font={"size": 11, "color": "#555"})
    charts._layout(fig, title, "Month", y_title, False)
    if hide_below:
        charts._note(fig, f"Observed months under {hide_below} are not drawn (public view).")
    return fig


def event_study(did: DiD, title: str) -> go.Figure:
    """Effect by quarter since the district's start (ratio − 1), with 95% intervals; quarter −1
    is the reference. Before the start the estimates should sit around zero."""
    e = did.events
    fig = go.Figure()
    colors = [charts.PALETTE[5] if q < 0 else charts.PALETTE[0] for q in e["quarter"]]
    fig.add_trace(go.Scatter(
        x=e["quarter"], y=e["estimate"], mode="markers", marker={"color": colors, "size": 9},
        error_y={"type": "data", "symmetric": False, "array": e["high"] - e["estimate"],
                 "arrayminus": e["estimate"] - e["low"], "color": "#777"},
        name="Estimate, 95% interval", hovertemplate="quarter %{x}: %{y:+.0%}<extra></extra>"))
    fig.add_hline(y=0, line={"color": "#888"})
    fig.add_vline(x=-0.5, line={"color": "#888", "dash": "dot"})
    charts._layout(fig, title, "Quarters since the district's program start (−1 = reference)",
                   "Change vs. comparison districts", True)
    fig.update_yaxes(tickformat="+.0%")
    fig.update_xaxes(dtick=1)
    return fig
