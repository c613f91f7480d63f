"""The embedded store (pyoxigraph, in memory) and a worker process that runs user queries.

pyoxigraph cannot cancel a running query, so anything a user supplies runs in a separate process
that holds its own copy of the store and is killed at the time limit; the caller never blocks
past it. Trusted queries (the build's rules, the checks) run in-process with :func:`execute`.
"""

from __future__ import annotations

import multiprocessing as mp
import sys
import threading
import types
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from .errors import QueryError, QueryTimeout, UsageError
from .results import QueryResult, Term
from .sparql_guard import check_read_only
from .vocabulary import PREFIXES

__all__ = ["DEFAULT_MAX_ROWS", "DEFAULT_TIMEOUT", "Limits", "QueryWorker", "execute", "from_ox", "load_store", "to_ox"]

#: Defaults for queries users supply; the CLI and the viewer use the same ones.
DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_ROWS = 10_000
#: A worker may not grow past this much memory (a cartesian product is stopped, not the machine).
WORKER_MEMORY_BYTES = 4 * 1024**3
_STARTUP_TIMEOUT = 300.0


@dataclass(frozen=True)
class Limits:
    timeout: float = DEFAULT_TIMEOUT
    max_rows: int = DEFAULT_MAX_ROWS

    def __post_init__(self) -> None:
        if not (0 < self.timeout <= 3600):
            raise UsageError(f"timeout must be between 0 and 3600 seconds, got {self.timeout}")
        if not (0 < self.max_rows <= 10_000_000):
            raise UsageError(f"max rows must be between 1 and 10,000,000, got {self.max_rows}")


def to_ox(term: Term) -> ox.NamedNode | ox.Literal | ox.BlankNode:
    if term.kind == "iri":
        return ox.NamedNode(term.value)
    if term.kind == "bnode":
        return ox.BlankNode(term.value)
    if term.language:
        return ox.Literal(term.value, language=term.language)
    return ox.Literal(term.value, datatype=ox.NamedNode(term.datatype) if term.datatype else None)


def from_ox(term: Any) -> Term | None:
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return Term.iri(term.value)
    if isinstance(term, ox.BlankNode):
        return Term("bnode", term.value)
    if isinstance(term, ox.Literal):
        return Term.literal(term.value, term.datatype.value if term.datatype else None, term.language)
    return Term.literal(str(term))  # RDF-star triple terms, shown as text


def _clip(text: str, limit: int = 240) -> str:
    # The parser lists every token it expected; the first few say enough on one line.
    return text if len(text) <= limit else text[: limit - 1] + "…"


def load_store(path: Path) -> ox.Store:
    """An in-memory store with the N-Triples (or Turtle) file at ``path``.

    :raises UsageError: if the file is missing, unreadable or not valid RDF.
    """
    if not path.is_file():
        raise UsageError(f"graph file not found: {path} (run 'ketamine-kg build')")
    fmt = ox.RdfFormat.TURTLE if path.suffix == ".ttl" else ox.RdfFormat.N_TRIPLES
    store = ox.Store()
    try:
        store.bulk_load(path=str(path), format=fmt)
    except (SyntaxError, ValueError, OSError) as exc:
        raise UsageError(f"cannot load {path.name}: {' '.join(str(exc).split())}") from exc
    return store


def execute(
    store: ox.Store, query: str, bindings: dict[str, Term] | None = None, max_rows: int | None = None
) -> QueryResult:
    """Run ``query`` on ``store`` in this process, binding ``bindings`` as RDF terms.

    :raises QueryError: for malformed SPARQL or a failure while evaluating.
    """
    substitutions = {ox.Variable(k): to_ox(v) for k, v in (bindings or {}).items()}
    started = time.perf_counter()
    try:
        answer = store.query(query, prefixes=PREFIXES, substitutions=substitutions or None)
        if isinstance(answer, ox.QueryBoolean):
            result = QueryResult("ask", boolean=bool(answer))
        elif isinstance(answer, ox.QuerySolutions):
            variables = [v.value for v in answer.variables]
            result = QueryResult("select", variables=variables, max_rows=max_rows)
            for solution in answer:
                if max_rows is not None and len(result.rows) >= max_rows:
                    result.truncated = True
                    break
                result.rows.append(tuple(from_ox(solution[v]) for v in variables))
        else:
            result = QueryResult("graph", variables=["subject", "predicate", "object"], max_rows=max_rows)
            for triple in answer:
                if max_rows is not None and len(result.rows) >= max_rows:
                    result.truncated = True
                    break
                result.rows.append((from_ox(triple.subject), from_ox(triple.predicate), from_ox(triple.object)))
    except SyntaxError as exc:
        raise QueryError(f"malformed SPARQL: {_clip(' '.join(str(exc).split()))}") from None
    except (OSError, RuntimeError, ValueError, TypeError) as exc:
        raise QueryError(f"query failed: {' '.join(str(exc).split())}") from None
    result.elapsed_ms = (time.perf_counter() - started) * 1000
    return result


