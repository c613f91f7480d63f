"""The query worker's interface: what every worker offers, embedded or remote.

:class:`Worker` is what the command line, the viewer and the tests program against; the embedded
:class:`~ketamine_kg.query.engine.QueryWorker` and the SPARQL-server
:class:`~ketamine_kg.query.remote.RemoteWorker` implement it. The embedded worker's process runs
:func:`ketamine_kg.query.worker_process.main` (``python -m ketamine_kg.query.worker GRAPH MEMORY_BYTES
READ_FD WRITE_FD`` runs it too).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from ketamine_kg.query.engine import Limits
    from ketamine_kg.query.results import QueryResult, Term

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


def main(argv: list[str] | None = None) -> int:  # pragma: no cover - runs in the worker process
    """The worker process (:func:`ketamine_kg.query.worker_process.main`), imported only when it runs."""
    from ketamine_kg.query.worker_process import main as serve

    return serve(argv)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
