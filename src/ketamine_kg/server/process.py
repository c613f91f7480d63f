"""``ketamine-kg serve``: the graph in a read-only Oxigraph SPARQL server, behind a guarding proxy.

Oxigraph's server executes ``SERVICE <url>`` calls to any address it can reach (tested: a
read-only server on 127.0.0.1 fetched from a listener there), so it never faces the caller.
It listens on a private loopback port; the public port is the guard of
:mod:`ketamine_kg.server.guard` (a small ASGI app served by uvicorn), which refuses updates,
``LOAD`` and ``SERVICE`` and forwards the rest. This module runs the processes: it loads the
store, starts Oxigraph (and restarts it to stop a query that overran), listens and stops cleanly.
"""

from __future__ import annotations

import hashlib
import logging
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import uvicorn

from ketamine_kg.errors import EndpointError, KetamineKGError, UsageError, error_line
from ketamine_kg.layout import find_layout
from ketamine_kg.query.remote import DEFAULT_GRAPH
from ketamine_kg.server.guard import Upstream, guard_app

__all__ = ["Upstream", "guard_app", "serve", "start_oxigraph", "stop_process"]

_STAMP = ".ketamine-kg-graph.sha256"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    # Linux: the server goes when we go, even if we are killed without cleaning up.
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _prepare_store(binary: str, graph_file: Path, location: Path) -> None:
    """Load ``graph_file`` into an Oxigraph store at ``location``, unless it already holds it.

    A folder we loaded carries a stamp with the file's SHA-256; a stale one is reloaded, and a
    non-empty folder without the stamp is refused (it may be someone's data).
    """
    digest = hashlib.sha256(graph_file.read_bytes()).hexdigest()
    stamp = location / _STAMP
    if stamp.is_file() and stamp.read_text().strip() == digest:
        return
    if location.exists() and any(location.iterdir()):
        if not stamp.is_file():
            raise UsageError(
                f"{location} is not empty and is not a ketamine-kg server store; give an empty or new folder"
            )
        shutil.rmtree(location)
    location.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [binary, "load", "--location", str(location), "--file", str(graph_file), "--graph", DEFAULT_GRAPH],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise EndpointError(f"oxigraph could not load {graph_file.name}: {last}")
    stamp.write_text(digest + "\n")


