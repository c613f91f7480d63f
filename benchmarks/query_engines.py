"""Median latency of every named query: pyoxigraph (the embedded engine) vs rdflib's own engine.

Both engines answer the same query text with the same parameter bindings over the same graph, in
one run, side by side, so the ratio means something on a shared, noisy machine. Also times the
guarded path the CLI uses (a worker process, with read-only checks and limits) and its start.

pyoxigraph and the guarded worker bind parameters the same way (``engine.bind_parameters``: a
VALUES row where proven equal to substitution, else substitution); rdflib gets ``initBindings``.
The output is kept in benchmarks/results/query_engines.txt.

Run: python benchmarks/query_engines.py [--repeat 15]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef

from _record import recorded
from ketamine_kg.query.catalogue import load_catalogue
from ketamine_kg.query.engine import QueryWorker, bind_parameters, execute
from ketamine_kg.layout import find_layout
from ketamine_kg.rdf.prefixes import PREFIXES


def _median_ms(fn, repeat: int) -> float:
    fn()  # warm-up: parsing caches, lazy imports
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--no-record", action="store_true", help="print only; keep no results file")
    args = parser.parse_args()
    layout = find_layout()
    path = layout.graph_file("nt")
    store = ox.Store()
    store.bulk_load(path=str(path), format=ox.RdfFormat.N_TRIPLES)
    graph = Graph().parse(path, format="nt")
    for prefix, ns in PREFIXES.items():
        graph.bind(prefix, ns)
    catalogue = load_catalogue(layout.queries)
    print(f"graph: {len(graph):,} triples; {len(catalogue)} named queries; {args.repeat} runs each, median")
    print(f"machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}, pyoxigraph {ox.__version__}")
    print(f"{'query':40} {'pyoxigraph ms':>14} {'rdflib ms':>10} {'ratio':>7} {'guarded ms':>11}")
    ratios = []
    starts = []
    for _ in range(5):
        with QueryWorker(path) as cold:
            started = time.perf_counter()
            cold.run("ASK { ?s ?p ?o }")
            starts.append((time.perf_counter() - started) * 1000)
    with QueryWorker(path) as worker:
        worker.run("ASK { ?s ?p ?o }")
        for name, q in catalogue.items():
            bindings = q.bindings()
            text, substitutions = bind_parameters(q.text, bindings)  # as the worker binds them
            ox_ms = _median_ms(lambda: execute(store, text, substitutions), args.repeat)
            init = {k: (URIRef(v.value) if v.kind == "iri" else Literal(v.value, datatype=URIRef(v.datatype) if v.datatype else None)) for k, v in bindings.items()}
            try:
                rdflib_ms = _median_ms(lambda: list(graph.query(q.text, initBindings=init)), args.repeat)
                ratio = rdflib_ms / ox_ms
                ratios.append(ratio)
                rdflib_text, ratio_text = f"{rdflib_ms:10.2f}", f"{ratio:6.0f}x"
            except Exception as exc:  # rdflib's engine does not support every query
                rdflib_text, ratio_text = f"{'error':>10}", f"{'-':>7}"
                print(f"  (rdflib failed on {name}: {type(exc).__name__})")
            guarded_ms = _median_ms(lambda: worker.run(q.text, bindings), args.repeat)
            print(f"{name:40} {ox_ms:14.2f} {rdflib_text} {ratio_text} {guarded_ms:11.2f}")
    if ratios:
        print(f"rdflib / pyoxigraph: median {statistics.median(ratios):.0f}x, min {min(ratios):.0f}x, max {max(ratios):.0f}x")
    print(f"guarded worker start (process, imports, graph load, first ASK): median of 5 {statistics.median(starts):.0f} ms")


if __name__ == "__main__":
    with recorded("query_engines"):
        main()
