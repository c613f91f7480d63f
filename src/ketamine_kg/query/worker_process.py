"""The query worker process: the graph in an in-memory pyoxigraph store, answering queries on two pipes.

Started by :class:`~ketamine_kg.query.engine.QueryWorker` as a fresh ``python -S`` interpreter that
calls :func:`main` (``python -m ketamine_kg.query.worker GRAPH MEMORY_BYTES READ_FD WRITE_FD`` does the
same, slower: without ``-S`` the interpreter first runs every ``.pth`` file of site-packages).
It limits its own address space, loads the graph, says ``("ready", triples)`` and then answers
``(query, substitutions, max_rows, prefixes)`` requests until the parent closes the pipes. Each
message is a length and the :mod:`marshal` bytes of plain data (:func:`send`, :func:`recv`).
Nothing of the parent (a Streamlit page script, its threads, its ``__main__``) runs again in it.

The worker's start is most of the time a command takes to answer a query, so this module imports
no more than that needs: pyoxigraph and the project's errors, not rdflib, nor :mod:`typing`,
:mod:`dataclasses` or :mod:`re` (the prefixes come with each request, and terms cross the pipe
as plain data, see :func:`encode`), nor :mod:`multiprocessing.connection` and :mod:`pickle`,
whose imports (sockets, threads, temporary files, regular expressions) cost more than the
framing below. Trusted callers in the parent use :func:`load_store` and
:func:`execute_packed` directly, through :mod:`ketamine_kg.query.engine`.
"""

from __future__ import annotations

import marshal
import os
import sys
import time

import pyoxigraph as ox

from ketamine_kg.errors import QueryError, UsageError, one_line

TYPE_CHECKING = False
if TYPE_CHECKING:  # a constant, not typing.TYPE_CHECKING: importing typing costs the worker's start
    from typing import Any

    from ketamine_kg.query.results import ResultKind

    #: A result as it crosses the pipe: (kind, variables, rows, terms, boolean, truncated,
    #: max_rows, elapsed_ms). Each row is a tuple of indexes into ``terms``, the distinct terms of
    #: the answer, each once, as plain data (index 0 is None, an unbound variable). Pickling
    #: thousands of ``Term`` dataclasses, one per cell, cost more than the query itself on large
    #: answers; ints and a few plain tuples cost next to nothing.
    Packed = tuple[ResultKind, list[str], list[tuple[int, ...]], list[Any], bool | None, bool, int | None, float]

__all__ = ["decode_ox", "encode", "execute_packed", "load_store", "main", "recv", "send"]


def send(fd: int, message: Any) -> None:
    """Write one message (plain data: str, int, float, bool, None, tuple, list, dict) to pipe ``fd``.

    Its length in 8 bytes, then its marshal bytes: both ends are the same interpreter, so the
    format always matches. :raises OSError: if the other end is gone.
    """
    data = marshal.dumps(message)
    view = memoryview(len(data).to_bytes(8, "big") + data)
    while view:
        view = view[os.write(fd, view) :]


def recv(fd: int) -> Any:
    """Read one message written by :func:`send`. :raises EOFError: if the other end closed the pipe."""
    return marshal.loads(_read(fd, int.from_bytes(_read(fd, 8), "big")))


def _read(fd: int, size: int) -> bytes:
    chunks = []
    while size:
        chunk = os.read(fd, min(size, 1 << 20))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def load_store(path: str | os.PathLike[str]) -> ox.Store:
    """An in-memory store with the N-Triples (or Turtle) file at ``path``.

    :raises UsageError: if the file is missing, unreadable or not valid RDF.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise UsageError(f"graph file not found: {path} (run 'ketamine-kg build')")
    fmt = ox.RdfFormat.TURTLE if path.endswith(".ttl") else ox.RdfFormat.N_TRIPLES
    store = ox.Store()
    try:
        store.bulk_load(path=path, format=fmt)
    except (SyntaxError, ValueError, OSError) as exc:
        raise UsageError(f"cannot load {os.path.basename(path)}: {one_line(str(exc))}") from exc
    return store


def encode(term: Any) -> Any:
    """A pyoxigraph term as plain data: str for an IRI, (value, datatype, language) for a literal,
    [id] for a blank node."""
    if isinstance(term, ox.NamedNode):
        return term.value
    if isinstance(term, ox.Literal):
        return (term.value, term.datatype.value if term.datatype else None, term.language)
    if isinstance(term, ox.BlankNode):
        return [term.value]
    return (str(term), None, None)  # RDF-star triple terms, shown as text (as results.from_ox does)


def decode_ox(item: Any) -> ox.NamedNode | ox.Literal | ox.BlankNode:
    """The pyoxigraph term of :func:`encode`'s plain data."""
    if type(item) is str:
        return ox.NamedNode(item)
    if type(item) is tuple:
        value, datatype, language = item
        if language:
            return ox.Literal(value, language=language)
        return ox.Literal(value, datatype=ox.NamedNode(datatype) if datatype else None)
    return ox.BlankNode(item[0])


