"""The embedded store (pyoxigraph, in memory) and a worker process that runs user queries.

pyoxigraph cannot cancel a running query, so anything a user supplies runs in a separate process
(a fresh ``python -S`` running :mod:`ketamine_kg.query.worker_process`) that holds its own copy of the
store, limits its own memory and is killed at the time limit; the caller never blocks past it.
Trusted queries (the build's rules, the checks) run in-process with :func:`execute`. A named
query's parameters go in as a VALUES row where that is proven equivalent to substitution (far
faster on pyoxigraph, see :func:`bind_parameters`), and answers cross the pipe as a table of
distinct terms plus rows of indexes into it (see :mod:`ketamine_kg.query.worker_process`).

Importing this module starts nothing heavy (not pyoxigraph, the results or the binder), so that
the command line can start the worker first and do the rest of its work while the graph loads
(:meth:`QueryWorker.start`).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ketamine_kg.errors import KetamineKGError, QueryError, QueryTimeout, UsageError, one_line

if TYPE_CHECKING:
    import pyoxigraph as ox

    from ketamine_kg.query.results import QueryResult, Term
    from ketamine_kg.query.worker_process import Packed

__all__ = [
    "DEFAULT_MAX_ROWS",
    "DEFAULT_TIMEOUT",
    "Limits",
    "QueryWorker",
    "bind_parameters",
    "execute",
    "execute_packed",
    "from_ox",
    "load_store",
    "to_ox",
]

#: Defaults for queries users supply; the CLI and the viewer use the same ones.
DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_ROWS = 10_000
#: The folder of this copy of ketamine_kg, first on the worker's path.
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])
#: A worker may not grow past this much memory (a cartesian product is stopped, not the machine).
WORKER_MEMORY_BYTES = 8 * 1024**3
_STARTUP_TIMEOUT = 300.0


def _bootstrap() -> str:
    """How the worker starts: ``python -S`` (no site processing: its .pth files cost more than the rest
    of the start), with this copy of ketamine_kg first on its path and pyoxigraph's folder last
    (after the standard library), then :func:`ketamine_kg.query.worker_process.main`.

    pyoxigraph is found, not imported: the worker starts before this process needs it.
    """
    import importlib.util

    spec = importlib.util.find_spec("pyoxigraph")
    if spec is None or spec.origin is None:
        raise QueryError("pyoxigraph is not installed: python -m pip install -e .")
    pyoxigraph_root = str(Path(spec.origin).resolve().parent.parent)
    return (
        f"import sys; sys.path.insert(0, {_PACKAGE_ROOT!r}); sys.path.append({pyoxigraph_root!r}); "
        "from ketamine_kg.query.worker_process import main; sys.exit(main(sys.argv[1:]))"
    )


@dataclass(frozen=True)
class Limits:
    timeout: float = DEFAULT_TIMEOUT
    max_rows: int = DEFAULT_MAX_ROWS

    def __post_init__(self) -> None:
        if not (0 < self.timeout <= 3600):
            raise UsageError(f"--timeout must be more than 0 and at most 3600 seconds, got {self.timeout:g}")
        if not (0 < self.max_rows <= 10_000_000):
            raise UsageError(f"max rows must be between 1 and 10,000,000, got {self.max_rows}")


def load_store(path: Path) -> ox.Store:
    """An in-memory store with the N-Triples (or Turtle) file at ``path``.

    :raises UsageError: if the file is missing, unreadable or not valid RDF.
    """
    from ketamine_kg.query.worker_process import load_store as load

    return load(path)


def to_ox(term: Term) -> ox.NamedNode | ox.Literal | ox.BlankNode:
    from ketamine_kg.query.results import to_ox as convert

    return convert(term)


def from_ox(term: Any) -> Term | None:
    from ketamine_kg.query.results import from_ox as convert

    return convert(term)


def _plain(term: Term) -> Any:
    """``term`` as :func:`ketamine_kg.query.worker_process.encode` writes it: plain data that crosses a pipe cheaply."""
    if term.kind == "iri":
        return term.value
    if term.kind == "bnode":
        return [term.value]
    return (term.value, term.datatype, term.language)


def execute_packed(
    store: ox.Store, query: str, bindings: dict[str, Term] | None = None, max_rows: int | None = None
) -> Packed:
    """:func:`execute`'s answer as it crosses the worker's pipe (see :mod:`ketamine_kg.query.worker_process`)."""
    from ketamine_kg.query.worker_process import execute_packed as run
    from ketamine_kg.rdf.prefixes import PREFIXES

    return run(store, query, {k: _plain(v) for k, v in (bindings or {}).items()}, max_rows, PREFIXES)


def execute(
    store: ox.Store, query: str, bindings: dict[str, Term] | None = None, max_rows: int | None = None
) -> QueryResult:
    """Run ``query`` on ``store`` in this process, binding ``bindings`` as RDF terms.

    :raises QueryError: for malformed SPARQL or a failure while evaluating.
    """
    return _unpack(execute_packed(store, query, bindings, max_rows))


def _unpack(packed: Packed) -> QueryResult:
    from ketamine_kg.query.results import QueryResult, Term

    def decode(item: Any) -> Term | None:
        if item is None:
            return None
        if type(item) is str:
            return Term("iri", item)
        if type(item) is tuple:
            return Term("literal", *item)
        return Term("bnode", item[0])

    kind, variables, rows, items, boolean, truncated, max_rows, elapsed = packed
    terms = [decode(item) for item in items]  # one Term per distinct term, shared by the rows
    get = terms.__getitem__
    return QueryResult(
        kind,
        variables=variables,
        rows=[tuple(map(get, row)) for row in rows],
        boolean=boolean,
        truncated=truncated,
        max_rows=max_rows,
        elapsed_ms=elapsed,
    )


def bind_parameters(query: str, bindings: dict[str, Term] | None) -> tuple[str, dict[str, Term]]:
    """The query text and the substitutions to send: parameters as a VALUES row where that is proven equal.

    pyoxigraph applies ``substitutions=`` (SEP-0007) after evaluating the whole pattern, like a
    join at the end, so a query restricted by a parameter still reads everything; a one-row VALUES
    block at the head of the WHERE clause restricts the patterns from the start (10-100x faster at
    10^6 triples). Nothing the user typed is pasted: each term is written by
    :func:`ketamine_kg.query.binding.sparql_term` (IRIs validated, literals escaped so the text reads as
    that one term and nothing else), and the read-only guard has already passed the query itself.
    A term that cannot be written that way (a blank node, a NUL) goes by substitution instead.
    """
    if not bindings:
        return query, {}
    from ketamine_kg.query.binding import bind_values

    try:
        return bind_values(query, bindings), {}
    except KetamineKGError:  # not proven equal, no WHERE, a term not writable as text: substitution is always right
        return query, dict(bindings)


@dataclass
class _Child:
    """A worker process and our ends of its two pipes (messages framed by :mod:`ketamine_kg.query.worker_process`)."""

    proc: subprocess.Popen[bytes]
    requests: int
    answers: int

    def poll(self, timeout: float) -> bool:
        """Whether an answer is ready to read within ``timeout`` seconds."""
        import select

        return bool(select.select([self.answers], [], [], timeout)[0])

    def kill(self) -> None:
        _LIVE.discard(self.proc)
        if self.proc.poll() is None:
            self.proc.kill()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            pass
        self._close_pipes()

    def _close_pipes(self) -> None:
        for fd in (self.requests, self.answers):
            with contextlib.suppress(OSError):
                os.close(fd)
        self.requests = self.answers = -1  # closed: os.close(-1) fails, and is suppressed

    def __del__(self) -> None:
        # A worker dropped without close(): its request pipe closes, so it reads the end and exits.
        with contextlib.suppress(Exception):  # at interpreter shutdown os may already be gone
            self._close_pipes()


#: Worker processes still running, killed when this interpreter exits (as multiprocessing's daemons were).
_LIVE: set[subprocess.Popen[bytes]] = set()


@atexit.register
def _kill_live_workers() -> None:  # pragma: no cover - runs at interpreter exit
    for proc in list(_LIVE):
        if proc.poll() is None:
            proc.kill()


class QueryWorker:
    """A process holding the graph; each query is checked, run there and stopped at its limit.

    Implements :class:`ketamine_kg.query.worker.Worker`. Thread-safe: one query at a time per worker. A
    worker killed at a time limit is restarted on the next query.
    """

    def __init__(self, graph: Path) -> None:
        self.graph = Path(graph)
        self._lock = threading.Lock()
        self._child: _Child | None = None
        self._pending: _Child | None = None
        self.triples: int | None = None

    def _spawn(self) -> None:
        """Start the worker process; it loads the graph while the caller goes on (see _await_ready).

        A fresh interpreter (``python -S``, running :func:`ketamine_kg.query.worker_process.main`), not a
        fork (unsafe in threaded hosts such as Streamlit) nor multiprocessing's spawn (which re-runs
        the parent's ``__main__``, a Streamlit page script). Requests and answers cross two pipes.
        """
        to_child, from_parent = os.pipe()
        to_parent, from_child = os.pipe()
        child_fds = (to_child, from_child)
        # The limit is read here, not in the child, so a caller (or a test) that lowers it is obeyed.
        command = [
            sys.executable,
            "-S",
            "-c",
            _bootstrap(),
            str(self.graph),
            str(WORKER_MEMORY_BYTES),
            *map(str, child_fds),
        ]
        try:
            # stderr goes nowhere: a Rust abort message ("memory allocation of N bytes failed") must
            # not reach the user's terminal beside the one-line error that reports it.
            proc = subprocess.Popen(
                command,
                pass_fds=child_fds,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        except OSError as exc:
            os.close(from_parent)
            os.close(to_parent)
            raise QueryError(f"cannot start the query worker: {one_line(str(exc))}") from None
        finally:
            os.close(to_child)
            os.close(from_child)
        _LIVE.add(proc)
        self._pending = _Child(proc, from_parent, to_parent)

    def _await_ready(self) -> None:
        from ketamine_kg.query.worker_process import recv

        child = self._pending
        assert child is not None
        if not child.poll(_STARTUP_TIMEOUT):
            self._kill_pending()
            raise QueryError("the query worker did not start in time")
        try:
            message = recv(child.answers)
        except (EOFError, OSError):
            self._kill_pending()
            raise QueryError("the query worker exited while loading the graph") from None
        if message[0] != "ready":
            self._kill_pending()
            raise UsageError(message[2])
        self._pending = None
        self.triples = message[1]
        self._child = child

    def _kill_pending(self) -> None:
        if self._pending is not None:
            child, self._pending = self._pending, None
            child.kill()

    def _stop(self) -> None:
        self._kill_pending()
        if self._child is not None:
            child, self._child = self._child, None
            child.kill()

    @property
    def pid(self) -> int | None:
        """The worker process's id while it runs (for benchmarks that read its memory)."""
        return self._child.proc.pid if self._child is not None else None

    def start(self) -> QueryWorker:
        """Start the worker process now, so that the graph loads while the caller does its own work.

        Optional: :meth:`run` starts it when needed, and waits for it either way.
        """
        with self._lock:
            if self._pending is None and (self._child is None or self._child.proc.poll() is not None):
                self._stop()
                self._spawn()
        return self

    def close(self) -> None:
        with self._lock:
            self._stop()

    def __enter__(self) -> QueryWorker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def run(self, query: str, bindings: dict[str, Term] | None = None, limits: Limits | None = None) -> QueryResult:
        """Check and run a user's query.

        :raises QueryRefused: for updates and SERVICE.
        :raises QueryTimeout: when the time limit is reached (the worker is killed).
        :raises QueryError: for malformed SPARQL or an evaluation failure.
        """
        from ketamine_kg.query.guard import check_read_only
        from ketamine_kg.query.worker_process import recv, send
        from ketamine_kg.rdf.prefixes import PREFIXES

        limits = limits or Limits()
        check_read_only(query)
        with self._lock:
            starting = self._child is None or self._child.proc.poll() is not None
            if starting and self._pending is None:  # not already started by start()
                self._stop()
                self._spawn()
            try:
                # On a cold start the proof behind bind_parameters runs while the worker loads the graph.
                text, substitutions = bind_parameters(query, bindings)
                if starting:
                    self._await_ready()
            except BaseException:
                self._kill_pending()  # a half-started worker is not left behind
                raise
            child = self._child
            assert child is not None
            try:
                plain = {k: _plain(v) for k, v in substitutions.items()}
                send(child.requests, (text, plain, limits.max_rows, PREFIXES))
            except OSError:
                self._stop()
                raise QueryError("the query worker died before the query was sent; run it again") from None
            if not child.poll(limits.timeout):
                self._stop()
                raise QueryTimeout(f"the query ran past its {limits.timeout:g} s limit and was stopped")
            try:
                message = recv(child.answers)
            except (EOFError, OSError):
                self._stop()
                raise QueryError("the query worker died while running the query (out of memory?)") from None
        if message[0] == "ok":
            return _unpack(message[1])
        raise QueryError(message[2])
