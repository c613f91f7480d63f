"""What several test modules share: a listener that would see an outbound call, a real
``streamlit run`` on 127.0.0.1 with Debian's Chromium to drive it (never a downloaded browser),
and pyoxigraph's reading of a file as an rdflib graph to compare with.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import XSD

__all__ = [
    "ARTIFACTS", "CHROMIUM", "LAUNCH_ARGS", "ROOT", "Listener", "chromium", "free_port", "numbers_by_value",
    "oxigraph_as_rdflib", "require_chromium", "streamlit_server",
]

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking flags Chromium tries to reach Google's hosts at every start,
# which this machine's closed network refuses.
LAUNCH_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def require_chromium(*, module_level: bool = False) -> None:
    """Skip without Debian's Chromium, except in CI, where its absence is a failure."""
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("CI must install Debian's chromium for the browser tests (.ci/run does)", pytrace=False)
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)", allow_module_level=module_level)
    pytest.importorskip("playwright.sync_api")


@contextmanager
def streamlit_server(
    log_dir: Path, env: dict[str, str] | None = None, start_timeout: float = 90, *, launcher: bool = False
) -> Iterator[str]:
    """A real ``streamlit run app/streamlit_app.py`` on a free port of 127.0.0.1, stopped afterwards;
    with ``launcher``, as ``ketamine-kg viewer`` runs it (``python -m ketamine_kg.viewer.launch``)."""
    port = free_port()
    log = log_dir / "server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", *(["ketamine_kg.viewer.launch"] if launcher else ["streamlit", "run"]),
             str(ROOT / "app" / "streamlit_app.py"),
             "--server.address", "127.0.0.1", "--server.port", str(port), "--server.headless", "true",
             "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})},
        )
        try:
            deadline = time.monotonic() + start_timeout
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                        if r.status == 200:
                            break
                except OSError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"streamlit did not start: {log.read_text(errors='replace')[-2000:]}")
                time.sleep(0.25)
            yield f"http://127.0.0.1:{port}"
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


@contextmanager
def chromium() -> Iterator[object]:
    """Debian's Chromium driven by Playwright (never a browser Playwright downloads)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class Listener:
    """A TCP server on 127.0.0.1 that records every connection and answers with an empty 200,
    so a test can show that no outbound call was made (and that one would have been seen)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/"
        self.hits: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(0.5)
                try:
                    self.hits.append(conn.recv(300))
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 0\r\n\r\n")
                except OSError:
                    self.hits.append(b"")

    def settle(self) -> int:
        time.sleep(0.1)  # a connection made just before the call returned is accepted by now
        return len(self.hits)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


def oxigraph_as_rdflib(quads) -> Graph:
    """pyoxigraph's triples or quads as an rdflib graph (graph names dropped), numbers by value."""
    def term(t):
        if isinstance(t, ox.NamedNode):
            return URIRef(t.value)
        if isinstance(t, ox.BlankNode):
            return BNode(t.value)
        # RDF 1.1: a plain literal is an xsd:string; rdflib keeps it untyped, pyoxigraph does not.
        plain = t.language or t.datatype.value == str(XSD.string)
        return Literal(t.value, lang=t.language, datatype=None if plain else URIRef(t.datatype.value))

    graph = Graph()
    for q in quads:
        graph.add((term(q.subject), term(q.predicate), term(q.object)))
    return numbers_by_value(graph)


def numbers_by_value(graph: Graph) -> Graph:
    """``graph`` with each xsd:decimal in one form: Oxigraph stores "41.0" as "41" (its canonical form)."""
    out = Graph()
    for s, p, o in graph:
        if isinstance(o, Literal) and o.datatype == XSD.decimal:
            o = Literal(format(Decimal(str(o)).normalize(), "f"), datatype=XSD.decimal)
        out.add((s, p, o))
    return out