def execute_packed(
    store: ox.Store,
    query: str,
    substitutions: dict[str, Any] | None = None,
    max_rows: int | None = None,
    prefixes: dict[str, str] | None = None,
) -> Packed:
    """Run ``query`` on ``store``, each of ``substitutions`` (plain data, see :func:`encode`) bound to its variable.

    :raises QueryError: for malformed SPARQL or a failure while evaluating.
    """
    bound: dict[ox.Variable, Any] = {ox.Variable(k): decode_ox(v) for k, v in (substitutions or {}).items()}
    started = time.perf_counter()
    kind: ResultKind = "select"
    boolean: bool | None = None
    truncated = False
    variables: list[str] = []
    rows: list[tuple[int, ...]] = []
    ids: dict[Any, int] = {None: 0}
    terms: list[Any] = [None]

    def index(term: Any) -> int:
        i = ids.get(term)
        if i is None:
            i = ids[term] = len(terms)
            terms.append(encode(term))
        return i

    try:
        answer = store.query(query, prefixes=prefixes, substitutions=bound or None)
        if isinstance(answer, ox.QueryBoolean):
            kind, boolean = "ask", bool(answer)
        else:
            if isinstance(answer, ox.QuerySolutions):
                variables = [v.value for v in answer.variables]
                records: Any = answer  # a solution iterates its values in the order of the variables
            else:
                kind, variables = "graph", ["subject", "predicate", "object"]
                records = ((t.subject, t.predicate, t.object) for t in answer)
            for record in records:
                if max_rows is not None and len(rows) >= max_rows:
                    truncated = True
                    break
                rows.append(tuple(index(t) for t in record))
    except SyntaxError as exc:
        raise QueryError(f"malformed SPARQL: {one_line(str(exc), 240)}") from None
    except (OSError, RuntimeError, ValueError, TypeError) as exc:
        raise QueryError(f"query failed: {one_line(str(exc))}") from None
    elapsed = (time.perf_counter() - started) * 1000
    return kind, variables, rows, terms, boolean, truncated, (None if kind == "ask" else max_rows), elapsed


def _limit_memory(memory: int) -> None:
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    except (ImportError, ValueError, OSError):
        pass


def main(argv: list[str] | None = None) -> int:  # pragma: no cover - runs in the worker process
    """Serve queries on the pipes named in ``argv`` until the parent closes them."""
    graph, memory, read_fd, write_fd = (argv if argv is not None else sys.argv[1:])[:4]
    _limit_memory(int(memory))
    requests, answers = int(read_fd), int(write_fd)
    try:
        store = load_store(graph)
    except Exception as exc:  # noqa: BLE001 - whatever stops the load goes back as one line
        send(answers, ("error", type(exc).__name__, str(exc)))
        return 1
    send(answers, ("ready", len(store)))
    while True:
        try:
            query, substitutions, max_rows, prefixes = recv(requests)
        except (EOFError, OSError):
            return 0
        try:
            send(answers, ("ok", execute_packed(store, query, substitutions, max_rows, prefixes)))
        except QueryError as exc:
            send(answers, ("error", "QueryError", str(exc)))
        except MemoryError:
            send(answers, ("error", "QueryError", "the query needed more memory than a query may use"))
        except Exception as exc:  # noqa: BLE001 - pyoxigraph's failures are not all typed; still one line
            send(answers, ("error", "QueryError", f"query failed: {one_line(str(exc))}"))
