"""A client for SPARQL servers: queries over the SPARQL 1.1 Protocol, loading over the Graph Store Protocol.

Queries sent to a server are checked by :func:`~ketamine_kg.sparql_guard.check_read_only` first,
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
"""

from __future__ import annotations

import time
import urllib.parse
import uuid
from dataclasses import dataclass
from pathlib import Path

import urllib3

from .binding import check_prebinding, checked_iri, prebind, sparql_term
from .engine import Limits, from_ox, load_store
from .errors import EndpointError, QueryError, QueryRefused, QueryTimeout, UsageError, one_line
from .results import QueryResult, Term
from .sparql_guard import check_read_only, keywords

__all__ = [
    "DEFAULT_GRAPH",
    "Endpoint",
    "LoadReport",
    "RemoteResult",
    "RemoteWorker",
    "check_prebinding",
    "count_triples",
    "load_graph",
    "parse_results_json",
    "prebind",
    "sparql_term",
]

#: The named graph ``load`` writes and ``query --endpoint`` reads unless told otherwise.
DEFAULT_GRAPH = "https://w3id.org/ketamine-kg/graph"
#: ``--graph default`` means the server's own default graph (no ``default-graph-uri`` is sent).
SERVER_DEFAULT = "default"
#: Servers known to stop at a row count without saying so, and that count.
SERVER_ROW_CAPS = {"virtuoso": 10_000}
#: An answer larger than this is refused rather than held in memory.
MAX_ANSWER_BYTES = 512 * 1024**2

_JSON_TYPES = ("application/sparql-results+json", "application/json")
_NT_TYPES = ("application/n-triples", "text/plain")


