"""Load: N concurrent clients for a bounded time against the served SPARQL endpoint and the viewer.

Everything runs on 127.0.0.1: this script starts the servers itself on free ports and stops them.

* endpoint: ``ketamine-kg serve`` (the guarding proxy in front of Oxigraph), or, where that command
  is missing, ``oxigraph serve-read-only`` on a store loaded from graph/ketamine-kg.nt. Each client
  keeps one HTTP connection and sends the named queries in turn (their defaults, unchanged text).
* viewer: ``streamlit run app/streamlit_app.py``. Each HTTP client GETs the page shell and
  ``/_stcore/health`` in turn. That measures the HTTP server only: Streamlit runs the page script
  over a websocket after the shell loads, so K headless Chromium pages (Debian's chromium, never a
  downloaded browser) also open a named question and wait for its table, which does run the
  script, the query worker and the rendering.

Prints, per target: requests, errors, p50 / p99 latency and throughput.

    python benchmarks/load.py                          # 50 clients, 60 s, endpoint and viewer
    python benchmarks/load.py --clients 8 --duration 5 --target endpoint
    python benchmarks/load.py --browsers 0             # no Chromium pages
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic"]

__all__ = ["Stats", "endpoint", "free_port", "http_load", "named_query_texts", "viewer"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Stats:
    name: str
    latencies: list[float] = field(default_factory=list)  # seconds, successful requests only
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    elapsed: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def ok(self, seconds: float) -> None:
        with self.lock:
            self.latencies.append(seconds)

    def fail(self, why: str) -> None:
        with self.lock:
            self.errors += 1
            if len(self.error_samples) < 5:
                self.error_samples.append(why[:200])

    @property
    def requests(self) -> int:
        return len(self.latencies) + self.errors

    def percentile(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    def summary(self) -> dict[str, object]:
        return {
            "target": self.name, "requests": self.requests, "errors": self.errors,
            "p50_ms": round(self.percentile(0.50) * 1000, 1), "p99_ms": round(self.percentile(0.99) * 1000, 1),
            "mean_ms": round(statistics.fmean(self.latencies) * 1000, 1) if self.latencies else None,
            "throughput_per_s": round(len(self.latencies) / self.elapsed, 1) if self.elapsed else 0.0,
            "error_samples": self.error_samples,
        }

    def line(self) -> str:
        s = self.summary()
        return (f"{self.name:<34} {s['requests']:>8} {s['errors']:>7} {s['p50_ms']:>9} {s['p99_ms']:>9} "
                f"{s['throughput_per_s']:>9}")


HEADER = f"{'target':<34} {'requests':>8} {'errors':>7} {'p50 ms':>9} {'p99 ms':>9} {'req/s':>9}"


def _wait_http(url: str, proc: subprocess.Popen, seconds: float, log: Path) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status < 500:
                    return
        except urllib.error.HTTPError as exc:
            if exc.code < 500:
                return
        except OSError:
            pass
        if proc.poll() is not None:
            break
        time.sleep(0.25)
    raise RuntimeError(f"server did not start ({url}): {log.read_text(errors='replace')[-1500:]}")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def _has_serve_command() -> bool:
    result = subprocess.run([sys.executable, "-m", "ketamine_kg", "serve", "--help"], capture_output=True, cwd=ROOT)
    return result.returncode == 0


@contextlib.contextmanager
def endpoint(workdir: Path | None = None) -> Iterator[tuple[str, str]]:
    """A read-only SPARQL endpoint on 127.0.0.1; yields (query URL, what serves it)."""
    tmp = Path(tempfile.mkdtemp(prefix="kkg-load-", dir=workdir))
    log = tmp / "server.log"
    port = free_port()
    if _has_serve_command():
        what = "ketamine-kg serve (guard proxy + Oxigraph)"
        cmd = [sys.executable, "-m", "ketamine_kg", "serve", "--host", "127.0.0.1", "--port", str(port),
               "--timeout-s", "30", "--location", str(tmp / "store"), "--root", str(ROOT)]
    else:
        what = "oxigraph serve-read-only"
        binary = shutil.which("oxigraph")
        if binary is None:
            raise RuntimeError("neither 'ketamine-kg serve' nor the oxigraph binary is available")
        subprocess.run([binary, "load", "--location", str(tmp / "store"), "--file", str(ROOT / "graph" / "ketamine-kg.nt")],
                       check=True, capture_output=True)
        cmd = [binary, "serve-read-only", "--location", str(tmp / "store"), "--bind", f"127.0.0.1:{port}", "--timeout-s", "30"]
    url = f"http://127.0.0.1:{port}/query"
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
        try:
            _wait_http(url + "?query=" + urllib.parse.quote("ASK { ?s ?p ?o }"), proc, 120, log)
            yield url, what
        finally:
            _stop(proc)
            shutil.rmtree(tmp, ignore_errors=True)


@contextlib.contextmanager
def viewer(workdir: Path | None = None) -> Iterator[str]:
    """``streamlit run`` headless on 127.0.0.1; yields its base URL."""
    tmp = Path(tempfile.mkdtemp(prefix="kkg-viewer-", dir=workdir))
    log = tmp / "streamlit.log"
    port = free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app" / "streamlit_app.py"),
           "--server.address", "127.0.0.1", "--server.port", str(port), "--server.headless", "true",
           "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
        try:
            _wait_http(f"http://127.0.0.1:{port}/_stcore/health", proc, 90, log)
            yield f"http://127.0.0.1:{port}"
        finally:
            _stop(proc)
            shutil.rmtree(tmp, ignore_errors=True)


def named_query_texts() -> list[str]:
    sys.path.insert(0, str(ROOT / "src"))
    from ketamine_kg.query.catalogue import load_catalogue

    return [q.text for q in load_catalogue(ROOT / "queries").values()]


def http_load(name: str, base: str, requests: list[Callable[[], tuple[str, str, bytes | None, dict[str, str]]]],
              clients: int, duration: float, timeout: float = 30.0) -> Stats:
    """``clients`` threads, each on its own keep-alive connection, sending ``requests`` in turn
    (each a function giving method, path, body, headers) until ``duration`` seconds have passed."""
    stats = Stats(name)
    parsed = urllib.parse.urlsplit(base)
    deadline = time.monotonic() + duration

    def client(index: int) -> None:
        conn: http.client.HTTPConnection | None = None
        i = index
        while time.monotonic() < deadline:
            method, path, body, headers = requests[i % len(requests)]()
            i += 1
            started = time.perf_counter()
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=timeout)
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    stats.fail(f"HTTP {response.status} for {path[:80]}")
                else:
                    stats.ok(time.perf_counter() - started)
                if response.getheader("connection", "").lower() == "close":
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException) as exc:
                stats.fail(f"{type(exc).__name__}: {exc}")
                if conn is not None:
                    conn.close()
                conn = None
        if conn is not None:
            conn.close()

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(duration + timeout + 10)
    stats.elapsed = time.monotonic() - started
    return stats


def sparql_requests(url: str) -> list[Callable[[], tuple[str, str, bytes | None, dict[str, str]]]]:
    path = urllib.parse.urlsplit(url).path
    accept = {"Accept": "application/sparql-results+json, application/n-triples;q=0.9"}
    out = []
    for text in named_query_texts():
        encoded = urllib.parse.urlencode({"query": text}).encode()
        out.append(lambda e=encoded: ("POST", path, e, {**accept, "Content-Type": "application/x-www-form-urlencoded"}))
    return out


def endpoint_load(url: str, clients: int, duration: float, label: str) -> Stats:
    return http_load(f"endpoint: {label}", url, sparql_requests(url), clients, duration)


def viewer_http_load(base: str, clients: int, duration: float) -> Stats:
    reqs = [lambda: ("GET", "/", None, {}), lambda: ("GET", "/_stcore/health", None, {})]
    return http_load("viewer: HTTP GET / and health", base, reqs, clients, duration)


def viewer_browser_load(base: str, pages: int, duration: float, question: str = "approved-uses") -> Stats:
    """``pages`` headless Chromium pages, each opening the Ask page on ``question`` and waiting for
    its table, again and again until ``duration`` has passed (one browser, one thread per page)."""
    from playwright.sync_api import sync_playwright

    stats = Stats(f"viewer: {pages} Chromium pages, Ask")
    deadline = time.monotonic() + duration

    def one(index: int) -> None:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                page = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
                while time.monotonic() < deadline:
                    started = time.perf_counter()
                    try:
                        page.goto(f"{base}/ask?question={question}", timeout=60_000)
                        page.locator("[data-testid='stDataFrame']").first.wait_for(timeout=60_000)
                        if page.locator("[data-testid='stException'], [data-testid='stAlertContentError']").count():
                            stats.fail("the page shows an error")
                        else:
                            stats.ok(time.perf_counter() - started)
                    except Exception as exc:  # a timeout or a crashed page is an error to count
                        stats.fail(f"{type(exc).__name__}: {' '.join(str(exc).split())[:150]}")
            finally:
                browser.close()

    started = time.monotonic()
    threads = [threading.Thread(target=one, args=(n,), daemon=True) for n in range(pages)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(duration + 180)
    stats.elapsed = time.monotonic() - started
    return stats


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=50, help="concurrent HTTP clients per target (default 50)")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds per target (default 60)")
    parser.add_argument("--browsers", type=int, default=4, help="concurrent Chromium pages on the viewer (default 4; 0 = none)")
    parser.add_argument("--target", choices=["all", "endpoint", "viewer"], default="all")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures to this file")
    args = parser.parse_args(argv)
    if not (1 <= args.clients <= 500 and 0 < args.duration <= 900 and 0 <= args.browsers <= 16):
        parser.error("keep it bounded: 1-500 clients, up to 900 s, 0-16 browsers")

    results: list[Stats] = []
    print(f"{args.clients} clients, {args.duration:g} s per target, on {os.cpu_count()} cores; all traffic to 127.0.0.1")
    if args.target in ("all", "endpoint"):
        with endpoint() as (url, what):
            print(f"endpoint: {what} at {url}")
            results.append(endpoint_load(url, args.clients, args.duration, what.split(" (")[0]))
            print(HEADER)
            print(results[-1].line(), flush=True)
    if args.target in ("all", "viewer"):
        with viewer() as base:
            print(f"viewer: streamlit at {base}")
            # Warm the graph and the worker once, so the first browser does not measure start-up.
            urllib.request.urlopen(base + "/", timeout=30).read()
            results.append(viewer_http_load(base, args.clients, args.duration))
            print(HEADER)
            print(results[-1].line(), flush=True)
            if args.browsers and Path(CHROMIUM).exists():
                results.append(viewer_browser_load(base, args.browsers, args.duration))
                print(results[-1].line(), flush=True)
            elif args.browsers:
                print("(no /usr/bin/chromium: browser load skipped)")
    print()
    print(HEADER)
    for s in results:
        print(s.line())
        for sample in s.error_samples:
            print(f"    e.g. {sample}")
    if args.json:
        args.json.write_text(json.dumps([s.summary() for s in results], indent=1) + "\n", encoding="utf-8")
    return 1 if any(s.errors for s in results) else 0


if __name__ == "__main__":
    from _record import recorded

    with recorded("load"):
        code = main()
    sys.exit(code)
