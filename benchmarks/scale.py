"""Load time, memory and named-query latency at 10^4-10^7 triples, engine by engine, in one run.

For each size, ``generate.py`` writes a graph shaped like ours (renamed copies of the shipped graph)
into a temporary folder, and each engine loads it in a process of its own, so its peak RSS is its
own: raw pyoxigraph (``Store.bulk_load`` in memory), the guarded path the CLI and viewer use
(``QueryWorker``: worker process, read-only check, limits), rdflib's default engine, the Oxigraph
server over HTTP (``oxigraph load`` then ``serve-read-only``), and, when ``ketamine_kg.query.remote`` is
importable, the guarded client for that server (``RemoteWorker``). Every named query runs with its
default parameters; each engine's median latency and row count are reported side by side, and
row counts that differ between engines are listed, not hidden.

A single run may not take longer than ``--cap`` seconds (rdflib) or ``--oxigraph-cap`` (the
others): the process running it is killed and the cell says so. A query capped at one size is not
rerun at larger ones. rdflib is not loaded above ``--rdflib-max`` triples; the table gives the
load time that was projected instead.

Run: python benchmarks/scale.py [--sizes 1e4,1e5,1e6,1e7] [--repeat 5] [--cap 20] [--readme benchmarks/README.md]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate import _RESOURCE, generate  # noqa: E402  (the lead's generator, next to this file)

from ketamine_kg.query.catalogue import NamedQuery, load_catalogue  # noqa: E402
from ketamine_kg.layout import find_layout  # noqa: E402
from ketamine_kg.query.binding import prebind  # noqa: E402  (the one binding path, as the client sends it)

ENGINES = ("pyoxigraph", "guarded", "rdflib", "server")
LABELS = {
    "pyoxigraph": "pyoxigraph (raw, in memory)",
    "guarded": "guarded embedded (QueryWorker)",
    "rdflib": "rdflib (default engine)",
    "server": "Oxigraph server (HTTP)",
    "remote": "guarded remote (RemoteWorker)",
}
README_BEGIN = "<!-- scale:begin (written by benchmarks/scale.py; edit the text around it, not inside) -->"
README_END = "<!-- scale:end -->"
#: The guarded worker returns every row here, so row counts compare (the CLI's default cuts at 10,000).
ALL_ROWS = 10_000_000


# --- measuring ---------------------------------------------------------------------------------


def _rss_mb(pid: int | str = "self", field: str = "VmHWM") -> float | None:
    """A process's peak (VmHWM) or current (VmRSS) resident memory, in MB, from /proc."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _runs(fn: Callable[[], int], repeat: int, single_above: float, send: Callable[[tuple], None]) -> None:
    """A warm-up run, then up to ``repeat`` timed runs; each reported through ``send`` as it ends.

    A warm-up matters for milliseconds (parse caches, lazy imports), not for seconds: when the
    warm-up alone took ``single_above`` seconds or more, it is the one sample, to keep the whole
    run within reach on a 2-core machine.
    """
    started = time.perf_counter()
    rows = fn()
    warm = time.perf_counter() - started
    if warm >= single_above:
        send(("run", warm, rows))
    else:
        send(("warm", warm, rows))
        for _ in range(repeat):
            started = time.perf_counter()
            rows = fn()
            send(("run", time.perf_counter() - started, rows))
    send(("done",))


def _summary(samples: list[float], rows: int | None, capped: bool = False, error: str | None = None) -> dict:
    return {
        "ms": statistics.median(samples) * 1000 if samples and not capped else None,
        "n": len(samples),
        "rows": rows,
        "capped": capped,
        "error": error,
    }


def _measure_inline(fn: Callable[[], int], repeat: int, single_above: float, timeout_exc: tuple = ()) -> dict:
    """Run ``fn`` in this process (the engine enforces its own time limit and raises ``timeout_exc``)."""
    samples: list[float] = []
    rows: list[int] = []

    def send(msg: tuple) -> None:
        if msg[0] in ("warm", "run"):
            rows.append(msg[2])
        if msg[0] == "run":
            samples.append(msg[1])

    try:
        _runs(fn, repeat, single_above, send)
    except timeout_exc:
        return _summary(samples, rows[-1] if rows else None, capped=True)
    except Exception as exc:  # an engine's failure is a result to report, not a crash
        return _summary(samples, None, error=f"{type(exc).__name__}: {' '.join(str(exc).split())[:160]}")
    return _summary(samples, rows[-1] if rows else None)