# --- endpoints and HTTP ---------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    """The URLs of one server: where queries, updates and Graph Store requests go.

    ``Endpoint.parse("http://127.0.0.1:7878")`` (an Oxigraph root) or ``.../query`` gives
    Oxigraph's layout (``/query``, ``/update``, ``/store``); any other URL (a Fuseki dataset,
    Virtuoso's ``/sparql``) is used for all three unless ``update``/``gsp`` are given.
    """

    query: str
    update: str
    gsp: str

    @classmethod
    def parse(cls, url: str, update: str | None = None, gsp: str | None = None) -> Endpoint:
        """:raises UsageError: for anything but an absolute http(s) URL with a host."""
        for u in (url, update, gsp):
            if u is not None:
                _check_url(u)
        parts = urllib.parse.urlsplit(url)
        path = parts.path.rstrip("/")
        if path in ("", "/query"):
            base = urllib.parse.urlunsplit((parts.scheme, parts.netloc, "", "", ""))
            return cls(base + "/query", update or base + "/update", gsp or base + "/store")
        return cls(url, update or url, gsp or url)


def _check_url(url: str) -> None:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"endpoint must be an http:// or https:// URL with a host, got {url!r}")
    if any(c in url for c in " \t\r\n\x00"):
        raise UsageError(f"endpoint URL contains whitespace: {url!r}")
    try:
        _ = parts.port  # raises for a port that is not a number in range
    except ValueError:
        raise UsageError(f"endpoint URL has a bad port: {url!r}") from None


@dataclass
class _Answer:
    status: int
    content_type: str
    server: str
    body: bytes


_POOL: urllib3.PoolManager | None = None


def _pool() -> urllib3.PoolManager:
    global _POOL
    if _POOL is None:
        # A PoolManager reads no proxy settings: a localhost endpoint must not go through $http_proxy.
        _POOL = urllib3.PoolManager(retries=False)
    return _POOL


def _http(
    method: str, url: str, body: bytes | None, headers: dict[str, str], timeout: float, what: str = "the query"
) -> _Answer:
    """One HTTP exchange (urllib3), read whole within ``timeout`` seconds in total.

    No proxies, no retries and no redirects (a redirect, to this host or another, is reported by
    :func:`_raise_for_status`, never followed); an answer longer than :data:`MAX_ANSWER_BYTES`
    (announced or sent) is refused; a body shorter than its Content-Length, or a chunked body
    without its last chunk, is an error, never a short answer. Transport failures become
    one-line errors.
    """
    parts = urllib.parse.urlsplit(url)
    where = f"{parts.scheme}://{parts.netloc}"
    deadline = time.monotonic() + timeout
    chunks: list[bytes] = []
    response = None
    try:
        response = _pool().request(
            method,
            url,
            body=body,
            headers={"User-Agent": "ketamine-kg", **headers},
            timeout=urllib3.Timeout(connect=timeout, read=timeout),
            redirect=False,
            retries=False,
            preload_content=False,
            decode_content=True,
            enforce_content_length=True,
        )
        promised = response.headers.get("Content-Length", "")
        if promised.isdigit() and int(promised) > MAX_ANSWER_BYTES:
            raise EndpointError(
                f"{where} announced {int(promised):,} bytes, more than {MAX_ANSWER_BYTES // 1024**2} MiB; "
                "add a LIMIT to the query"
            )
        size = 0
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            sock = getattr(response.connection, "sock", None)
            if sock is not None:
                sock.settimeout(remaining)  # the whole answer, not each read, must fit in the time limit
            chunk = response.read1(1 << 16) if method != "HEAD" else b""
            if not chunk:
                break
            size += len(chunk)
            if size > MAX_ANSWER_BYTES:
                raise EndpointError(
                    f"{where} sent more than {MAX_ANSWER_BYTES // 1024**2} MiB; add a LIMIT to the query"
                )
            chunks.append(chunk)
        return _Answer(
            response.status,
            response.headers.get("Content-Type", ""),
            response.headers.get("Server", ""),
            b"".join(chunks),
        )
    except (TimeoutError, urllib3.exceptions.ReadTimeoutError):
        raise QueryTimeout(f"{where} did not finish {what} within {timeout:g} s; it was abandoned") from None
    except urllib3.exceptions.NameResolutionError:
        raise EndpointError(f"cannot reach {where}: unknown host {parts.hostname!r}") from None
    except urllib3.exceptions.NewConnectionError as exc:
        if "refused" in str(exc).lower():
            raise EndpointError(f"cannot reach {where}: connection refused (is the server running?)") from None
        raise EndpointError(f"cannot reach {where}: {one_line(str(exc), 200)}") from None
    except urllib3.exceptions.ConnectTimeoutError:
        raise QueryTimeout(f"{where} did not accept a connection within {timeout:g} s") from None
    except urllib3.exceptions.SSLError as exc:
        raise EndpointError(f"TLS failure talking to {where}: {one_line(str(exc), 200)}") from None
    except urllib3.exceptions.ProtocolError as exc:
        if response is None:  # nothing came back: the server closed the connection on the request
            raise EndpointError(
                f"{where} closed the connection during {what} (server killed or restarted?): {one_line(str(exc), 200)}"
            ) from None
        if _says_timeout(b"".join(chunks[-3:])[-300:]):  # ketamine-kg serve says why it cut
            raise QueryTimeout(
                f"{where} stopped {what} at its time limit part-way through the answer; nothing was kept"
            ) from None
        raise EndpointError(
            f"{where} closed the connection part-way through the answer ({sum(map(len, chunks)):,} bytes received; "
            "server killed or restarted?); nothing was kept"
        ) from None
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        raise EndpointError(f"cannot talk to {where}: {one_line(str(exc), 200) or type(exc).__name__}") from None
    finally:
        if response is not None:
            response.release_conn()


def _raise_for_status(answer: _Answer, url: str) -> None:
    if 300 <= answer.status < 400:
        raise EndpointError(f"{url} answered HTTP {answer.status} (a redirect); give the URL it points to")
    if answer.status >= 400:
        detail = one_line(answer.body[:2000].decode("utf-8", "replace"), 200)
        if answer.status in (500, 503, 504) and _says_timeout(answer.body[:2000]):
            raise QueryTimeout(f"{url} stopped the query at its time limit: {detail}")
        raise EndpointError(f"{url} answered HTTP {answer.status}" + (f": {detail}" if detail else ""))


# --- results ----------------------------------------------------------------------------------


@dataclass
class RemoteResult(QueryResult):
    """A :class:`QueryResult` from a server, with a warning when the server may have cut it."""

    warning: str | None = None
    #: How many rows the server sent, before the client's row cap.
    server_rows: int | None = None


def _says_timeout(text: bytes) -> bool:
    lower = text.decode("utf-8", "replace").lower()
    return any(word in lower for word in ("timeout", "timed out", "time limit", "cancelled", "canceled"))


def _cut(body: bytes, detail: str) -> QueryTimeout | EndpointError:
    if _says_timeout(body[-300:]):
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
        if "unexpected end" in message.lower() or "eof" in message.lower() or _says_timeout(body[-300:]):
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


def _form(params: list[tuple[str, str]]) -> bytes:
    return urllib.parse.urlencode(params).encode("ascii")


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
    answer = _http(
        "POST",
        endpoint.query,
        _form([("query", query), *_dataset(graph)]),
        {"Content-Type": "application/x-www-form-urlencoded", "Accept": accept},
        timeout,
    )
    if answer.status == 400:  # the protocol's answer to a query the server will not run
        detail = one_line(answer.body[:2000].decode("utf-8", "replace"), 240)
        if detail.startswith(("query refused", "this server is read-only")):  # ketamine-kg serve's guard
            raise QueryRefused(detail)
        raise QueryError(f"malformed SPARQL (the server says: {detail or 'HTTP 400'})")
    _raise_for_status(answer, endpoint.query)
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
    """The :class:`~ketamine_kg.worker.Worker` interface over a SPARQL server.

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


# --- loading ----------------------------------------------------------------------------------


