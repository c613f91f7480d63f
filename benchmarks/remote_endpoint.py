"""Median latency of every named query: embedded store vs an Oxigraph server vs ``ketamine-kg serve``.

Starts a read-write ``oxigraph serve`` (loaded with ``ketamine-kg load``, timed) and ``ketamine-kg
serve`` (its guarding proxy in front of a read-only Oxigraph), each on a free port on 127.0.0.1 in a
temporary folder, asks every named query with its default parameters through the same worker
interface, prints the medians side by side, and stops both servers.

Run: python benchmarks/remote_endpoint.py [--repeat 15]
"""

from __future__ import annotations

import argparse
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ketamine_kg.query.catalogue import load_catalogue
from ketamine_kg.query.engine import QueryWorker
from ketamine_kg.layout import find_layout
from ketamine_kg.query.remote import Endpoint, RemoteWorker
from ketamine_kg.server.load import load_graph


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"nothing listening on {port}")


def _median_ms(worker, query, repeat: int) -> float:
    bindings = query.bindings()
    worker.run(query.text, bindings)  # warm-up
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        worker.run(query.text, bindings)
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    binary = shutil.which("oxigraph")
    if binary is None:
        raise SystemExit("needs the oxigraph binary: python -m pip install oxigraph")
    layout = find_layout()
    graph = layout.graph_file("nt")
    catalogue = load_catalogue(layout.queries)
    scratch = Path(tempfile.mkdtemp(prefix="ketamine-kg-bench-"))
    plain_port, served_port = _free_port(), _free_port()
    plain = subprocess.Popen([binary, "serve", "--location", str(scratch / "rw"), "--bind", f"127.0.0.1:{plain_port}"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    served = subprocess.Popen([sys.executable, "-m", "ketamine_kg", "serve", "--port", str(served_port),
                               "--location", str(scratch / "ro")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait(plain_port)
        started = time.perf_counter()
        report = load_graph(Endpoint.parse(f"http://127.0.0.1:{plain_port}"), graph)
        print(f"ketamine-kg load: {report.triples:,} triples, staged, moved and counted in "
              f"{time.perf_counter() - started:.2f} s")
        _wait(served_port)
        rows = []
        with QueryWorker(graph) as embedded:
            direct = RemoteWorker(f"http://127.0.0.1:{plain_port}/query")
            proxied = RemoteWorker(f"http://127.0.0.1:{served_port}/query")
            for query in catalogue.values():
                rows.append((query.name, *(_median_ms(w, query, args.repeat) for w in (embedded, direct, proxied))))
        print(f"{'query':38s} {'embedded':>9s} {'oxigraph':>9s} {'serve':>9s}   (median ms of {args.repeat})")
        for name, a, b, c in rows:
            print(f"{name:38s} {a:9.2f} {b:9.2f} {c:9.2f}")
        medians = [statistics.median(column) for column in list(zip(*rows))[1:]]
        print(f"{'median over queries':38s} {medians[0]:9.2f} {medians[1]:9.2f} {medians[2]:9.2f}")
    finally:
        for proc in (served, plain):
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    from _record import recorded

    with recorded("remote_endpoint"):
        main()
