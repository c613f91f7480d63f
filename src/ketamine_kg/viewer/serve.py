"""Start the explorer: build the graph if it is missing, then run Streamlit on the app folder."""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
from pathlib import Path

from ketamine_kg.errors import UsageError
from ketamine_kg.layout import find_layout
from ketamine_kg.settings import ENDPOINT

__all__ = ["run_viewer"]


def run_viewer(root: Path | None, host: str, port: int, endpoint: str | None = None) -> int:
    """Run ``streamlit run app/streamlit_app.py`` until it stops; return its exit code.

    :raises UsageError: if the viewer extra is not installed or the app folder is missing.
    """
    # Look the packages up without importing them: importing streamlit outside a running app
    # prints a warning the user cannot act on.
    if any(importlib.util.find_spec(name) is None for name in ("streamlit", "plotly", "pandas")):
        raise UsageError("the viewer needs its extra: python -m pip install -e '.[viewer]'")
    layout = find_layout(root)
    app = layout.root / "app" / "streamlit_app.py"
    if not app.is_file():
        raise UsageError(f"viewer app not found: {app}")
    if not layout.graph_file("nt").is_file():
        from ketamine_kg.build.pipeline import build

        build(layout)
    command = [
        # streamlit run, with the graph loading in the background from the start (viewer/launch.py)
        sys.executable,
        "-m",
        "ketamine_kg.viewer.launch",
        str(app),
        "--server.address",
        host,
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]
    print(f"ketamine-kg explorer on http://{'localhost' if host == '127.0.0.1' else host}:{port}", flush=True)
    try:
        # The endpoint reaches viewer/data.py:get_worker through the Streamlit process's environment
        # only; this process's own environment is left as it was.
        env = {**os.environ, ENDPOINT: endpoint} if endpoint else None
        return _run(command, cwd=layout.root, env=env)
    except KeyboardInterrupt:
        return 0


def _run(command: list[str], *, cwd: Path, env: dict[str, str] | None) -> int:
    """Run the Streamlit process until it stops; SIGTERM and SIGINT sent to this process are
    passed on to it, and it is waited for, so no server is left behind (re-parented to PID 1)."""
    proc = subprocess.Popen(command, cwd=cwd, env=env)

    def forward(signum: int, _frame: object) -> None:
        if proc.poll() is None:
            proc.send_signal(signum)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        try:
            code = proc.wait()
        except BaseException:
            proc.terminate()
            raise
        finally:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    # Stopped by a signal we passed on: a clean stop, as Ctrl-C has always been.
    return 0 if code in (-signal.SIGTERM, -signal.SIGINT) else code
