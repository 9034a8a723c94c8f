"""Reports & exports: the files people take into meetings, for the filters in the sidebar.

The chief takes the slide deck to council, the grant writer the workbook, and the one-page
PDF goes in the chief's folder. They are built from the same figures as the dashboard; a
public viewer only ever gets the privacy release, and staff must opt in to exact small
counts. A deck takes seconds (its charts are drawn by a headless browser), so files are
built on click and kept for this session, not rebuilt on every rerun.
"""

import shlex

import streamlit as st

from pmhc import access, figures, login, metrics, progress, release, reports, ui
from pmhc.reports.images import ChartImageError

ctx = ui.start("reports")
f = ctx.filters
p = f.period
role = ctx.role
may_download = access.can(role, "download_reports")

FILES = {
    "pptx": {
        "title": "Council slide deck (.pptx)",
        "who": "the chief, presenting to city council",
        "what": "A title slide with the agency and period; one slide per headline figure with the number, how it "
                "changed, a one-line definition and its monthly chart (full definition in the speaker notes); how "
                "the figures are made; the savings estimate's assumptions and their sources.",
        "button": "Build the slide deck",
        "download": "Download the slide deck",
        "slow": True,
    },
    "xlsx": {
        "title": "Grant workbook (.xlsx)",
        "who": "the grant writer, for applications and reports to funders",
        "what": "Sheet *Figures*: every figure for the period with its definition, numerator, denominator and SQL "
                "source. *By month* and *By district*: the same figures broken down. *Assumptions*: the unit "
                "costs behind the savings estimate with source and year. Every value is a real number "
                "(a rate is 0.625 formatted as 62.5 %), ready for your own tables.",
        "button": "Build the workbook",
        "download": "Download the workbook",
        "slow": False,
    },
    "pdf": {
        "title": "One-page summary (.pdf)",
        "who": "the chief's folder and anyone who wants the headline on one sheet of paper",
        "what": "The six headline figures with their changes and one-line definitions, the monthly trend of "
                "behavioral-health and co-responded calls, and the caveats (savings are an estimate with a "
                "range; where the numbers come from). Always exactly one page.",
        "button": "Build the summary",
        "download": "Download the summary",
        "slow": True,
    },
}

# ------------------------------------------------------------------ which release

if ctx.is_public:
    public = True
    st.info("These files are the **public release**: counts below "
            f"{ctx.cfg.suppression_threshold} are shown as “<{ctx.cfg.suppression_threshold}” or “suppressed”, "
            "and nothing in them is about an individual person. They are safe to hand out.",
            icon=":material/public:")
else:
    internal = st.checkbox(
        "Internal release (exact small counts — do not publish)", value=False, key="reports_internal",
        help="Off: the public release, safe for council and the press. On: exact figures including counts "
             f"below {ctx.cfg.suppression_threshold}, for internal checks and funders' confidential reports only.")
    public = not internal
    if public:
        st.caption("Public release: small counts are suppressed exactly as on the public dashboard. "
                   "Tick the box above for exact figures (internal use only).")
    else:
        st.warning("**Internal release**: these files hold exact small counts that could identify people. "
                   "Do not publish them or send them outside the agency; build the public release for council.",
                   icon="⚠️")

st.markdown(f"**Period: {p.start:%-d %B %Y} to {p.last_day:%-d %B %Y}** ({p.label}, both days included), "
            f"{ui.scope_label(f, markdown=True)}. Change it with the filters in the sidebar.")
st.caption("The savings estimate uses the saved assumptions file (config/assumptions.toml), not what-if values "
           "tried on the Resource savings page.")
if not may_download:
    st.warning("Your role may not download reports.", icon=":material/block:")
# A public file of any other range could be differenced against the published months.
unpublished = public and not ui.is_published(p)
if unpublished:
    st.warning(f"No public file for this period. {release.not_published_reason(p, ui.grant_periods())}. "
               "Choose a published period in the sidebar"
               + ("." if ctx.is_public else ", or tick *Internal release* for exact files (internal use only)."),
               icon=":material/block:")

# ------------------------------------------------------------------ build and download

