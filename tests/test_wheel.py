"""The built wheel, installed without the checkout, serves the dashboard on a workspace.

Built once for the module from a copy of the project's files (nothing is written into the
checkout), offline: `pip wheel --no-deps --no-build-isolation` with the setuptools the
test extras install. Installed into a fresh virtual environment that borrows the project
environment's dependencies through a path file (no index, no network), so what is tested
is the wheel's own files: `pmhc`, `pmhc serve`, app.py, pages/ and queries/ inside it.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import time
import urllib.request
from pathlib import Path

import pytest

from .serving import free_port

ROOT = Path(__file__).resolve().parent.parent
PROJECT_FILES = ("pyproject.toml", "README.md", "LICENSE", "app.py", "pmhc", "pages", "queries", "profiles", "config")


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=600, **kw)
    assert out.returncode == 0, f"{' '.join(map(str, cmd))}\n{out.stdout}\n{out.stderr}"
    return out


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(the fresh environment's bin folder, a folder outside the checkout to run in)."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    src.mkdir()
    for name in PROJECT_FILES:
        p = ROOT / name
        if p.is_dir():
            shutil.copytree(p, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(p, src / name)
    dist = tmp / "dist"
    run([sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "--no-build-isolation", "--no-index",
         "-w", str(dist), "-q"])
    [wheel] = dist.glob("pmhc-*.whl")
    venv = tmp / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    py = venv / "bin" / "python"
    site = Path(run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip())
    # the project environment's packages (streamlit, duckdb, …) as a plain path: its .pth
    # files (the checkout's editable pmhc) are not read, so `pmhc` is the wheel's
    (site / "_project_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    run([str(py), "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel)])
    work = tmp / "elsewhere"
    work.mkdir()
    return venv / "bin", work


def env_for(work: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PMHC_")}
    env.update({"HOME": str(work), "PYTHONPATH": ""})
    return env


def test_the_wheel_carries_the_dashboard_and_runs_without_the_checkout(installed):
    bindir, work = installed
    out = run([str(bindir / "python"), "-c", "import pmhc.config as c; print(c.ROOT); print(c.IS_CHECKOUT)"],
              cwd=work, env=env_for(work)).stdout.split()
    root = Path(out[0])
    assert out[1] == "False" and "site-packages" in root.parts and ROOT not in root.parents
    assert (root / "app.py").is_file() and (root / "pages" / "overview.py").is_file()
    assert (root / "queries" / "volume.sql").is_file() and (root / "profiles" / "toronto_persons_in_crisis.toml").is_file()


def test_the_installed_pmhc_refuses_to_run_without_a_workspace(installed):
    bindir, work = installed
    out = subprocess.run([str(bindir / "pmhc"), "doctor"], cwd=work, env=env_for(work), capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 2 and "pmhc init DIR" in out.stderr




def test_pmhc_serve_home_answers_http_200(installed):
    bindir, work = installed
    env = env_for(work)
    ws = work / "agency"
    run([str(bindir / "pmhc"), "init", str(ws), "--name", "Wheel Test PD", "--timezone", "America/Denver",
         "--fiscal-year-start", "7", "--currency", "USD"], cwd=work, env=env)
    port = free_port()
    server = subprocess.Popen([str(bindir / "pmhc"), "serve", "--home", str(ws), "--port", str(port),
                               "--address", "127.0.0.1"], cwd=work, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        status, health = None, None
        deadline = time.time() + 120
        while time.time() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=5) as r:
                    health = r.read().decode()
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as r:
                    status = r.status
                break
            except OSError:
                time.sleep(0.5)
        assert status == 200 and health == "ok", server.stdout.read() if server.poll() is not None else "no answer"
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def test_the_installed_app_draws_the_first_run_guide_of_a_new_workspace(installed):
    bindir, work = installed
    env = env_for(work)
    ws = work / "guide"
    run([str(bindir / "pmhc"), "init", str(ws), "--name", "Guide PD", "--timezone", "UTC",
         "--fiscal-year-start", "1", "--currency", "EUR"], cwd=work, env=env)
    script = ("import pmhc.config as c, pmhc.auth as a\n"
              "from streamlit.testing.v1 import AppTest\n"
              "at = AppTest.from_file(str(c.ROOT / 'app.py'), default_timeout=120)\n"
              "at.session_state[a.SESSION_KEY] = {'user': 'x', 'role': 'admin', 'method': 'local'}\n"
              "at.run()\n"
              "assert not at.exception, [e.value for e in at.exception]\n"
              "print('\\n'.join(m.value for m in at.markdown))\n")
    out = run([str(bindir / "python"), "-c", script], cwd=work, env={**env, "PMHC_HOME": str(ws)}).stdout
    assert "Getting started for Guide PD" in out
