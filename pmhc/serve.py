"""`pmhc serve`: the dashboard on a workspace, from a checkout or an installed package.

`streamlit run app.py` needs the checkout's folder (app.py, pages/, .streamlit/config.toml).
An installed wheel carries app.py and pages/ inside the package (pmhc/bundle, see
pyproject.toml), so `pmhc serve --home DIR` finds them wherever pip put them and passes
the settings of .streamlit/config.toml as options (a server started from another folder
does not read that file). Settings the database must hold (pmhc.apply_settings) are
brought in before the server starts.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from .config import ROOT, Workspace

# The options of .streamlit/config.toml (tests/test_workspace.py checks they agree), for
# a server started outside the checkout: nothing phones home, no developer menu, no
# tracebacks or table downloads in the browser, the same upload limit and colours.
OPTIONS = {
    "browser.gatherUsageStats": "false",
    "client.toolbarMode": "minimal",
    "client.showErrorDetails": "none",
    "client.disableDataExport": "true",
    "server.headless": "true",
    "server.maxUploadSize": "200",
    "theme.base": "light",
    "theme.textColor": "#111318",
}


def app_path() -> Path:
    return ROOT / "app.py"


def command(port: int = 8501, address: str | None = None, extra: list[str] | None = None) -> list[str]:
    """The streamlit command line that serves the dashboard."""
    cmd = [sys.executable, "-m", "streamlit", "run", str(app_path()), "--server.port", str(port)]
    if address:
        cmd += ["--server.address", address]
    for key, value in OPTIONS.items():
        cmd += [f"--{key}", value]
    return cmd + list(extra or [])


def serve(port: int = 8501, address: str | None = None) -> int:
    """Replace this process with the Streamlit server (its pid stays the one to stop)."""
    from . import apply_settings

    ws = Workspace.current()
    if not ws.sample and not ws.agency_file.exists():
        print(f"pmhc serve: {ws.root} is not a workspace (no {ws.agency_file}); create it with "
              f"`pmhc init {ws.root}`", file=sys.stderr)
        return 2
    applied = apply_settings.apply(ws.db_path, via="serve")
    if applied:
        print(f"pmhc serve: brought {', '.join(applied)} of {ws.agency_file} into the database", file=sys.stderr)
    print(f"pmhc serve: workspace {ws.root}; dashboard on http://{address or 'localhost'}:{port}", file=sys.stderr)
    sys.stderr.flush()
    sys.stdout.flush()
    cmd = command(port, address)
    os.execv(cmd[0], cmd)
    return 0  # not reached