def _measure_forked(fn: Callable[[], int], repeat: int, single_above: float, cap: float) -> dict:
    """Run ``fn`` in a forked child (it shares the loaded graph) that is killed when one run passes ``cap``.

    pyoxigraph and rdflib cannot stop a query they have started; killing a fork of the process that
    holds the graph can, without loading the graph again.
    """
    import multiprocessing as mp

    parent, child = mp.Pipe(duplex=False)
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        parent.close()
        try:
            _runs(fn, repeat, single_above, child.send)
        except BaseException as exc:
            child.send(("error", f"{type(exc).__name__}: {' '.join(str(exc).split())[:160]}"))
        finally:
            child.close()
            os._exit(0)
    child.close()
    samples: list[float] = []
    rows: int | None = None
    result: dict | None = None
    try:
        while result is None:
            if not parent.poll(cap):
                result = _summary(samples, rows, capped=True)
                break
            try:
                msg = parent.recv()
            except EOFError:
                result = _summary(samples, rows, error="the process running the query died (out of memory?)")
                break
            if msg[0] == "done":
                result = _summary(samples, rows)
            elif msg[0] == "error":
                result = _summary(samples, rows, error=msg[1])
            else:
                rows = msg[2]
                if msg[0] == "run":
                    samples.append(msg[1])
    finally:
        try:
            os.kill(pid, 9)
        except ProcessLookupError:
            pass
        os.waitpid(pid, 0)
        parent.close()
    return result


# --- the engines, each in a process of its own ------------------------------------------------


def _engine_pyoxigraph(graph: Path, queries: dict[str, NamedQuery], skip: dict, opts: argparse.Namespace) -> dict:
    import pyoxigraph as ox

    from ketamine_kg.query.engine import bind_parameters, execute, to_ox
    from ketamine_kg.rdf.prefixes import PREFIXES

    started = time.perf_counter()
    store = ox.Store()
    store.bulk_load(path=str(graph), format=ox.RdfFormat.N_TRIPLES)
    out: dict[str, Any] = {"load_s": time.perf_counter() - started, "rss_mb": _rss_mb(), "triples": len(store)}
    out["queries"], out["execute"] = {}, {}
    breakdown = out["triples"] <= opts.breakdown_max
    for name, q in queries.items():
        if name in skip:
            out["queries"][name] = {"skipped": skip[name]}
            continue
        # Bound exactly as the guarded worker binds them (a VALUES row where proven, else substitution),
        # so raw and guarded differ by the guard, the process and the pipe, not by the binding.
        text, bound = bind_parameters(q.text, q.bindings({}))
        subs = {ox.Variable(k): to_ox(v) for k, v in bound.items()} or None

        def raw(text: str = text, subs: Any = subs) -> int:
            answer = store.query(text, prefixes=PREFIXES, substitutions=subs)
            if isinstance(answer, ox.QueryBoolean):
                return 1
            if isinstance(answer, ox.QuerySolutions):
                return len([tuple(solution) for solution in answer])
            return len({(t.subject, t.predicate, t.object) for t in answer})  # a graph is a set

        out["queries"][name] = _measure_forked(raw, opts.repeat, opts.single_above, opts.oxigraph_cap)
        if breakdown and not out["queries"][name]["capped"]:
            bindings = q.bindings({})

            def via_execute(q: NamedQuery = q, bindings: dict = bindings) -> int:
                result = execute(store, q.text, bindings)
                return len(set(result.rows)) if result.kind == "graph" else (1 if result.kind == "ask" else len(result.rows))

            out["execute"][name] = _measure_forked(via_execute, opts.repeat, opts.single_above, opts.oxigraph_cap)
    out["peak_rss_mb"] = _rss_mb()
    if breakdown:
        out["paired"] = _paired(store, graph, queries, skip, opts)
    return out


