"""Plotly charts to PNG without a network, through one long-lived headless Chromium.

Starting Chromium costs seconds and a chart costs a fraction of one, so the browser is
started once per process (on first use) and kept: a deck with seven charts must not
start seven browsers. Every script the render page loads is a local file — plotly.js
from the installed plotly package, MathJax off, no topojson — and the browser gets an
unreachable proxy, so nothing it could try to fetch ever leaves the machine. A report
made in a council chamber with no Wi-Fi looks the same as one made at a desk.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import re
import shutil
import struct
import threading
from pathlib import Path

import plotly.graph_objects as go

# Every request Chromium might make goes to a closed local port and fails at once; the
# render page and its scripts are file:// URLs, which a proxy never sees.
NO_NETWORK_PROXY = "http://127.0.0.1:9"
START_TIMEOUT_S = 60
RENDER_TIMEOUT_S = 60
BROWSER_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")


class ChartImageError(RuntimeError):
    """A chart could not be drawn as an image; the message says what to install or set."""


def browser_path() -> str:
    """Chromium to render with: $BROWSER_PATH, else Debian's chromium."""
    env = os.environ.get("BROWSER_PATH")
    if env:
        if not Path(env).is_file():
            raise ChartImageError(f"BROWSER_PATH={env!r} is not a file: point it at a Chromium or Chrome binary "
                                  "(Debian: /usr/bin/chromium)")
        return env
    for candidate in BROWSER_CANDIDATES:
        if Path(candidate).is_file():
            return candidate
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    raise ChartImageError("chart images need Chromium and none was found: install it with "
                          "`sudo apt-get install chromium` (or scripts/ensure-chromium.sh), "
                          "or set BROWSER_PATH to a Chromium/Chrome binary")


def plotly_js_path() -> Path:
    """plotly.js shipped inside the installed plotly package (never the CDN)."""
    import plotly

    path = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    if not path.is_file():
        raise ChartImageError(f"{path} is missing: reinstall plotly (`pip install --force-reinstall plotly`); "
                              "charts are never rendered with plotly.js from the internet")
    return path


def page_scripts() -> list[str]:
    """The scripts the render page loads, in order (all must be local files)."""
    from kaleido import PageGenerator

    gen = PageGenerator(plotly=str(plotly_js_path()), mathjax=False)
    return re.findall(r'<script src="([^"]+)"', gen.generate_index())


class _Engine:
    """One Kaleido (headless Chromium) on its own event loop thread."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="pmhc-chart-images", daemon=True)
        self._thread.start()
        try:
            self._kaleido = self._run(self._open(), START_TIMEOUT_S)
        except BaseException:
            self._stop_loop()
            raise

    async def _open(self):
        import kaleido

        k = kaleido.Kaleido(
            n=1, timeout=RENDER_TIMEOUT_S, plotlyjs=str(plotly_js_path()), mathjax=False,
            path=browser_path(), headless=True, enable_gpu=False, enable_sandbox=False,
            enable_extensions=False, proxy_server=NO_NETWORK_PROXY,
        )
        await k.open()
        return k

    def _run(self, coro, timeout: float):
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def render(self, fig_dict: dict, width: int, height: int, scale: float) -> bytes:
        opts = {"format": "png", "width": width, "height": height, "scale": scale}
        return self._run(self._kaleido.calc_fig(fig_dict, opts=opts), RENDER_TIMEOUT_S + 5)

    def close(self) -> None:
        try:
            self._run(self._kaleido.close(), 30)
        except Exception:  # noqa: BLE001 - closing a dead browser must not mask the real error
            pass
        self._stop_loop()

    def _stop_loop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


_engine: _Engine | None = None
# One render at a time: Streamlit sessions run in threads and share the one browser.
_lock = threading.Lock()


def _get_engine() -> _Engine:
    global _engine
    if _engine is None:
        try:
            _engine = _Engine()
        except ChartImageError:
            raise
        except Exception as e:  # noqa: BLE001
            raise ChartImageError(f"could not start headless Chromium ({browser_path()}) for chart images: "
                                  f"{type(e).__name__}: {e}. Check that it runs: "
                                  f"`{browser_path()} --headless --no-sandbox --disable-gpu --dump-dom about:blank`") from e
        atexit.register(close)
    return _engine


def png(fig: go.Figure, width: int = 1100, height: int = 520, scale: float = 2) -> bytes:
    """The chart as PNG bytes, `width` × `height` CSS pixels at `scale` × resolution."""
    fig_dict = fig.to_plotly_json()
    global _engine
    with _lock:
        engine = _get_engine()
        try:
            return engine.render(fig_dict, width, height, scale)
        except Exception:  # noqa: BLE001 - a crashed browser is restarted once
            engine.close()
            _engine = None
            engine = _get_engine()
            try:
                return engine.render(fig_dict, width, height, scale)
            except Exception as e:  # noqa: BLE001
                raise ChartImageError(f"chart image failed: {type(e).__name__}: {e}") from e


def close() -> None:
    """Stop the browser (at exit; tests call it to check a clean restart)."""
    global _engine
    with _lock:
        if _engine is not None:
            _engine.close()
            _engine = None


def running() -> bool:
    return _engine is not None


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) in pixels from a PNG header."""
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        raise ValueError("not a PNG image")
    return struct.unpack(">II", data[16:24])
