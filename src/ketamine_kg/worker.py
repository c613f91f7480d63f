"""The query worker: the interface every worker offers, and the process behind the embedded one.

:class:`Worker` is what the command line, the viewer and the tests program against; the embedded
:class:`~ketamine_kg.engine.QueryWorker` and the SPARQL-server
:class:`~ketamine_kg.remote.RemoteWorker` implement it.

Started by :class:`~ketamine_kg.engine.QueryWorker` as a fresh ``python -S`` interpreter that
calls :func:`main` (``python -m ketamine_kg.worker GRAPH MEMORY_BYTES READ_FD WRITE_FD`` does the
same, slower: without ``-S`` the interpreter first runs every ``.pth`` file of site-packages),
this module is the worker process: it limits its own address space, loads the graph into an
in-memory pyoxigraph store, says ``("ready", triples)`` and then answers ``(query,
substitutions, max_rows)`` requests on the two pipe descriptors it was given, until the parent
closes them. Nothing of the parent (a Streamlit page script, its threads, its ``__main__``)
runs again in it, and it imports no more than the query path needs (pyoxigraph, not rdflib).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from .engine import Limits
    from .results import QueryResult, Term

__all__ = ["Worker", "main"]


@runtime_checkable
class Worker(Protocol):
    """Runs a user's query under the read-only guard and the limits; the same answers wherever it runs."""

    #: Triples in the graph, once known (None for a server, or before the first query).
    triples: int | None

    def run(self, query: str, bindings: dict[str, Term] | None = None, limits: Limits | None = None) -> QueryResult:
        """:raises QueryRefused, QueryTimeout, QueryError, UsageError, EndpointError: one line each."""
        ...

    def close(self) -> None: ...

    def __enter__(self) -> Worker: ...

    def __exit__(self, *exc: object) -> None: ...


def _limit_memory(memory: int) -> None:
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    except (ImportError, ValueError, OSError):
        pass


def main(argv: list[str] | None = None) -> int:  # pragma: no cover - runs in the worker process
    """Serve queries on the pipes named in ``argv`` until the parent closes them."""
    from multiprocessing.connection import Connection

    graph, memory, read_fd, write_fd = (argv if argv is not None else sys.argv[1:])[:4]
    _limit_memory(int(memory))
    requests, answers = Connection(int(read_fd), writable=False), Connection(int(write_fd), readable=False)
    from pathlib import Path

    from .engine import execute_packed, load_store
    from .errors import QueryError, one_line

    try:
        store = load_store(Path(graph))
    except Exception as exc:  # noqa: BLE001 - whatever stops the load goes back as one line
        answers.send(("error", type(exc).__name__, str(exc)))
        return 1
    answers.send(("ready", len(store)))
    while True:
        try:
            query, bindings, max_rows = requests.recv()
        except (EOFError, OSError):
            return 0
        try:
            answers.send(("ok", execute_packed(store, query, bindings, max_rows)))
        except QueryError as exc:
            answers.send(("error", "QueryError", str(exc)))
        except MemoryError:
            answers.send(("error", "QueryError", "the query needed more memory than a query may use"))
        except Exception as exc:  # noqa: BLE001 - pyoxigraph's failures are not all typed; still one line
            answers.send(("error", "QueryError", f"query failed: {one_line(str(exc))}"))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