def _serve(conn: Connection, graph: str, memory: int = WORKER_MEMORY_BYTES) -> None:  # pragma: no cover - runs in the worker process
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    except (ImportError, ValueError, OSError):
        pass
    try:
        # Failures come back over the pipe as one line; a Rust abort message ("memory allocation
        # of N bytes failed", a backtrace) must not reach the user's terminal as well.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), 2)
    except OSError:
        pass
    try:
        store = load_store(Path(graph))
    except Exception as exc:
        conn.send(("error", type(exc).__name__, str(exc)))
        return
    conn.send(("ready", len(store)))
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        query, bindings, max_rows = request
        try:
            conn.send(("ok", execute(store, query, bindings, max_rows)))
        except QueryError as exc:
            conn.send(("error", "QueryError", str(exc)))
        except MemoryError:
            conn.send(("error", "QueryError", "the query needed more memory than a query may use"))
        except Exception as exc:
            conn.send(("error", "QueryError", f"query failed: {' '.join(str(exc).split())}"))


class QueryWorker:
    """A process holding the graph; each query is checked, run there and stopped at its limit.

    Thread-safe: one query at a time per worker. A worker killed at a time limit is restarted on
    the next query.
    """

    def __init__(self, graph: Path) -> None:
        self.graph = Path(graph)
        self._lock = threading.Lock()
        self._proc: mp.process.BaseProcess | None = None
        self._conn: Connection | None = None
        self.triples: int | None = None

    def _start(self) -> None:
        ctx = mp.get_context("spawn")  # fork is unsafe in threaded hosts such as Streamlit
        parent, child = ctx.Pipe()
        # The limit is read here, not in the child, so a caller (or a test) that lowers it is obeyed.
        proc = ctx.Process(target=_serve, args=(child, str(self.graph), WORKER_MEMORY_BYTES), daemon=True, name="ketamine-kg-query")
        # A spawned child re-runs the parent's __main__ file. Under Streamlit that file is the page
        # script, which must not run again in the worker; the worker needs nothing from __main__.
        main = sys.modules.get("__main__")
        sys.modules["__main__"] = types.ModuleType("__main__")
        try:
            proc.start()
        finally:
            if main is not None:
                sys.modules["__main__"] = main
        child.close()
        if not parent.poll(_STARTUP_TIMEOUT):
            proc.kill()
            raise QueryError("the query worker did not start in time")
        try:
            message = parent.recv()
        except EOFError:
            raise QueryError("the query worker exited while loading the graph") from None
        if message[0] != "ready":
            proc.join(5)
            raise UsageError(message[2])
        self.triples = message[1]
        self._proc, self._conn = proc, parent

    def _stop(self) -> None:
        if self._proc is not None:
            self._proc.kill()
            self._proc.join(5)
        if self._conn is not None:
            self._conn.close()
        self._proc = self._conn = None

    def close(self) -> None:
        with self._lock:
            self._stop()

    def __enter__(self) -> "QueryWorker":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def run(self, query: str, bindings: dict[str, Term] | None = None, limits: Limits | None = None) -> QueryResult:
        """Check and run a user's query.

        :raises QueryRefused: for updates and SERVICE.
        :raises QueryTimeout: when the time limit is reached (the worker is killed).
        :raises QueryError: for malformed SPARQL or an evaluation failure.
        """
        limits = limits or Limits()
        check_read_only(query)
        with self._lock:
            if self._proc is None or not self._proc.is_alive():
                self._stop()
                self._start()
            assert self._conn is not None
            self._conn.send((query, dict(bindings or {}), limits.max_rows))
            if not self._conn.poll(limits.timeout):
                self._stop()
                raise QueryTimeout(f"the query ran past its {limits.timeout:g} s limit and was stopped")
            try:
                message = self._conn.recv()
            except (EOFError, OSError):
                self._stop()
                raise QueryError("the query worker died while running the query (out of memory?)") from None
        if message[0] == "ok":
            return message[1]
        raise QueryError(message[2])
