"""Queries on SPARQL servers (the SPARQL 1.1 Protocol): the :class:`RemoteWorker` behind ``query --endpoint``.

Queries sent to a server are checked by :func:`~ketamine_kg.query.guard.check_read_only` first,
exactly as on the embedded store. The protocol has no way to pass pre-bound variables, so a
named query's parameters travel as a ``VALUES`` block at the head of its WHERE clause, each term
written by :func:`sparql_term` (IRIs validated, literals fully escaped; nothing a user types is
pasted as SPARQL). That is equivalent to the embedded store's substitution only for some query
shapes; :func:`check_prebinding` proves it for each query and parameter, and refuses otherwise
(see its docstring for the rule).

Servers cut answers in ways that look complete: Oxigraph's server, stopped at ``--timeout-s``,
answers HTTP 200 and then stops mid-JSON; Virtuoso stops at 10,000 rows (``ResultSetMaxRows``)
without saying so. The first is detected by parsing the whole answer strictly (a cut answer is
an error, never a shorter table); the second is flagged as a warning on the result.

The HTTP exchange itself is in :mod:`ketamine_kg.query.remote_http`; loading a graph onto a server
(``ketamine-kg load``) in :mod:`ketamine_kg.server.load`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from ketamine_kg.errors import EndpointError, QueryError, QueryRefused, QueryTimeout, one_line
from ketamine_kg.query.binding import check_prebinding, checked_iri, prebind, sparql_term
from ketamine_kg.query.engine import Limits
from ketamine_kg.query.guard import check_read_only, keywords
from ketamine_kg.query.remote_http import Endpoint, form_body, raise_for_status, request, says_timeout
from ketamine_kg.query.results import QueryResult, Term, from_ox
from ketamine_kg.rdf.iris import GRAPH_IRI

__all__ = [
    "DEFAULT_GRAPH",
    "Endpoint",
    "RemoteResult",
    "RemoteWorker",
    "check_prebinding",
    "count_triples",
    "parse_results_json",
    "prebind",
    "sparql_term",
]

#: The named graph ``load`` writes and ``query --endpoint`` reads unless told otherwise.
DEFAULT_GRAPH = GRAPH_IRI
#: ``--graph default`` means the server's own default graph (no ``default-graph-uri`` is sent).
SERVER_DEFAULT = "default"
#: Servers known to stop at a row count without saying so, and that count.
SERVER_ROW_CAPS = {"virtuoso": 10_000}

_JSON_TYPES = ("application/sparql-results+json", "application/json")
_NT_TYPES = ("application/n-triples", "text/plain")


# --- results ----------------------------------------------------------------------------------


@dataclass
class RemoteResult(QueryResult):
    """A :class:`QueryResult` from a server, with a warning when the server may have cut it."""

    warning: str | None = None
    #: How many rows the server sent, before the client's row cap.
    server_rows: int | None = None


def _cut(body: bytes, detail: str) -> QueryTimeout | EndpointError:
    if says_timeout(body[-300:]):
        # Oxigraph's --timeout-s: HTTP 200, then "The SPARQL operation has been cancelled" mid-document.
        return QueryTimeout(
            f"the server stopped the query at its own time limit; its answer stops part-way "
            f"({detail}; {len(body):,} bytes) and was discarded"
        )
    return EndpointError(
        f"the server's answer stops part-way ({detail}; {len(body):,} bytes): it most likely "
        "hit its own time limit or failed while sending; the partial result was discarded"
    )


_XSD_BOOLEAN = "http://www.w3.org/2001/XMLSchema#boolean"
_BOOLEAN_CANONICAL = {"1": "true", "0": "false"}


def _canonical(term: Term | None) -> Term | None:
    # Virtuoso writes booleans as 1 and 0: the same values, in their canonical form.
    if term is not None and term.datatype == _XSD_BOOLEAN and term.value in _BOOLEAN_CANONICAL:
        return Term.literal(_BOOLEAN_CANONICAL[term.value], _XSD_BOOLEAN)
    return term


def parse_results_json(body: bytes, max_rows: int | None = None) -> RemoteResult:
    """A SPARQL 1.1 Query Results JSON document, parsed by pyoxigraph, strictly: a cut or malformed one is an error.

    The whole document is read before any row is kept, so a document cut after some rows is an
    error, never a shorter table. Plain literals come back as xsd:string, as on the embedded store.

    :raises QueryTimeout: if the document is cut and its tail mentions a timeout.
    :raises EndpointError: if it is cut or malformed otherwise.
    """
    import pyoxigraph as ox

    if not body.strip():
        raise _cut(body, "no document")
    try:
        answer = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
        if isinstance(answer, ox.QueryBoolean):
            return RemoteResult("ask", boolean=bool(answer))
        variables = [v.value for v in answer.variables]
        solutions = list(answer)  # parses to the end: a cut document fails here
    except SyntaxError as exc:
        message = one_line(str(exc), 160)
        if "unexpected end" in message.lower() or "eof" in message.lower() or says_timeout(body[-300:]):
            raise _cut(body, f"invalid JSON: {message}") from None
        if "must contain" in message:  # a key of the document is missing: it stops early, or is not SPARQL results
            raise EndpointError(
                f"the server's answer is incomplete SPARQL results JSON ({message}); discarded"
            ) from None
        raise EndpointError(f"the server's answer is not valid SPARQL results JSON: {message}") from None
    result = RemoteResult("select", variables=variables, max_rows=max_rows)
    for solution in solutions:
        if max_rows is not None and len(result.rows) >= max_rows:
            result.truncated = True
            break
        result.rows.append(tuple(_canonical(from_ox(solution[v])) for v in variables))
    result.server_rows = len(solutions)
    return result


def _parse_ntriples(body: bytes, max_rows: int | None) -> RemoteResult:
    import pyoxigraph as ox

    result = RemoteResult("graph", variables=["subject", "predicate", "object"], max_rows=max_rows)
    try:
        triples = list(ox.parse(body, format=ox.RdfFormat.N_TRIPLES))
    except (SyntaxError, ValueError) as exc:
        raise _cut(body, f"invalid N-Triples: {one_line(str(exc), 120)}") from None
    for triple in triples:
        if max_rows is not None and len(result.rows) >= max_rows:
            result.truncated = True
            break
        result.rows.append((from_ox(triple.subject), from_ox(triple.predicate), from_ox(triple.object)))
    result.server_rows = len(triples)
    return result


def _query_form(query: str) -> str:
    for word in keywords(query):
        if word in ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE"):
            return word
    raise QueryError("malformed SPARQL: no SELECT, ASK, CONSTRUCT or DESCRIBE")


def _server_cap_warning(query: str, server: str, rows: int) -> str | None:
    for name, cap in SERVER_ROW_CAPS.items():
        if name in server.lower() and rows == cap:
            product = next((token for token in server.split() if name in token.lower()), server)
            return (
                f"the server ({product}) returned exactly {cap:,} rows, its default cap "
                "(ResultSetMaxRows): the result may be cut; add LIMIT/OFFSET to page through it"
            )
    if rows == 10_000 and "LIMIT" not in keywords(query):
        return (
            "the server returned exactly 10,000 rows with no LIMIT asked: many servers (Virtuoso) stop "
            "there silently, so the result may be cut"
        )
    return None


def _dataset(graph: str | None) -> list[tuple[str, str]]:
    if graph is None or graph == SERVER_DEFAULT:
        return []
    return [("default-graph-uri", checked_iri(graph))]


def remote_query(
    endpoint: Endpoint, query: str, timeout: float, max_rows: int | None = None, graph: str | None = None
) -> RemoteResult:
    """Send ``query`` (already checked and bound) over the SPARQL 1.1 Protocol and read the answer."""
    form = _query_form(query)
    accept = "application/sparql-results+json" if form in ("SELECT", "ASK") else "application/n-triples"
    started = time.perf_counter()
    answer = request(
        "POST",
        endpoint.query,
        form_body([("query", query), *_dataset(graph)]),
        {"Content-Type": "application/x-www-form-urlencoded", "Accept": accept},
        timeout,
    )
    if answer.status == 400:  # the protocol's answer to a query the server will not run
        detail = one_line(answer.body[:2000].decode("utf-8", "replace"), 240)
        if detail.startswith(("query refused", "this server is read-only")):  # ketamine-kg serve's guard
            raise QueryRefused(detail)
        raise QueryError(f"malformed SPARQL (the server says: {detail or 'HTTP 400'})")
    raise_for_status(answer, endpoint.query)
    ctype = answer.content_type.split(";")[0].strip().lower()
    if form in ("SELECT", "ASK"):
        if ctype not in _JSON_TYPES:
            raise EndpointError(
                f"{endpoint.query} answered {ctype or 'no content type'}, not SPARQL results JSON; "
                "is it a SPARQL query endpoint?"
            )
        result = parse_results_json(answer.body, max_rows)
    else:
        if ctype not in _NT_TYPES:
            raise EndpointError(
                f"{endpoint.query} answered {ctype or 'no content type'}, not N-Triples; is it a SPARQL query endpoint?"
            )
        result = _parse_ntriples(answer.body, max_rows)
    if result.kind != "ask":
        result.warning = _server_cap_warning(query, answer.server, result.server_rows or 0)
        if result.warning and not result.truncated:
            result.truncated, result.max_rows = True, result.server_rows
    result.elapsed_ms = (time.perf_counter() - started) * 1000
    return result


class RemoteWorker:
    """The :class:`~ketamine_kg.query.worker.Worker` interface over a SPARQL server.

    ``run`` checks the query (read-only guard), binds parameters as a proven-equivalent VALUES
    block, gives up at the time limit (client-side: the connection is dropped) and keeps at most
    ``max_rows`` rows, marking the result cut. Thread-safe: each call is its own HTTP request.
    """

    def __init__(self, endpoint: str, graph: str | None = DEFAULT_GRAPH) -> None:
        self.endpoint = Endpoint.parse(endpoint)
        self.graph = graph or DEFAULT_GRAPH
        if self.graph != SERVER_DEFAULT:
            checked_iri(self.graph)
        self.triples: int | None = None

    def run(self, query: str, bindings: dict[str, Term] | None = None, limits: Limits | None = None) -> RemoteResult:
        """:raises QueryRefused, QueryTimeout, QueryError, EndpointError: as the embedded worker, or server failures."""
        limits = limits or Limits()
        check_read_only(query)
        text = prebind(query, bindings)
        return remote_query(self.endpoint, text, limits.timeout, limits.max_rows, self.graph)

    def close(self) -> None:
        pass

    def __enter__(self) -> RemoteWorker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def count_triples(endpoint: Endpoint, graph: str | None, timeout: float) -> int:
    """How many triples ``graph`` holds (the server's default graph for ``default``)."""
    where = "{ ?s ?p ?o }" if graph in (None, SERVER_DEFAULT) else f"{{ GRAPH <{checked_iri(graph)}> {{ ?s ?p ?o }} }}"
    result = remote_query(endpoint, f"SELECT (COUNT(*) AS ?n) WHERE {where}", timeout)
    try:
        return int(result.rows[0][0].value)  # type: ignore[union-attr]
    except (IndexError, AttributeError, ValueError):
        raise EndpointError("the server's triple count is not a number") from None
