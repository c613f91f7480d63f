"""``ketamine-kg serve``: the graph in a read-only Oxigraph SPARQL server, behind a guarding proxy.

Oxigraph's server executes ``SERVICE <url>`` calls to any address it can reach (tested: a
read-only server on 127.0.0.1 fetched from a listener there), so it never faces the caller.
It listens on a private loopback port; the public port is a small proxy (standard library
``ThreadingHTTPServer``) that accepts only SPARQL protocol queries (GET and POST, at ``/query``
or ``/sparql``), runs :func:`~ketamine_kg.sparql_guard.check_read_only` on each, refuses updates,
``LOAD`` and ``SERVICE`` with HTTP 400 and a plain message, and streams Oxigraph's answer back
chunk by chunk (a cut answer stays visibly cut: the final chunk is never sent).
"""

from __future__ import annotations

import hashlib
import http.client
import http.server
import queue
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path

from .errors import EndpointError, KetamineKGError, UsageError
from .layout import find_layout
from .remote import DEFAULT_GRAPH
from .sparql_guard import check_read_only

__all__ = ["GuardProxy", "serve", "start_oxigraph"]

_STAMP = ".ketamine-kg-graph.sha256"
_QUERY_PATHS = ("/query", "/sparql")
_DATASET_PARAMS = ("default-graph-uri", "named-graph-uri")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _check_port(host: str, port: int) -> None:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        raise UsageError(f"cannot listen on {host!r}: unknown host") from None
    family, _, _, _, address = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(address)
        except OSError as exc:
            raise EndpointError(
                f"cannot listen on {host}:{port}: {exc.strerror or exc} (port busy? try --port)"
            ) from None


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


class _Handler(http.server.BaseHTTPRequestHandler):
    server: GuardProxy
    protocol_version = "HTTP/1.1"
    server_version = "ketamine-kg"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the stdlib's name
        if self.server.verbose:
            super().log_message(format, *args)

    def _plain(self, status: int, message: str) -> None:
        body = (message + "\n").encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = True

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        path, _, query = self.path.partition("?")
        if path not in _QUERY_PATHS:
            self._not_here(path)
            return
        self._answer(urllib.parse.parse_qsl(query, keep_blank_values=True))

    def do_POST(self) -> None:  # noqa: N802
        path = self.path.partition("?")[0]
        if path not in _QUERY_PATHS:
            self._not_here(path)
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > 1_000_000:
            self._plain(400, "the request body must have a Content-Length of at most 1,000,000 bytes")
            return
        body = self.rfile.read(length).decode("utf-8", "replace")
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        url_params = urllib.parse.parse_qsl(self.path.partition("?")[2], keep_blank_values=True)
        if ctype == "application/x-www-form-urlencoded":
            params = url_params + urllib.parse.parse_qsl(body, keep_blank_values=True)
        elif ctype == "application/sparql-query":
            params = [*url_params, ("query", body)]
        elif ctype == "application/sparql-update" or any(k == "update" for k, _ in url_params):
            self._plain(400, "this server is read-only: updates are refused")
            return
        else:
            self._plain(415, "send a SPARQL query as application/x-www-form-urlencoded or application/sparql-query")
            return
        self._answer(params)

    def do_PUT(self) -> None:  # noqa: N802
        self._plain(405, "this server is read-only: it answers SPARQL queries at /query")

    do_DELETE = do_PATCH = do_PUT  # noqa: N815

    def _not_here(self, path: str) -> None:
        if path in ("/update", "/store"):
            self._plain(400, "this server is read-only: updates and the Graph Store Protocol are refused")
        else:
            self._plain(404, "this server answers SPARQL queries at /query")

    def _answer(self, params: list[tuple[str, str]]) -> None:
        if any(k in ("update", "using-graph-uri", "using-named-graph-uri") for k, _ in params):
            self._plain(400, "this server is read-only: updates are refused")
            return
        queries = [v for k, v in params if k == "query"]
        if len(queries) != 1:
            self._plain(400, "give exactly one 'query' parameter")
            return
        try:
            check_read_only(queries[0])
        except KetamineKGError as exc:
            self._plain(400, f"query refused: {exc}")
            return
        forward = [(k, v) for k, v in params if k == "query" or k in _DATASET_PARAMS]
        self._forward(urllib.parse.urlencode(forward).encode("utf-8"))

    def _forward(self, body: bytes) -> None:
        # Oxigraph's own --timeout-s does not stop every query (a COUNT over a cartesian product,
        # or a long streamed SELECT, runs on), so the proxy keeps the time limit itself and
        # restarts Oxigraph to stop a query that overran.
        limit = self.server.timeout_s
        self.server.ready.wait(60)
        deadline = time.monotonic() + limit
        upstream = http.client.HTTPConnection("127.0.0.1", self.server.upstream_port, timeout=limit)
        sent_head = False
        try:
            upstream.request(
                "POST",
                "/query",
                body=body,
                headers={
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Accept": self.headers.get("Accept") or "application/sparql-results+json",
                },
            )
            response = upstream.getresponse()
            self.send_response(response.status)
            for header in ("Content-Type", "Content-Disposition"):
                value = response.getheader(header)
                if value:
                    self.send_header(header, value)
            self.send_header("Transfer-Encoding", "chunked")
            self.send_header("Connection", "close")
            self.end_headers()
            sent_head = True
            self.close_connection = True
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError()
                if upstream.sock is not None:
                    upstream.sock.settimeout(remaining)
                chunk = response.read1(1 << 16)
                if not chunk:
                    break
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.write(b"0\r\n\r\n")
        except TimeoutError:
            message = f"the query ran past this server's {limit:g} s time limit and was stopped"
            upstream.close()
            self.server.stop_running_queries()  # before answering, so the caller's next query finds it ready
            if sent_head:
                # Already streaming: say so, then end without the final chunk, so it reads as cut.
                note = f"\n{message}\n".encode()
                self._quietly(lambda: self.wfile.write(b"%x\r\n%s\r\n" % (len(note), note)))
            else:
                self._quietly(lambda: self._plain(503, message))
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client went away
        except (OSError, http.client.HTTPException) as exc:
            if not sent_head:
                failure = f"the SPARQL server behind this proxy did not answer: {exc}"
                self._quietly(lambda: self._plain(502, failure))
            # else: leave the chunked answer unterminated, so it reads as cut
        finally:
            upstream.close()

    @staticmethod
    def _quietly(action: Callable[[], object]) -> None:
        try:
            action()
        except OSError:
            pass


