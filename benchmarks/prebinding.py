"""Every named query at one graph file: raw pyoxigraph (substitutions vs a VALUES row), and the guarded worker.

For each named query with its default parameters, prints the median latency of

- *raw subs*: ``Store.query`` with SEP-0007 ``substitutions=`` (how the worker used to bind);
- *raw VALUES*: the same store, the parameters as a one-row ``VALUES`` block at the head of the
  WHERE clause (``binding.bind_values``, the one binding path; "-" where it cannot be proven equivalent);
- *guarded*: ``engine.QueryWorker.run``, the path the CLI and viewer use (worker process, read-only
  check, limits, results back through the pipe), with ``max_rows`` high enough for every row;
- *rdflib* (``--rdflib``): rdflib's default engine with ``initBindings``.

``--save F.json`` keeps the figures and a digest of each answer (the multiset of rows);
``--baseline F.json`` prints that earlier run's guarded figures next to this one's and says whether
every answer is the same multiset of rows as then (so a rewritten query can be compared before/after).

The output is kept in benchmarks/results/prebinding-GRAPH.txt (GRAPH: the file's stem).

Run: python benchmarks/prebinding.py [GRAPH.nt] [--repeat 5] [--rdflib] [--save F] [--baseline F]
     (GRAPH defaults to the shipped graph; a 10^6-triple one: python benchmarks/generate.py --factor 187 --output /tmp/kk-1e6.nt)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import time
from pathlib import Path

import pyoxigraph as ox

from ketamine_kg.query.catalogue import load_catalogue
from ketamine_kg.query.engine import Limits, QueryWorker, from_ox, to_ox
from ketamine_kg.errors import KetamineKGError
from ketamine_kg.layout import find_layout
from _record import recorded
from ketamine_kg.query.binding import bind_values
from ketamine_kg.rdf.prefixes import PREFIXES


def _median_ms(fn, repeat: int) -> tuple[float, object]:
    out = fn()  # warm-up
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), out


def _digest(rows) -> str:
    lines = sorted(" ".join("UNDEF" if t is None else repr(t) for t in row) for row in rows)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:12]


def _raw_rows(answer) -> list[tuple]:
    if isinstance(answer, ox.QuerySolutions):
        return [tuple(solution) for solution in answer]  # a solution iterates in the order of the variables
    if isinstance(answer, ox.QueryBoolean):
        return [(bool(answer),)]
    return [(t.subject, t.predicate, t.object) for t in answer]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("graph", type=Path, nargs="?", default=find_layout().graph_file("nt"),
                        help="an N-Triples file (default: the shipped graph)")
    parser.add_argument("--no-record", action="store_true", help="print only; keep no results file")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--rdflib", action="store_true")
    parser.add_argument("--rdflib-cap", type=float, default=20.0, help="seconds one rdflib run may take")
    parser.add_argument("--only", default="", help="comma-separated query names")
    parser.add_argument("--no-raw", action="store_true", help="time the guarded worker only")
    parser.add_argument("--save", type=Path)
    parser.add_argument("--baseline", type=Path)
    args = parser.parse_args()
    # One record per graph, so a quick run on the shipped graph does not replace the 10^6 one.
    with recorded(f"prebinding-{args.graph.stem}"):
        run(args)


def run(args: argparse.Namespace) -> None:

    catalogue = load_catalogue(find_layout().queries)
    names = [n for n in catalogue if not args.only or n in args.only.split(",")]
    baseline = json.loads(args.baseline.read_text()) if args.baseline else {}
    figures: dict[str, dict] = {}
    print(f"graph {args.graph} ({args.graph.stat().st_size / 1e6:.0f} MB), median of {args.repeat}, "
          f"load average {os.getloadavg()[0]:.1f}")

    if not args.no_raw:
        started = time.perf_counter()
        store = ox.Store()
        store.bulk_load(path=str(args.graph), format=ox.RdfFormat.N_TRIPLES)
        print(f"raw load {time.perf_counter() - started:.1f} s, {len(store):,} triples")
        for name in names:
            q = catalogue[name]
            bindings = q.bindings({})
            subs = {ox.Variable(k): to_ox(v) for k, v in bindings.items()} or None
            ms, answer_rows = _median_ms(lambda: _raw_rows(store.query(q.text, prefixes=PREFIXES, substitutions=subs)),
                                         args.repeat)
            row = figures.setdefault(name, {})
            row["raw_subs"] = ms
            row["rows"] = len(answer_rows)
            row["digest"] = _digest([tuple(from_ox(t) if not isinstance(t, bool) else None for t in r)
                                     for r in answer_rows])
            if bindings:
                try:
                    text = bind_values(q.text, bindings)
                    row["raw_values"], _ = _median_ms(lambda: _raw_rows(store.query(text, prefixes=PREFIXES)),
                                                      args.repeat)
                except KetamineKGError as exc:
                    row["values_refused"] = str(exc)
        del store

    started = time.perf_counter()
    with QueryWorker(args.graph) as worker:
        worker.run("ASK {}")
        print(f"guarded worker start {time.perf_counter() - started:.1f} s")
        limits = Limits(timeout=600, max_rows=10_000_000)
        for name in names:
            q = catalogue[name]
            bindings = q.bindings({})
            ms, result = _median_ms(lambda: worker.run(q.text, bindings, limits), args.repeat)
            row = figures.setdefault(name, {})
            row["guarded"] = ms
            row["guarded_rows"] = len(result.rows)
            row["guarded_digest"] = _digest(result.rows)

    if args.rdflib:
        from rdflib import Graph, Literal, URIRef

        started = time.perf_counter()
        graph = Graph()
        graph.parse(str(args.graph), format="nt")
        print(f"rdflib load {time.perf_counter() - started:.1f} s")
        for name in names:
            q = catalogue[name]
            init = {k: URIRef(v.value) if v.kind == "iri" else Literal(v.value, datatype=v.datatype)
                    for k, v in q.bindings({}).items()}
            # One run (they take seconds), in a fork killed at --rdflib-cap: rdflib cannot be stopped.
            read, write = os.pipe()
            pid = os.fork()
            if pid == 0:
                os.close(read)
                t0 = time.perf_counter()
                list(graph.query(q.text, initNs=PREFIXES, initBindings=init))
                os.write(write, str((time.perf_counter() - t0) * 1000).encode())
                os._exit(0)
            os.close(write)
            deadline = time.monotonic() + args.rdflib_cap
            while time.monotonic() < deadline and os.waitpid(pid, os.WNOHANG) == (0, 0):
                time.sleep(0.05)
            try:
                os.kill(pid, 9)
                os.waitpid(pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
            answer = os.read(read, 64).decode()
            os.close(read)
            figures[name]["rdflib"] = float(answer) if answer else None
            figures[name]["rdflib_capped"] = not answer

    def cell(value: float | None) -> str:
        return "-" if value is None else (f"{value:,.1f}" if value < 100 else f"{value:,.0f}")

    header = f"{'query':36s} {'rows':>6s} {'raw subs':>9s} {'raw VALUES':>10s} {'guarded':>9s}"
    if baseline:
        header += f" {'guarded then':>12s} {'same rows':>9s}"
    if args.rdflib:
        header += f" {'rdflib':>9s} {'rdflib/guarded':>6s}"
    print(header + "   (ms)")
    for name in names:
        row = figures[name]
        line = (f"{name:36s} {row.get('guarded_rows', row.get('rows', 0)):>6,d} {cell(row.get('raw_subs')):>9s} "
                f"{cell(row.get('raw_values')):>10s} {cell(row.get('guarded')):>9s}")
        if baseline:
            then = baseline.get(name, {})
            same = then.get("guarded_digest") == row.get("guarded_digest")
            line += f" {cell(then.get('guarded')):>12s} {'yes' if same else 'NO':>9s}"
        if args.rdflib:
            rdflib_ms = row.get("rdflib")
            line += f" {f'> {args.rdflib_cap:g} s' if row.get('rdflib_capped') else cell(rdflib_ms):>9s}"
            if rdflib_ms and row.get("guarded"):
                line += f" {rdflib_ms / row['guarded']:>6.0f}x"
        print(line)
        if "digest" in row and row["digest"] != row.get("guarded_digest"):
            print(f"  ! {name}: the guarded answer differs from raw pyoxigraph's")
    if args.save:
        args.save.write_text(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
