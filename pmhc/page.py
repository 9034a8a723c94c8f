"""The scaffold of every dashboard page: title, data check, filter bar, caption of the
selection, charts with their subtitle, figure cards, the source line.

Pages stay thin (read filters, call these helpers, draw) so that a later change to
privacy or caching happens once, not on every page.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from . import access, chart_table, charts, escape, figures, present, release, sql
from . import coverage as _coverage
from .config import AgencyConfig, default_db_path, load_agency
from .connection import connection
from .figure_cache import coverage
from .filter_bar import DataSpan, data_span, filter_bar, filters_label, scope_label
from .role import current_role
from . import metrics


@dataclass
class PageContext:
    spec: access.PageSpec
    role: str
    cfg: AgencyConfig
    span: DataSpan
    filters: metrics.Filters | None

    @property
    def is_public(self) -> bool:
        return access.is_public(self.role)

    @property
    def period_complete(self) -> bool:
        return self.filters is None or self.span.covers(self.filters.period)


def _leave_folder_navigation() -> None:
    """Make a link straight to a page work on a freshly started server.

    Streamlit treats a `pages/` folder as its old automatic navigation until the first
    st.navigation call in the server process, so the very first request for e.g. /grant
    would run pages/grant.py without app.py (no role, no layout, every file listed).
    Turn that mode off and rerun, which runs app.py's navigation for the same URL.
    """
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:  # a Streamlit without the old mode
        return
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def start(key: str, with_filters: bool = True) -> PageContext:
    """Header, data check and filter bar for a page; stops the page when there is no data."""
    _leave_folder_navigation()
    st.session_state["_page_queries"] = sql.start_recording()
    spec = access.page(key)
    role = current_role()
    cfg = load_agency()
    st.title(present.term(spec.title))
    con = connection()
    if con is None:
        first_run(cfg, role, f"**No database yet.** The dashboard reads `{default_db_path()}`, which does not "
                             "exist: the first import creates it.")
        st.stop()
    span = data_span()
    if span is None:
        first_run(cfg, role, "**No calls or contacts are loaded yet.**")
        st.stop()
    filters = filter_bar(span, cfg) if with_filters else None
    st.session_state["_page_filters"] = filters
    ctx = PageContext(spec, role, cfg, span, filters)
    bits = [f"For {spec.audience}"]
    if filters is not None:
        bits.append(f"Showing **{filters_label(filters, markdown=True)}**")
    bits.append(f"Data loaded: {present.span_text(span.first, span.last)}")
    st.caption(" · ".join(bits))
    if filters is not None and not ctx.period_complete:
        st.warning(present.outside_span_text(span.first, span.last, "The selected period"), icon="⚠️")
    if ctx.is_public:
        st.caption(f"Public view: counts below {cfg.suppression_threshold} are suppressed so that no one "
                   "can be identified (shown as “<" f"{cfg.suppression_threshold}”; “suppressed” where a figure "
                   "would let one be worked out), and person-level lists are not shown. "
                   f"{release.UNSTABLE_NOTE.format(n=cfg.unstable_numerator)}")
    return ctx


def first_run(cfg: AgencyConfig, role: str, why: str) -> None:
    """The guided start of a workspace with no data, instead of empty charts: what to do, in
    order, with links to the pages that do it (administrators) or who to ask (others)."""
    from .config import Workspace

    ws = Workspace.current()
    if ws.sample:  # the checkout: its sample data, or an agency's exports
        why += ("\n\nBuild it from the sample data with `make run`, or import your own exports:\n\n"
                f"```sh\npmhc import sample_data/*.csv.gz --db {default_db_path()}\n```")
    st.info(why, icon=":material/database:")
    st.markdown(f"### Getting started for {escape.markdown(cfg.name)}")
    if not access.can(role, "import_data"):
        st.markdown("An administrator loads the agency's exports; the figures appear here as soon as the first "
                    "import finishes.")
        return
    st.markdown(
        "1. **Upload an export** — CAD calls, the co-responder log or arrest records (.csv, .csv.gz or .xlsx) — "
        "on the Data page, or on the server: `pmhc import FILE…`.\n"
        "2. **Pick or draft a profile.** An export whose columns are not named as in the data model needs a mapping "
        "profile: pick a shipped one (Toronto persons in crisis, Seattle crisis templates, CAD with disposition "
        "codes, …) or start one from the export's header on the Data page and save it into the workspace's "
        f"`{escape.markdown(str(ws.profiles_dir))}`.\n"
        "3. **Read the data-quality report** the import writes (Data page): rows loaded, quarantined with the reason, "
        "codes the profile does not map, months with gaps.\n"
        "4. **Check the settings** — which call types are behavioral health, what each disposition code means, unit "
        "costs and the program cost (none is set yet: the savings figures say *not measured* until they are), "
        "milestones — on the Settings page.\n"
        "5. **See the pages**: Overview, volume, outcomes, repeat contacts, savings, grant figures and reports.")
    c1, c2 = st.columns(2)
    c1.page_link(access.page("data").path, label="Data: upload an export", icon=":material/upload_file:")
    c2.page_link(access.page("settings").path, label="Settings", icon=":material/settings:")


def subtitle(f: metrics.Filters) -> str:
    return f"{f.period.label} · {scope_label(f)}"


def chart(fig: go.Figure, key: str | None = None, subtitle_text: str | None = None) -> None:
    """Draw a chart; its subtitle names the selection it shows (the page's filters by default).
    Under it, its data as a table one click away: the chart's text alternative for a screen
    reader or keyboard user (pmhc.chart_table)."""
    f = st.session_state.get("_page_filters")
    text = subtitle_text or (subtitle(f) if f is not None else None)
    if text and not fig.layout.title.subtitle.text:
        fig.update_layout(title_subtitle_text=escape.html(text), title_subtitle_font={"size": 12, "color": "#666"},
                          margin_t=max(fig.layout.margin.t or 60, 80))
    st.plotly_chart(fig, width="stretch", config={"displaylogo": False}, key=key)
    data = chart_table.table(fig)
    if not data.empty:  # an empty chart says in words why it has nothing to show
        with st.expander(f"Data table: {chart_table.title(fig)}", icon=":material/table:"):
            st.dataframe(data, hide_index=True, width="stretch")


def page_queries() -> list[str]:
    """The named queries this page run has used so far (recorded since ui.start)."""
    return sorted(st.session_state.get("_page_queries") or ())


def sources(*cached_elsewhere: str) -> None:
    """Where this page's figures come from: exactly the named queries the page ran (one
    hop from the page to the SQL), listed by file. `cached_elsewhere`: queries a page runs
    through a cache of its own (not the figure cache), which records nothing on a hit."""
    names = sorted(set(page_queries()) | set(cached_elsewhere))
    locs = ", ".join(f"`{sql.get(q).location}`" for q in sorted(names, key=lambda n: sql.get(n).location))
    st.caption(f"Figures on this page come from {locs}. Definitions: the Methodology page.")


def milestones() -> pd.DataFrame:
    """Program milestones for trend charts; a broken file is reported, not fatal."""
    try:
        return charts.load_milestones()
    except ValueError as e:
        st.warning(f"Milestones are not drawn: {e}", icon="⚠️")
        return charts.load_milestones(Path("/nonexistent"))


def query_comment(name: str) -> str:
    """The comment block at the top of a named query (its formula), line breaks kept."""
    from . import sql

    lines = []
    for line in sql.get(name).sql.splitlines():
        if not line.startswith("--"):
            break
        lines.append(line[2:].rstrip().removeprefix(" "))
    return "\n".join(lines)


def metric_row(values: dict, items: list[tuple[str, str]]) -> None:
    """A row of bordered figures: (figure key, short label); the definition is the tooltip."""
    cfg = load_agency()
    figs = figures.by_key(cfg.repeat_windows_days, cfg.repeat_min_contacts)
    per_row = len(items) if len(items) <= 4 else (len(items) + 1) // 2
    for start_at in range(0, len(items), per_row):
        for col, (key, label) in zip(st.columns(per_row), items[start_at:start_at + per_row]):
            fig = figs[key]
            note = explain(values.get(key), key)
            col.metric(label, present.fmt(values.get(key), fig.unit), help=f"**{fig.label}.** {fig.definition}",
                       border=True)
            if note:
                col.caption(note)


def no_data(message: str = charts.NO_DATA) -> None:
    st.info(message, icon=":material/filter_alt_off:")


def has_data(values: dict, *keys: str) -> bool:
    return any((values.get(k) or 0) != 0 for k in keys)


def explain(value, key: str, filters: metrics.Filters | None = None) -> str:
    """One line beside a figure: why it is not measured, or the part of the selection it covers."""
    f = filters if filters is not None else st.session_state.get("_page_filters")
    cov = coverage(f) if f is not None else None
    return _coverage.explain(value, figures.lookup(key), cov, access.is_public(current_role()))