def _paired(store: Any, graph: Path, queries: dict[str, NamedQuery], skip: dict, opts: argparse.Namespace) -> dict:
    """Raw pyoxigraph and the guarded worker, run by turns on the same graph, query by query.

    Engines measured minutes apart on a shared machine see different background loads; by turns,
    each raw run has a guarded run next to it, so their ratio is fair. The raw runs are in this
    process (no cap: only up to --breakdown-max triples); the worker is a process of its own.
    """
    import pyoxigraph as ox

    from ketamine_kg.query.engine import Limits, QueryWorker, bind_parameters, to_ox
    from ketamine_kg.rdf.prefixes import PREFIXES

    limits = Limits(timeout=opts.oxigraph_cap, max_rows=ALL_ROWS)
    out: dict[str, Any] = {}
    with QueryWorker(graph) as worker:
        worker.run("ASK {}", None, limits)
        for name, q in queries.items():
            if name in skip:
                continue
            bindings = q.bindings({})
            text, bound = bind_parameters(q.text, bindings)  # as the worker binds them: like for like
            subs = {ox.Variable(k): to_ox(v) for k, v in bound.items()} or None
            raw_ms, guarded_ms = [], []
            try:
                for i in range(opts.repeat + 1):  # the first pair is the warm-up
                    started = time.perf_counter()
                    answer = store.query(text, prefixes=PREFIXES, substitutions=subs)
                    if isinstance(answer, ox.QuerySolutions):
                        [tuple(solution) for solution in answer]
                    elif not isinstance(answer, ox.QueryBoolean):
                        {(t.subject, t.predicate, t.object) for t in answer}
                    middle = time.perf_counter()
                    worker.run(q.text, bindings, limits)
                    ended = time.perf_counter()
                    if i:
                        raw_ms.append((middle - started) * 1000)
                        guarded_ms.append((ended - middle) * 1000)
            except Exception as exc:  # a failure is a result to report
                out[name] = {"error": f"{type(exc).__name__}: {' '.join(str(exc).split())[:160]}"}
                continue
            out[name] = {"raw_ms": statistics.median(raw_ms), "guarded_ms": statistics.median(guarded_ms),
                         "ratio": statistics.median(g / r for g, r in zip(guarded_ms, raw_ms))}
    return out


def _engine_guarded(graph: Path, queries: dict[str, NamedQuery], skip: dict, opts: argparse.Namespace) -> dict:
    from ketamine_kg.query.engine import Limits, QueryWorker
    from ketamine_kg.errors import QueryTimeout

    limits = Limits(timeout=opts.oxigraph_cap, max_rows=ALL_ROWS)
    out: dict[str, Any] = {"queries": {}}
    with QueryWorker(graph) as worker:
        started = time.perf_counter()
        try:
            worker.run("ASK {}", None, limits)
        except Exception as exc:
            out["error"] = f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}"
            return out
        out["load_s"] = time.perf_counter() - started
        out["triples"] = worker.triples
        out["rss_mb"] = _rss_mb(worker.pid) if worker.pid is not None else None
        for name, q in queries.items():
            if name in skip:
                out["queries"][name] = {"skipped": skip[name]}
                continue
            bindings = q.bindings({})
            worker.run("ASK {}", None, limits)  # a worker stopped at a limit restarts here, not in a timing

            def guarded(q: NamedQuery = q, bindings: dict = bindings) -> int:
                result = worker.run(q.text, bindings, limits)
                return len(set(result.rows)) if result.kind == "graph" else (1 if result.kind == "ask" else len(result.rows))

            out["queries"][name] = _measure_inline(guarded, opts.repeat, opts.single_above, (QueryTimeout,))
        out["peak_rss_mb"] = _rss_mb(worker.pid) if worker.pid is not None else None
    return out