def count_triples(endpoint: Endpoint, graph: str | None, timeout: float) -> int:
    """How many triples ``graph`` holds (the server's default graph for ``default``)."""
    where = "{ ?s ?p ?o }" if graph in (None, SERVER_DEFAULT) else f"{{ GRAPH <{checked_iri(graph)}> {{ ?s ?p ?o }} }}"
    result = remote_query(endpoint, f"SELECT (COUNT(*) AS ?n) WHERE {where}", timeout)
    try:
        return int(result.rows[0][0].value)  # type: ignore[union-attr]
    except (IndexError, AttributeError, ValueError):
        raise EndpointError("the server's triple count is not a number") from None


@dataclass
class LoadReport:
    graph: str
    triples: int
    protocol: str
    elapsed_s: float

    def text(self, endpoint: str) -> str:
        return (
            f"loaded {self.triples:,} triples into <{self.graph}> at {endpoint} "
            f"({self.protocol}, verified by count, {self.elapsed_s:.1f} s)"
        )


def _update(endpoint: Endpoint, text: str, timeout: float, what: str) -> None:
    answer = _http(
        "POST",
        endpoint.update,
        _form([("update", text)]),
        {"Content-Type": "application/x-www-form-urlencoded"},
        timeout,
        what,
    )
    _raise_for_status(answer, endpoint.update)


def _gsp_url(endpoint: Endpoint, graph: str) -> str:
    sep = "&" if "?" in endpoint.gsp else "?"
    return endpoint.gsp + sep + urllib.parse.urlencode({"graph": graph})


def _drop(endpoint: Endpoint, graph: str, protocol: str, timeout: float) -> None:
    """Best effort: a failed cleanup must not hide the error that caused it."""
    try:
        if protocol == "gsp":
            answer = _http("DELETE", _gsp_url(endpoint, graph), None, {}, timeout, "the cleanup")
            if answer.status >= 400 and answer.status != 404:
                _raise_for_status(answer, endpoint.gsp)
        else:
            _update(endpoint, f"DROP SILENT GRAPH <{graph}>", timeout, "the cleanup")
    except Exception:
        pass


def load_graph(
    endpoint: Endpoint, graph_file: Path, graph: str = DEFAULT_GRAPH, protocol: str = "gsp", timeout: float = 300.0
) -> LoadReport:
    """Replace named graph ``graph`` on a server with the triples of ``graph_file``; verify by count.

    Never leaves a partial graph that looks complete:

    1. the whole file goes into a fresh staging graph (``urn:uuid:...``) in one request: a Graph
       Store Protocol PUT (``gsp``) or one ``INSERT DATA`` (``update``);
    2. the staging graph is counted over the query endpoint; if it is short, it is dropped and
       the target graph is left as it was;
    3. one SPARQL Update ``MOVE GRAPH <staging> TO <target>`` replaces the target (MOVE drops
       the target first, so loading twice leaves one copy; one update request is one
       transaction on Oxigraph, Fuseki/TDB2 and Virtuoso);
    4. the target is counted; a wrong count is an error (exit 8), naming both figures.

    :raises EndpointError: if any step fails or a count is wrong (the staging graph is dropped).
    :raises QueryTimeout: if the server does not answer within ``timeout`` seconds.
    """
    if protocol not in ("gsp", "update"):
        raise UsageError(f"--protocol takes gsp or update, got {protocol!r}")
    if graph == SERVER_DEFAULT:
        raise UsageError("load writes a named graph; give --graph IRI (the server's default graph is not replaced)")
    checked_iri(graph)
    started = time.perf_counter()
    import pyoxigraph as ox

    store = load_store(Path(graph_file))
    expected = len(store)
    data = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph()) or b""
    staging = f"urn:uuid:{uuid.uuid4()}"
    stage_done = False
    try:
        if protocol == "gsp":
            answer = _http(
                "PUT",
                _gsp_url(endpoint, staging),
                data,
                {"Content-Type": "application/n-triples"},
                timeout,
                "the upload",
            )
            _raise_for_status(answer, endpoint.gsp)
        else:
            body = b"INSERT DATA { GRAPH <" + staging.encode() + b"> {\n" + data + b"} }"
            answer = _http(
                "POST", endpoint.update, body, {"Content-Type": "application/sparql-update"}, timeout, "the upload"
            )
            _raise_for_status(answer, endpoint.update)
        staged = count_triples(endpoint, staging, timeout)
        if staged != expected:
            raise EndpointError(
                f"the server holds {staged:,} of the {expected:,} triples sent; <{graph}> was left as it was"
            )
        _update(endpoint, f"MOVE GRAPH <{staging}> TO <{graph}>", timeout, "the move into place")
        stage_done = True
        loaded = count_triples(endpoint, graph, timeout)
    except (EndpointError, QueryTimeout) as exc:
        if not stage_done:
            _drop(endpoint, staging, protocol, min(timeout, 30.0))
            raise type(exc)(f"load failed, nothing replaced: {exc}") from None
        raise type(exc)(f"load into <{graph}> may be incomplete: {exc}; run load again") from None
    if loaded != expected:
        raise EndpointError(f"<{graph}> holds {loaded:,} triples after the load, expected {expected:,}; run load again")
    return LoadReport(graph, expected, protocol, time.perf_counter() - started)