def start_oxigraph(binary: str, location: Path, port: int, timeout_s: float) -> subprocess.Popen:
    """``oxigraph serve-read-only`` on 127.0.0.1:``port``; returns once it accepts connections.

    The union default graph is on, so queries without ``default-graph-uri`` see the graph too.
    """
    command = [
        binary,
        "serve-read-only",
        "--location",
        str(location),
        "--bind",
        f"127.0.0.1:{port}",
        "--timeout-s",
        f"{max(1, round(timeout_s))}",
        "--union-default-graph",
    ]
    log = tempfile.TemporaryFile()  # not a pipe: a pipe nobody reads would block the server once full
    proc = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=log,
        preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log.seek(0)
            message = (log.read().decode("utf-8", "replace").strip().splitlines() or ["no message"])[-1]
            raise EndpointError(f"oxigraph stopped at start: {message}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return proc
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise EndpointError("oxigraph did not start within 30 s")


def _listen(host: str, port: int) -> socket.socket:
    """The public socket, bound and listening, so a busy port is our one-line error, not the server's exit."""
    try:
        family, _, _, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror:
        raise UsageError(f"cannot listen on {host!r}: unknown host") from None
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        # A deep backlog: with Python's default of 5, 50 concurrent clients saw connections reset
        # (67 of 4,635 in benchmarks/load.py) and SYN retries gave 5 s p99 latencies.
        sock.listen(256)
    except OSError as exc:
        sock.close()
        raise EndpointError(f"cannot listen on {host}:{port}: {exc.strerror or exc} (port busy? try --port)") from None
    return sock


def _quiet_logs(verbose: bool) -> None:
    # One line per failure, never a traceback: a query cut at the time limit ends its stream with an
    # exception on purpose (so the last chunk is not sent), which uvicorn would log with its traceback.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers = [logging.NullHandler()] if not verbose or name == "uvicorn.error" else logger.handlers
        logger.propagate = verbose and name == "uvicorn.access"


def stop_process(proc: subprocess.Popen) -> None:
    """Stop a child process: terminate, then kill if it has not exited within 5 s (tests stop the
    servers they start with it too)."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def oxigraph_binary() -> str | None:
    """The ``oxigraph`` server binary: beside the running interpreter first (a venv that is not
    activated, pipx), then on PATH. The ``oxigraph`` package installs it into the interpreter's
    scripts folder, which is on PATH only when the venv is activated."""
    import sysconfig

    for folder in (sysconfig.get_path("scripts"), str(Path(sys.executable).parent)):
        candidate = Path(folder) / ("oxigraph.exe" if os.name == "nt" else "oxigraph")
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return shutil.which("oxigraph")


def serve(
    root: Path | None = None,
    host: str = "127.0.0.1",
    port: int = 7878,
    timeout_s: float = 30.0,
    location: Path | None = None,
    graph_file: Path | None = None,
    verbose: bool = False,
) -> int:
    """Serve the graph read-only over SPARQL until interrupted (Ctrl-C or SIGTERM); return 0.

    :raises UsageError: if the oxigraph binary is missing or ``location`` holds other data.
    :raises EndpointError: if the port is busy or the server cannot start.
    """
    if not (0 < timeout_s <= 3600):
        raise UsageError(f"--timeout-s must be more than 0 and at most 3600 seconds, got {timeout_s:g}")
    binary = oxigraph_binary()
    if binary is None:
        raise UsageError("the oxigraph server binary is missing: python -m pip install -e '.[server]'")
    if graph_file is None:
        layout = find_layout(root)
        graph_file = layout.graph_file("nt")
        if not graph_file.is_file():
            from ketamine_kg.build.pipeline import build

            build(layout)
    if not graph_file.is_file():
        raise UsageError(f"graph file not found: {graph_file}")
    listening = _listen(host, port)  # first: a busy port fails before any loading
    scratch = None
    if location is None:
        scratch = Path(tempfile.mkdtemp(prefix="ketamine-kg-serve-"))
        location = scratch / "store"
    running: list[subprocess.Popen] = []
    restarts: queue.Queue[threading.Event | None] = queue.Queue()
    previous = signal.getsignal(signal.SIGTERM)
    try:
        _prepare_store(binary, graph_file, Path(location))
        upstream_port = _free_port()
        running = [start_oxigraph(binary, Path(location), upstream_port, timeout_s)]

        def restart() -> None:
            running[0].kill()  # it is busy with the runaway query; no need to be gentle
            running[0].wait(10)
            port_now = _free_port()  # the old port may linger in TIME_WAIT
            try:
                running[0] = start_oxigraph(binary, Path(location), port_now, timeout_s)
                upstream.port = port_now
            except KetamineKGError as exc:
                print(error_line(f"serve could not restart the SPARQL server: {exc}"), file=sys.stderr, flush=True)

        # Linux ties a child's death signal to the thread that started it, so restarts happen in
        # one thread that lives as long as the server, not in a request's short-lived thread.
        def supervise() -> None:
            while (done := restarts.get()) is not None:
                try:
                    restart()
                finally:
                    done.set()

        def restart_and_wait() -> None:
            done = threading.Event()
            restarts.put(done)
            done.wait(60)

        threading.Thread(target=supervise, daemon=True, name="ketamine-kg-supervisor").start()
        upstream = Upstream(upstream_port, timeout_s, restart_and_wait)
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, _interrupt)  # a service manager's stop is a Ctrl-C
        shown = f"[{host}]" if ":" in host else host
        print(
            f"SPARQL endpoint: http://{shown}:{port}/query (read-only; graph <{DEFAULT_GRAPH}>, "
            f"also the default graph; queries stop at {timeout_s:g} s). Ctrl-C stops it.",
            flush=True,
        )
        _quiet_logs(verbose)
        config = uvicorn.Config(
            guard_app(upstream), log_config=None, access_log=verbose, lifespan="off", timeout_graceful_shutdown=2
        )
        uvicorn.Server(config).run(sockets=[listening])
    except KeyboardInterrupt:
        pass
    finally:
        restarts.put(None)
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, previous)
        listening.close()
        for proc in running:
            stop_process(proc)
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    print("stopped", flush=True)
    return 0