def _engine_rdflib(graph: Path, queries: dict[str, NamedQuery], skip: dict, opts: argparse.Namespace) -> dict:
    import gc

    from rdflib import Graph, Literal, URIRef

    from ketamine_kg.rdf.prefixes import PREFIXES

    started = time.perf_counter()
    g = Graph()
    g.parse(str(graph), format="nt")
    out: dict[str, Any] = {"load_s": time.perf_counter() - started, "rss_mb": _rss_mb(), "triples": len(g), "queries": {}}
    for prefix, ns in PREFIXES.items():
        g.bind(prefix, ns)
    gc.freeze()  # the forks share the parsed graph instead of copying it page by page
    for name, q in queries.items():
        if name in skip:
            out["queries"][name] = {"skipped": skip[name]}
            continue
        init = {
            k: URIRef(v.value) if v.kind == "iri" else Literal(v.value, datatype=URIRef(v.datatype) if v.datatype else None)
            for k, v in q.bindings({}).items()
        }

        def run(q: NamedQuery = q, init: dict = init) -> int:
            result = g.query(q.text, initBindings=init)
            if result.type == "ASK":
                return 1
            if result.type in ("CONSTRUCT", "DESCRIBE"):
                return len(result.graph)
            return len(list(result))

        out["queries"][name] = _measure_forked(run, opts.repeat, opts.single_above, opts.cap)
    out["peak_rss_mb"] = _rss_mb()
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _engine_server(graph: Path, queries: dict[str, NamedQuery], skip: dict, opts: argparse.Namespace) -> dict:
    binary = shutil.which("oxigraph")
    if binary is None:
        return {"error": "the oxigraph binary is not on PATH (pip install oxigraph)", "queries": {}}
    location = Path(tempfile.mkdtemp(prefix="kk-scale-store-", dir=graph.parent))
    out: dict[str, Any] = {"queries": {}}
    server = None
    try:
        started = time.perf_counter()
        done = subprocess.run([binary, "load", "--location", str(location), "--file", str(graph)],
                              capture_output=True, text=True)
        if done.returncode != 0:
            out["error"] = f"oxigraph load failed: {' '.join(done.stderr.split())[-200:]}"
            return out
        out["load_s"] = time.perf_counter() - started
        out["rss_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # the loader: our only child so far
        out["disk_mb"] = sum(p.stat().st_size for p in location.rglob("*") if p.is_file()) / 1024**2
        port = _free_port()
        url = f"http://127.0.0.1:{port}/query"
        started = time.perf_counter()
        server = subprocess.Popen([binary, "serve-read-only", "--location", str(location), "--bind", f"127.0.0.1:{port}",
                                   "--timeout-s", str(int(opts.oxigraph_cap))],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        def post(text: str, timeout: float) -> int:
            request = urllib.request.Request(url, data=text.encode("utf-8"), method="POST", headers={
                "Content-Type": "application/sparql-query",
                "Accept": "application/sparql-results+json, application/n-triples;q=0.9",
            })
            with urllib.request.urlopen(request, timeout=timeout) as response:
                body = response.read()
                ctype = response.headers.get("Content-Type", "")
            if "json" in ctype:
                doc = json.loads(body)  # parsed whole, as a client must
                return 1 if "boolean" in doc else len(doc["results"]["bindings"])
            return len({line for line in body.decode("utf-8").splitlines() if line.strip()})

        while True:
            try:
                post("ASK {}", 5)
                break
            except (urllib.error.URLError, ConnectionError, OSError):
                if server.poll() is not None or time.perf_counter() - started > 600:
                    out["error"] = "oxigraph serve-read-only did not start"
                    return out
                time.sleep(0.05)
        out["start_s"] = time.perf_counter() - started
        out["triples"] = None
        for name, q in queries.items():
            if name in skip:
                out["queries"][name] = {"skipped": skip[name]}
                continue
            text = prebind(q.text, q.bindings({}))  # the client's binding path: HTTP has no pre-binding
            out["queries"][name] = _measure_inline(lambda text=text: post(text, opts.oxigraph_cap + 10), opts.repeat,
                                                   opts.single_above, (TimeoutError, socket.timeout))
        if opts.remote:
            out["remote"] = _remote(f"http://127.0.0.1:{port}", queries, skip.get("__remote__", {}), opts)
        out["peak_rss_mb"] = _rss_mb(server.pid)
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        shutil.rmtree(location, ignore_errors=True)
    return out


def _remote(endpoint: str, queries: dict[str, NamedQuery], skip: dict, opts: argparse.Namespace) -> dict:
    """The project's guarded client on the same server, when another part of the project provides one."""
    try:
        from ketamine_kg.query.engine import Limits
        from ketamine_kg.errors import QueryTimeout
        from ketamine_kg.query.remote import SERVER_DEFAULT, RemoteWorker
    except ImportError as exc:
        return {"error": f"ketamine_kg.query.remote unavailable: {exc}", "queries": {}}
    limits = Limits(timeout=opts.oxigraph_cap, max_rows=ALL_ROWS)
    worker = RemoteWorker(endpoint, graph=SERVER_DEFAULT)  # `oxigraph load` fills the default graph
    out: dict[str, Any] = {"queries": {}}
    for name, q in queries.items():
        if name in skip:
            out["queries"][name] = {"skipped": skip[name]}
            continue
        bindings = q.bindings({})

        def run(q: NamedQuery = q, bindings: dict = bindings) -> int:
            result = worker.run(q.text, bindings, limits)
            return len(set(result.rows)) if result.kind == "graph" else (1 if result.kind == "ask" else len(result.rows))

        out["queries"][name] = _measure_inline(run, opts.repeat, opts.single_above, (QueryTimeout,))
    return out


def child_main(opts: argparse.Namespace) -> int:
    queries = load_catalogue(find_layout().queries)
    skip = json.loads(opts.skip) if opts.skip else {}
    engine = {"pyoxigraph": _engine_pyoxigraph, "guarded": _engine_guarded, "rdflib": _engine_rdflib,
              "server": _engine_server}[opts.child]
    out = engine(Path(opts.graph), queries, skip, opts)
    Path(opts.result).write_text(json.dumps(out), encoding="utf-8")
    return 0


# --- the report --------------------------------------------------------------------------------


def _parse_size(text: str) -> int:
    text = text.strip().replace("_", "").replace(",", "")
    if "^" in text:
        base, exp = text.split("^")
        return int(base) ** int(exp)
    return int(float(text))


def _exp(n: float) -> str:
    """A size as a power of ten, for headings: 10^6."""
    import math

    e = round(math.log10(n))
    return f"10^{e}" if abs(n / 10**e - 1) < 0.1 else f"{n:,}"


def _ms(cell: dict | None, cap: float) -> str:
    if cell is None:
        return "not run"
    if cell.get("skipped"):
        return cell["skipped"]
    if cell.get("capped"):
        return f"> {cap:g} s, capped"
    if cell.get("error"):
        return "error"
    ms = cell["ms"]
    text = f"{ms:,.0f}" if ms >= 100 else f"{ms:.1f}" if ms >= 1 else f"{ms:.2f}"
    return text + (" (1 run)" if cell["n"] == 1 else "")


def _machine() -> list[str]:
    import pyoxigraph
    import rdflib

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "unknown"
    try:
        kb = int(next(l for l in Path("/proc/meminfo").read_text().splitlines() if l.startswith("MemTotal")).split()[1])
        mem = f"{kb / 1024**2:.1f} GiB"
    except (OSError, StopIteration):
        pass
    try:
        server = subprocess.run(["oxigraph", "--version"], capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        server = "not found"
    return [
        f"- machine: {os.cpu_count()} CPUs (`nproc`), {mem} RAM, CPU `{cpu}`, {platform.system()} {platform.release()}",
        f"- Python {platform.python_version()}, pyoxigraph {pyoxigraph.__version__}, rdflib {rdflib.__version__}, "
        f"server `{server}`",
    ]


class Report:
    def __init__(self, opts: argparse.Namespace, names: list[str]) -> None:
        self.opts, self.names = opts, names
        self.sizes: list[dict] = []
        self.load_at_start = " / ".join(f"{x:.1f}" for x in os.getloadavg())

    def size_section(self, size: dict) -> list[str]:
        opts = self.opts
        res = size["engines"]
        out = [f"### {_exp(size['target'])} triples ({size['triples']:,}; factor {size['factor']})", ""]
        out += ["| engine | load | peak RSS after load | peak RSS at end | notes |", "|---|---:|---:|---:|---|"]
        for engine in (*ENGINES, "remote"):
            r = res.get(engine)
            if engine == "remote":
                if r is not None:
                    out.append(f"| {LABELS[engine]} | (the server above) | | | {r.get('error') or 'same server, client-side checks, binding and parsing into terms'} |")
                continue
            if r is None:
                continue
            if r.get("not_run"):
                out.append(f"| {LABELS[engine]} | not run | | | {r['not_run']} |")
                continue
            if r.get("error") and "load_s" not in r:
                out.append(f"| {LABELS[engine]} | failed | | | {r['error']} |")
                continue
            rss = f"{r['rss_mb']:,.0f} MB" if r.get("rss_mb") else "?"
            peak = f"{r['peak_rss_mb']:,.0f} MB" if r.get("peak_rss_mb") else "?"
            notes = {
                "pyoxigraph": "`Store.bulk_load`, one process",
                "guarded": "worker process start: spawn, imports, `bulk_load` (RSS of the worker)",
                "rdflib": "`Graph().parse(format=\"nt\")`",
                "server": f"`oxigraph load` (RSS of the loader; RSS at end is the server's); then "
                          f"`serve-read-only` up in {r.get('start_s', 0):.1f} s; store on disk {r.get('disk_mb', 0):,.0f} MB",
            }[engine]
            if r.get("error"):
                notes += f"; error: {r['error']}"
            out.append(f"| {LABELS[engine]} | {r['load_s']:.1f} s | {rss} | {peak} | {notes} |")
        out += [""]
        has_exec = bool(res.get("pyoxigraph", {}).get("execute"))
        has_remote = "remote" in res and not res["remote"].get("error")
        head = ["query", "rows", "pyoxigraph ms"]
        if has_exec:
            head.append("execute() ms")
        head += ["guarded ms", "guarded / raw", "rdflib ms", "rdflib / guarded", "server ms"]
        if has_remote:
            head.append("remote ms")
        out += ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
        size["mismatches"] = []
        for name in self.names:
            cells = {e: (res.get(e) or {}).get("queries", {}).get(name) for e in (*ENGINES, "remote")}
            counts = {e: c["rows"] for e, c in cells.items() if c and c.get("rows") is not None and not c.get("capped")}
            ref = counts.get("pyoxigraph", next(iter(counts.values()), None))
            odd = {e: n for e, n in counts.items() if n != ref}
            if odd:
                size["mismatches"].append((name, ref, odd))
            rows = "?" if ref is None else f"{ref:,}" + (" ≠" if odd else "")
            raw, guarded, rdf = cells["pyoxigraph"], cells["guarded"], cells["rdflib"]
            row = [name, rows, _ms(raw, opts.oxigraph_cap)]
            if has_exec:
                row.append(_ms(res["pyoxigraph"]["execute"].get(name), opts.oxigraph_cap))
            row.append(_ms(guarded, opts.oxigraph_cap))
            row.append(_ratio(guarded, raw, "{:.2f}x"))
            rdf_cell = res.get("rdflib", {}).get("not_run") and "not run" or _ms(rdf, opts.cap)
            row += [rdf_cell, _ratio(rdf, guarded, "{:,.0f}x", cap=opts.cap), _ms(cells["server"], opts.oxigraph_cap)]
            if has_remote:
                row.append(_ms(cells["remote"], opts.oxigraph_cap))
            out.append("| " + " | ".join(row) + " |")
        out.append("")
        if size["mismatches"]:
            out.append("Row counts that differ from raw pyoxigraph's:")
            for name, ref, odd in size["mismatches"]:
                out.append(f"- `{name}`: pyoxigraph {ref:,}; " + ", ".join(f"{LABELS[e]} {n:,}" for e, n in odd.items()))
        else:
            out.append("Every engine that answered returned the same number of rows for every query.")
        paired = (res.get("pyoxigraph") or {}).get("paired") or {}
        if paired:
            out += ["", "Paired: raw pyoxigraph and the guarded worker by turns (a raw run, then a guarded run, "
                    f"{opts.repeat} pairs after a warm-up pair; ratio = median of the per-pair ratios):", "",
                    "| query | raw ms | guarded ms | guarded / raw | guarded - raw ms |", "|---|---:|---:|---:|---:|"]
            for name in self.names:
                p = paired.get(name)
                if not p:
                    continue
                if "error" in p:
                    out.append(f"| {name} | error | | | {p['error']} |")
                    continue
                out.append(f"| {name} | {p['raw_ms']:,.1f} | {p['guarded_ms']:,.1f} | {p['ratio']:.2f}x "
                           f"| {p['guarded_ms'] - p['raw_ms']:+,.1f} |")
            out.append("")
        errors = [(e, n, c["error"]) for e in (*ENGINES, "remote") for n, c in (res.get(e) or {}).get("queries", {}).items()
                  if c.get("error")]
        for e, n, err in errors:
            out.append(f"- error, {LABELS[e]}, `{n}`: {err}")
        out.append("")
        return out

    def headline(self) -> list[str]:
        """The project's targets, checked at the size nearest 10^6."""
        if not self.sizes:
            return []
        size = min(self.sizes, key=lambda s: abs(s["triples"] - 1_000_000))
        res = size["engines"]
        paired = (res.get("pyoxigraph") or {}).get("paired") or {}
        out = [f"### Targets at {_exp(size['target'])} triples ({size['triples']:,})", ""]
        if paired:
            out += ["Raw and guarded figures here come from the paired runs (the two engines by turns, "
                    "see below), the rdflib figures from the table of this size.", ""]
        within, faster, overhead, rows = 0, 0, [], []
        checked = 0
        for name in self.names:
            raw = (res.get("pyoxigraph") or {}).get("queries", {}).get(name)
            guarded = (res.get("guarded") or {}).get("queries", {}).get(name)
            pair = paired.get(name)
            if pair and "ratio" in pair:
                raw = {"ms": pair["raw_ms"], "n": self.opts.repeat}
                guarded = {"ms": pair["guarded_ms"], "n": self.opts.repeat}
            rdf = (res.get("rdflib") or {}).get("queries", {}).get(name)
            if not (raw and guarded and raw.get("ms") and guarded.get("ms")):
                rows.append(f"| {name} | {_ms(raw, self.opts.oxigraph_cap)} | {_ms(guarded, self.opts.oxigraph_cap)} | - | - | - |")
                continue
            checked += 1
            ratio = pair["ratio"] if pair and "ratio" in pair else guarded["ms"] / raw["ms"]
            over = guarded["ms"] - raw["ms"]
            overhead.append(over)
            within += ratio <= 1.5
            if rdf and (rdf.get("capped") or str(rdf.get("skipped", "")).startswith(">")):  # capped here or smaller
                speed, ok = f"> {self.opts.cap * 1000 / guarded['ms']:,.0f}x (rdflib capped)", True
            elif rdf and rdf.get("ms"):
                speed, ok = f"{rdf['ms'] / guarded['ms']:,.0f}x", rdf["ms"] / guarded["ms"] >= 10
            else:
                speed, ok = "rdflib not run", False
            faster += ok
            rows.append(f"| {name} | {raw['ms']:,.1f} | {guarded['ms']:,.1f} | {ratio:.2f}x {'✓' if ratio <= 1.5 else '✗'} "
                        f"| {over:+,.1f} | {speed} {'✓' if ok else '✗'} |")
        out.append(f"- guarded embedded within 1.5x of raw pyoxigraph: **{within} of {checked}** queries")
        out.append(f"- guarded embedded at least 10x faster than rdflib's engine: **{faster} of {checked}** queries")
        if overhead:
            out.append(f"- guarded minus raw, per query: median {statistics.median(overhead):+.1f} ms, "
                       f"min {min(overhead):+.1f} ms, max {max(overhead):+.1f} ms")
        out += ["", "| query | raw ms | guarded ms | guarded / raw (≤ 1.5x) | overhead ms | rdflib / guarded (≥ 10x) |",
                "|---|---:|---:|---:|---:|---|", *rows, ""]
        return out

    def markdown(self, command: str, started: dt.datetime, elapsed: float) -> str:
        out = [README_BEGIN, "", f"Measured {started:%Y-%m-%d %H:%M} UTC in {elapsed / 60:.1f} min with:", "",
               "```bash", command, "```", ""]
        out += _machine()
        out.append(f"- load average at the start: {self.load_at_start} (1/5/15 min; the machine is shared with other jobs)")
        out.append(f"- load average at the end: {' / '.join(f'{x:.1f}' for x in os.getloadavg())}")
        out += [f"- median of {self.opts.repeat} runs after a warm-up; a query whose warm-up took "
                f"{self.opts.single_above:g} s or more is timed once (\"1 run\"); rdflib runs are capped at "
                f"{self.opts.cap:g} s, the others at {self.opts.oxigraph_cap:g} s", ""]
        out += self.headline()
        for size in self.sizes:
            out += self.size_section(size)
        out.append(README_END)
        return "\n".join(out) + "\n"


def _ratio(num: dict | None, den: dict | None, fmt: str, cap: float | None = None) -> str:
    if not num or not den or not den.get("ms"):
        return "-"
    capped = num.get("capped") or str(num.get("skipped", "")).startswith(">")  # capped here or at a smaller size
    if capped and cap is not None:
        return "> " + fmt.format(cap * 1000 / den["ms"])
    if not num.get("ms"):
        return "-"
    return fmt.format(num["ms"] / den["ms"])


def _run_child(engine: str, graph: Path, skip: dict, opts: argparse.Namespace, workdir: Path) -> dict:
    result = workdir / f"{engine}.json"
    result.unlink(missing_ok=True)
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", engine, "--graph", str(graph), "--result", str(result),
           "--skip", json.dumps(skip), "--repeat", str(opts.repeat), "--cap", str(opts.cap),
           "--oxigraph-cap", str(opts.oxigraph_cap), "--single-above", str(opts.single_above),
           "--breakdown-max", str(opts.breakdown_max)]
    if not opts.remote:
        cmd.append("--no-remote")
    started = time.perf_counter()
    done = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if done.returncode != 0 or not result.is_file():
        tail = " ".join(done.stderr.split())[-300:]
        return {"error": f"exit {done.returncode}: {tail}", "queries": {}}
    out = json.loads(result.read_text(encoding="utf-8"))
    out["wall_s"] = time.perf_counter() - started
    return out


def _write_readme(path: Path, text: str) -> None:
    old = path.read_text(encoding="utf-8") if path.is_file() else "# Benchmarks\n\n"
    if README_BEGIN in old and README_END in old:
        head, rest = old.split(README_BEGIN, 1)
        tail = rest.split(README_END, 1)[1].lstrip("\n")
        new = head + text + ("\n" + tail if tail else "")
    else:
        new = old.rstrip("\n") + "\n\n## Results\n\n" + text
    path.write_text(new, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1e4,1e5,1e6,1e7", help="triple counts, comma-separated (default 1e4,1e5,1e6,1e7)")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per query after the warm-up (default 5)")
    parser.add_argument("--cap", type=float, default=20.0, help="rdflib: seconds one run may take (default 20)")
    parser.add_argument("--oxigraph-cap", type=float, default=60.0, help="the other engines: seconds one run may take (default 60)")
    parser.add_argument("--single-above", type=float, default=2.0,
                        help="a query whose warm-up took this many seconds is timed once (default 2)")
    parser.add_argument("--rdflib-max", type=float, default=2e6, help="do not load rdflib above this many triples (default 2e6)")
    parser.add_argument("--breakdown-max", type=float, default=2e6,
                        help="also time execute() and raw vs guarded by turns (paired) up to this many triples (default 2e6)")
    parser.add_argument("--engines", default=",".join(ENGINES), help=f"a subset of {','.join(ENGINES)}")
    parser.add_argument("--no-remote", dest="remote", action="store_false", help="skip the guarded remote client")
    parser.add_argument("--tmp", type=Path, default=None, help="where generated graphs go (default: the system's temp folder)")
    parser.add_argument("--readme", type=Path, default=None, help="write the results into this Markdown file, between markers")
    parser.add_argument("--json", type=Path, default=None, help="also write the raw figures as JSON")
    parser.add_argument("--child", choices=ENGINES, help=argparse.SUPPRESS)
    parser.add_argument("--graph", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    parser.add_argument("--skip", default="", help=argparse.SUPPRESS)
    opts = parser.parse_args(argv)
    if opts.child:
        return child_main(opts)

    started_at = dt.datetime.now(dt.timezone.utc)
    started = time.perf_counter()
    command = "python benchmarks/scale.py " + " ".join(sys.argv[1:] if argv is None else argv)
    layout = find_layout()
    source = layout.graph_file("nt")
    names = list(load_catalogue(layout.queries))
    lines = [line for line in source.read_text(encoding="utf-8").splitlines() if line.strip()]
    per_copy = sum(1 for line in lines if _RESOURCE.search(line))
    engines = [e.strip() for e in opts.engines.split(",") if e.strip()]
    unknown = set(engines) - set(ENGINES)
    if unknown:
        parser.error(f"unknown engine(s): {', '.join(sorted(unknown))}")
    opts.remote = opts.remote and "server" in engines
    if opts.remote:
        try:
            import ketamine_kg.query.remote  # noqa: F401
        except ImportError:
            opts.remote = False
    report = Report(opts, names)
    capped: dict[str, dict[str, str]] = {e: {} for e in (*ENGINES, "remote")}
    rdflib_rate: tuple[int, float, float] | None = None  # triples, seconds, MB at the largest size loaded
    workdir = Path(tempfile.mkdtemp(prefix="kk-scale-", dir=opts.tmp))
    print(f"generated graphs and stores go in {workdir} (deleted at the end)", file=sys.stderr)
    try:
        for target in sorted(_parse_size(s) for s in opts.sizes.split(",")):
            factor = max(1, round((target - len(lines)) / per_copy) + 1)
            graph = workdir / f"kk-x{factor}.nt"
            triples = generate(factor, graph, source)
            size = {"target": target, "factor": factor, "triples": triples, "engines": {}}
            print(f"== {triples:,} triples (factor {factor}, {graph.stat().st_size / 1024**2:,.0f} MB)", file=sys.stderr)
            for engine in engines:
                if engine == "rdflib" and triples > opts.rdflib_max:
                    note = f"above --rdflib-max {opts.rdflib_max:,.0f} triples"
                    if rdflib_rate:
                        n, s, mb = rdflib_rate
                        note = (f"load would take ~{s * triples / n / 60:,.0f} min and ~{mb * triples / n / 1024:,.0f} GB "
                                f"(projected from {n:,} triples in {s:.0f} s, {mb:,.0f} MB)")
                    size["engines"]["rdflib"] = {"not_run": note, "queries": {}}
                    print(f"   rdflib: not run: {note}", file=sys.stderr)
                    continue
                skip = dict(capped[engine])
                if engine == "server":
                    skip["__remote__"] = capped["remote"]
                t0 = time.perf_counter()
                res = _run_child(engine, graph, skip, opts, workdir)
                size["engines"][engine] = res
                if "remote" in res:
                    size["engines"]["remote"] = res.pop("remote")
                for e in (engine, "remote") if engine == "server" else (engine,):
                    cap = opts.cap if e == "rdflib" else opts.oxigraph_cap
                    for name, cell in size["engines"].get(e, {}).get("queries", {}).items():
                        if cell.get("capped"):
                            capped[e][name] = f"> {cap:g} s at {_exp(target)}, not rerun"
                if engine == "rdflib" and res.get("load_s"):
                    rdflib_rate = (triples, res["load_s"], res.get("rss_mb") or 0)
                state = res.get("error") or f"load {res.get('load_s', 0):.1f} s, RSS {res.get('rss_mb') or 0:,.0f} MB"
                print(f"   {engine}: {state}; {time.perf_counter() - t0:.0f} s in all", file=sys.stderr)
            graph.unlink()
            report.sizes.append(size)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    text = report.markdown(command, started_at, time.perf_counter() - started)
    print(text)
    if opts.readme:
        _write_readme(opts.readme, text)
    if opts.json:
        opts.json.write_text(json.dumps(report.sizes, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
