"""The evaluation as pages show it: one cached fit per database, rollout file, outcome and start
(pages/evaluation.py), and the evaluated alternative on the Resource savings page."""

from __future__ import annotations

from datetime import date, timedelta

import streamlit as st

from . import evaluation as ev
from . import ui


def rollout_text() -> str:
    path = ev.rollout_path()
    return path.read_text(encoding="utf-8") if path.exists() else ""


@st.cache_data(ttl=3600, max_entries=16, show_spinner="Fitting the evaluation models…")
def _evaluate(stamp: tuple, rollout_text: str, key: str, start: date, impact: str) -> ev.Evaluation:
    # Keyed by the database stamp and the rollout file's text: a re-import or an edit refits.
    return ev.evaluate(ev.load_panel(ui.connection()), key, start, ev.load_rollout(), impact)


@st.cache_data(ttl=3600, max_entries=4, show_spinner=False)
def _panel(stamp: tuple) -> ev.Panel:
    return ev.load_panel(ui.connection())


def evaluate(key: str, start: date, impact: str = "step") -> ev.Evaluation:
    return _evaluate(ui._stamp(), rollout_text(), key, start, impact)


def panel() -> ev.Panel:
    return _panel(ui._stamp())


def rollout_or_warn() -> dict[str, date]:
    try:
        return ev.load_rollout()
    except ValueError as e:
        st.warning(f"The district rollout is not used: {e}", icon="⚠️")
        return {}


def default_arrest_evaluation() -> tuple[ev.Evaluation | None, dict[str, date]]:
    """BH arrests at the default start (the first district's start, else the first milestone)."""
    rollout = rollout_or_warn()
    start = ev.default_start(rollout, list(ui.milestones()["date"].dt.date))
    return (evaluate("bh_arrests", start) if start else None), rollout


def savings_alternative(f, assumptions, result: dict, ctx) -> None:
    """Resource savings: the evaluated effect on BH arrests, priced with the same formula."""
    with st.container(border=True):
        st.markdown("**Alternative: arrests avoided from the evaluated effect** (Program evaluation page)")
        e, rollout = default_arrest_evaluation()
        if e is None:
            st.caption("Not available: no program start (a milestone on the Settings page, config/milestones.csv, or "
                       "config/program_rollout.csv).")
            return
        effect = ev.period_effect(e, panel(), rollout, f"{f.period.start:%Y-%m}",
                                  f"{f.period.end - timedelta(days=1):%Y-%m}",
                                  f.district)
        if isinstance(effect, ev.Refusal):
            st.caption(f"Not available for this selection: {effect.reason}")
            return
        if ctx.is_public and (ui.is_withheld(result.get("net_cost_avoidance"))
                              or effect.observed < ctx.cfg.suppression_threshold):
            st.caption("Suppressed for this selection: it is built on counts too small to publish.")
            return
        alt = ev.evaluated_savings(ui.connection(), f, assumptions, effect)
        a = effect.avoided
        c1, c2 = st.columns(2)
        c1.metric("Arrests avoided (evaluated)", f"{a.estimate:,.1f}", border=True)
        c1.caption(f"95% interval {a.low:,.1f} to {a.high:,.1f}. {effect.sentence()}.")
        c2.metric("Net cost avoidance with evaluated arrests", ui.fmt(alt["estimate"].get("net_cost_avoidance"), "usd"),
                  border=True)
        c2.caption(f"From the arrest interval: {ui.fmt(alt['low'].get('net_cost_avoidance'), 'usd')} to "
                   f"{ui.fmt(alt['high'].get('net_cost_avoidance'), 'usd')} (unit costs at their central values; "
                   "ED transports and officer time as above).")
        st.caption("The headline figures above do not use this estimate: they use the same-period comparison. "
                   "The evaluated one compares the same districts before and after the start, so it is the one "
                   "to quote for “what the program changed”, with its interval.")
