"""Dashboard entry point: `streamlit run app.py`.

Decides who is looking (pmhc.login.gate: login, demo mode, idle expiry; pmhc.ui.current_role)
and which pages that role may open (pmhc.access.PAGES); each page draws its own header and
the shared filter bar.
"""

from pathlib import Path

import streamlit as st

from pmhc import access, login, present, ui
from pmhc.config import load_agency

ROOT = Path(__file__).resolve().parent

cfg = load_agency()
st.set_page_config(page_title=f"{cfg.program} outcomes", page_icon=":material/diversity_3:", layout="wide")
# A traceback names server paths and code: no viewer sees one, whatever started the server
# (.streamlit/config.toml says the same for `streamlit run` from this folder).
st.set_option("client.showErrorDetails", "none")
# A table's own "Download as CSV" / copy would export person-level rows without an audit
# line: off everywhere, so every export is a download button that records itself.
st.set_option("client.disableDataExport", True)

# Login before anything is drawn: a login page (and a stop) until someone is logged in;
# demo mode (PMHC_DEMO=1) is refused unless the database holds only the sample data.
session = login.gate(f"{cfg.program} outcomes")
if ui.demo_mode():
    st.sidebar.caption("Demo mode: synthetic sample data.")
    ui.role_switcher()
else:
    login.account_box(session)
role = ui.current_role()

pages = [
    st.Page(ROOT / spec.path, title=present.term(spec.title), icon=spec.icon, url_path=spec.key)
    for spec in access.pages_for(role)
    if (ROOT / spec.path).exists()
]


def front_door() -> None:
    """The root address opens the first page with the link's filters, so every page, the
    first included, has an address of its own (/overview?period=…) that can be shared."""
    st.switch_page(pages[0], query_params=st.query_params.to_dict())


st.sidebar.caption(f"{cfg.program} · {cfg.name}")
st.navigation([st.Page(front_door, title="Home", url_path="home", default=True, visibility="hidden"),
               *pages]).run()