built: dict = st.session_state.setdefault("reports_built", {})
# The selection's gathered figures: the slow part (the privacy release of the period, the
# previous period and a year earlier), kept so the other two files reuse it.
gathered: dict = st.session_state.setdefault("reports_gathered", {})
# The database/config stamp is part of every key: after a re-import the old file is stale.
selection = (ui._filters_key(f), role, public, ui._stamp())
for old_key in [k for k in built if k[1:] != selection]:  # files of other selections: not offered, not kept
    del built[old_key]


def build(fmt: str, on_progress=None) -> bytes | None:
    if unpublished:
        return None
    if selection not in gathered:
        try:
            assumptions = metrics.load_assumptions()
        except ValueError as e:
            st.error(f"The assumptions file cannot be read, so the savings estimate cannot be built: {e}",
                     icon=":material/error:")
            return None
        cur = reports.own_cursor(ui.connection(), ctx.cfg)
        try:
            # The dashboard's cached releases: a selection already seen on another page
            # (and its previous period and year earlier) is not suppressed all over again.
            data = reports.gather(cur, f, ctx.cfg, assumptions, public=public,
                                  releases=lambda flt: ui._release(ui._filters_key(flt), role, ui._stamp()),
                                  categories=figures.CATEGORIES)
        finally:
            cur.close()
        gathered.clear()  # one selection at a time: the figures of a year are not small
        gathered[selection] = data
    try:
        return reports.layout(fmt, gathered[selection], on_progress=on_progress)
    except ChartImageError as e:
        st.error(f"The charts for this file could not be drawn: {e}", icon=":material/error:")
        return None


for fmt, info in FILES.items():
    with st.container(border=True):
        st.subheader(info["title"])
        st.markdown(f"**For** {info['who']}.\n\n{info['what']}")
        key = (fmt, *selection)
        if key not in built:
            slot = st.empty()  # the build button, replaced by the download once built
            if slot.button(info["button"], key=f"reports_build_{fmt}", icon=":material/build:",
                           disabled=not may_download or unpublished):
                if selection not in gathered and public:
                    wait = "Computing the figures and their privacy release (up to a minute for a year of data)…"
                elif info["slow"]:
                    wait = "Drawing the charts and building the file (a few seconds)…"
                else:
                    wait = "Building the file…"
                with st.status(wait, expanded=True) as box:
                    data = build(fmt, on_progress=progress.StreamlitStatus(box) if fmt == "pptx" else None)
                    box.update(label="Built" if data is not None else "Not built",
                               state="complete" if data is not None else "error", expanded=False)
                if data is not None:
                    built[key] = data
                    slot.empty()
        if key in built:
            data = built[key]
            st.download_button(
                info["download"], data, file_name=reports.file_name(fmt, f), mime=reports.FORMATS[fmt][0],
                key=f"reports_download_{fmt}", type="primary", icon=":material/download:",
                disabled=not may_download,
                on_click=login.on_download(info["title"], file=reports.file_name(fmt, f), period=p.label,
                                           district=f.district or "all", release="public" if public else "internal"))
            st.caption(f"{reports.file_name(fmt, f)} · {len(data) / 1024:,.0f} KB · "
                       f"{'public release' if public else 'INTERNAL release — do not publish'}")

# ------------------------------------------------------------------ the same from the command line

st.subheader("The same files from the command line")
st.caption("For scripting a monthly or quarterly run: the same builders, the same figures. The period is given "
           "as its first and last month.")
args = ["--from", f"{p.start:%Y-%m}", "--to", f"{p.last_day:%Y-%m}"]
if f.district:
    args += ["--district", f.district]
if f.responder_type:
    args += ["--responder-type", f.responder_type]
if not public:
    args.append("--internal")
lines = [shlex.join(["pmhc", "report", *args, "--format", fmt, "--out", reports.file_name(fmt, f)])
         for fmt in FILES]
st.code("\n".join(lines), language="bash")
st.caption("Charts are drawn offline with the machine's Chromium (`/usr/bin/chromium`, or set `BROWSER_PATH`); "
           "nothing is fetched from the internet.")