class GuardProxy(http.server.ThreadingHTTPServer):
    """The public side of ``serve``: guards every query, forwards it to 127.0.0.1:``upstream_port``."""

    daemon_threads = True
    # socketserver's default listen backlog is 5: under 50 concurrent clients the kernel reset
    # connections (67 of 4,635 in benchmarks/load.py) and SYN retries gave 5 s p99 latencies.
    request_queue_size = 256

    def __init__(
        self,
        address: tuple[str, int],
        upstream_port: int,
        timeout_s: float,
        verbose: bool = False,
        restart: Callable[[], None] | None = None,
    ) -> None:
        self.upstream_port = upstream_port
        self.timeout_s = timeout_s
        self.verbose = verbose
        self._restart = restart
        self._restart_lock = threading.Lock()
        self.ready = threading.Event()  # cleared while the server behind is restarting
        self.ready.set()
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)

    def stop_running_queries(self) -> None:
        """Restart the server behind the proxy: the only way to stop a query Oxigraph will not stop."""
        if self._restart is not None and self._restart_lock.acquire(blocking=False):
            self.ready.clear()
            try:
                self._restart()
            finally:
                self.ready.set()
                self._restart_lock.release()


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


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
        raise UsageError(f"--timeout-s must be between 0 and 3600, got {timeout_s}")
    binary = shutil.which("oxigraph")
    if binary is None:
        raise UsageError("the oxigraph server binary is not on PATH: python -m pip install oxigraph")
    if graph_file is None:
        layout = find_layout(root)
        graph_file = layout.graph_file("nt")
        if not graph_file.is_file():
            from .build import build

            build(layout)
    if not graph_file.is_file():
        raise UsageError(f"graph file not found: {graph_file}")
    _check_port(host, port)
    scratch = None
    if location is None:
        scratch = Path(tempfile.mkdtemp(prefix="ketamine-kg-serve-"))
        location = scratch / "store"
    running: list[subprocess.Popen] = []
    restarts: queue.Queue[threading.Event | None] = queue.Queue()
    proxy = None
    previous = signal.getsignal(signal.SIGTERM)
    try:
        _prepare_store(binary, graph_file, Path(location))
        upstream_port = _free_port()
        running = [start_oxigraph(binary, Path(location), upstream_port, timeout_s)]

        def restart() -> None:
            running[0].kill()  # it is busy with the runaway query; no need to be gentle
            running[0].wait(10)
            assert proxy is not None
            port_now = _free_port()  # the old port may linger in TIME_WAIT
            try:
                running[0] = start_oxigraph(binary, Path(location), port_now, timeout_s)
                proxy.upstream_port = port_now
            except KetamineKGError as exc:
                print(f"ketamine-kg serve: could not restart the SPARQL server: {exc}", file=sys.stderr, flush=True)

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
        try:
            proxy = GuardProxy((host, port), upstream_port, timeout_s, verbose, restart_and_wait)
        except OSError as exc:
            raise EndpointError(
                f"cannot listen on {host}:{port}: {exc.strerror or exc} (port busy? try --port)"
            ) from None
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, _interrupt)  # a service manager's stop is a Ctrl-C
        shown = f"[{host}]" if ":" in host else host
        print(
            f"SPARQL endpoint: http://{shown}:{port}/query (read-only; graph <{DEFAULT_GRAPH}>, "
            f"also the default graph; queries stop at {timeout_s:g} s). Ctrl-C stops it.",
            flush=True,
        )
        proxy.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        restarts.put(None)
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, previous)
        if proxy is not None:
            proxy.server_close()
        for proc in running:
            _stop(proc)
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    print("stopped", flush=True)
    return 0
