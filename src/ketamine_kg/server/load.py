"""``ketamine-kg load``: replace a named graph on a SPARQL server with the built graph, verified by count.

Virtuoso is recognised by its ``Server`` header: its ``/sparql`` endpoint accepts no Graph Store
requests (a PUT there is never answered), so a ``/sparql`` URL of a Virtuoso is loaded through
its Graph Store endpoint ``/sparql-graph-crud`` on the same host, and a refusal there (the
anonymous ``SPARQL`` user may only read until granted ``SPARQL_UPDATE``) is reported with the
grant that opens it and the revoke that closes it again.
"""

from __future__ import annotations

import re
import time
import urllib.parse
import uuid
from dataclasses import dataclass
from pathlib import Path

from ketamine_kg.errors import EndpointError, QueryTimeout, UsageError, one_line
from ketamine_kg.query.binding import checked_iri
from ketamine_kg.query.engine import load_store
from ketamine_kg.query.remote import DEFAULT_GRAPH, SERVER_DEFAULT, count_triples
from ketamine_kg.query.remote_http import Answer, Endpoint, form_body, raise_for_status, request

__all__ = ["VIRTUOSO_GRANT", "VIRTUOSO_REVOKE", "LoadReport", "load_graph", "virtuoso_endpoint"]

#: What a Virtuoso administrator runs in isql so that ``load`` can write, and what closes it again:
#: the grant lets anyone who reaches the public /sparql endpoint change or drop any graph.
VIRTUOSO_GRANT = 'GRANT SPARQL_UPDATE TO "SPARQL";'
VIRTUOSO_REVOKE = 'REVOKE SPARQL_UPDATE FROM "SPARQL";'
#: How long the check for a Virtuoso behind a /sparql URL may take, whatever --timeout says.
_PROBE_TIMEOUT = 10.0


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
    answer = request(
        "POST",
        endpoint.update,
        form_body([("update", text)]),
        {"Content-Type": "application/x-www-form-urlencoded"},
        timeout,
        what,
    )
    raise_for_status(answer, endpoint.update)


def _gsp_url(endpoint: Endpoint, graph: str) -> str:
    sep = "&" if "?" in endpoint.gsp else "?"
    return endpoint.gsp + sep + urllib.parse.urlencode({"graph": graph})


def _is_sparql_path(url: str) -> bool:
    return urllib.parse.urlsplit(url).path.rstrip("/").endswith("/sparql")


def virtuoso_endpoint(endpoint: Endpoint, timeout: float = _PROBE_TIMEOUT) -> Endpoint | None:
    """The endpoint with Virtuoso's Graph Store URL, if ``endpoint`` is a Virtuoso's ``/sparql``.

    Asked only when the Graph Store URL would be a ``/sparql`` URL (what :meth:`Endpoint.parse`
    gives for any URL but Oxigraph's): one ``ASK {}`` within ``timeout`` seconds, whose answer's
    ``Server`` header names the software. None for any other server.

    :raises EndpointError: if the server cannot be reached or does not answer in time.
    """
    if not _is_sparql_path(endpoint.gsp):
        return None
    url = endpoint.query + ("&" if "?" in endpoint.query else "?") + urllib.parse.urlencode({"query": "ASK {}"})
    try:
        answer = request("GET", url, None, {"Accept": "application/sparql-results+json"}, timeout, "a first ASK")
    except QueryTimeout as exc:
        raise EndpointError(f"load failed, nothing replaced: {exc}") from None
    if not answer.server.lower().startswith("virtuoso"):
        return None
    parts = urllib.parse.urlsplit(endpoint.gsp)
    path = parts.path.rstrip("/").removesuffix("/sparql") + "/sparql-graph-crud"
    gsp = urllib.parse.urlunsplit((parts.scheme, parts.netloc, path, "", ""))
    return Endpoint(endpoint.query, endpoint.update, gsp)


def _virtuoso_refused(answer: Answer, gsp: str) -> EndpointError:
    text = answer.body[:4000].decode("utf-8", "replace")
    # Virtuoso's error page is HTML with the message in an <xmp> element.
    found = re.search(r"<xmp>(.*?)</xmp>", text, re.S | re.I)
    detail = one_line(found.group(1) if found else re.sub(r"<[^>]*>", " ", text), 160)
    return EndpointError(
        f"Virtuoso refused the write at {gsp} (HTTP {answer.status}: {detail}); its SPARQL user may only read: "
        f"in isql run {VIRTUOSO_GRANT} then load again, and {VIRTUOSO_REVOKE} after loading "
        "(while granted, anyone who reaches /sparql can change or drop any graph)"
    )


def _drop(endpoint: Endpoint, graph: str, protocol: str, timeout: float) -> None:
    """Best effort: a failed cleanup must not hide the error that caused it."""
    try:
        if protocol == "gsp":
            answer = request("DELETE", _gsp_url(endpoint, graph), None, {}, timeout, "the cleanup")
            if answer.status >= 400 and answer.status != 404:
                raise_for_status(answer, endpoint.gsp)
        else:
            _update(endpoint, f"DROP SILENT GRAPH <{graph}>", timeout, "the cleanup")
    except Exception:
        pass


def _check_target(graph: str, protocol: str) -> None:
    """Refuse an unknown protocol, the server's default graph or an IRI that cannot be sent."""
    if protocol not in ("gsp", "update"):
        raise UsageError(f"--protocol takes gsp or update, got {protocol!r}")
    if graph == SERVER_DEFAULT:
        raise UsageError("load writes a named graph; give --graph IRI (the server's default graph is not replaced)")
    checked_iri(graph)


def _upload(endpoint: Endpoint, staging: str, data: bytes, protocol: str, virtuoso: bool, timeout: float) -> None:
    """Send the whole file into the staging graph in one request (step 1 of :func:`load_graph`):
    a Graph Store Protocol PUT, or one ``INSERT DATA`` over SPARQL Update."""
    if protocol == "gsp":
        headers = {"Content-Type": "application/n-triples"}
        answer = request("PUT", _gsp_url(endpoint, staging), data, headers, timeout, "the upload")
        if virtuoso and answer.status in (401, 403):
            raise _virtuoso_refused(answer, endpoint.gsp)
        raise_for_status(answer, endpoint.gsp)
    else:
        body = b"INSERT DATA { GRAPH <" + staging.encode() + b"> {\n" + data + b"} }"
        answer = request(
            "POST", endpoint.update, body, {"Content-Type": "application/sparql-update"}, timeout, "the upload"
        )
        raise_for_status(answer, endpoint.update)


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

    A Virtuoso given by its ``/sparql`` URL is loaded through its ``/sparql-graph-crud`` (see
    :func:`virtuoso_endpoint`); the report names the URL used.

    :raises EndpointError: if any step fails, a count is wrong (the staging graph is dropped) or
        the server does not answer within ``timeout`` seconds: a failed load exits 8, whatever failed.
    """
    _check_target(graph, protocol)
    started = time.perf_counter()
    virtuoso = virtuoso_endpoint(endpoint, min(timeout, _PROBE_TIMEOUT)) if protocol == "gsp" else None
    if virtuoso is not None:
        endpoint = virtuoso
    import pyoxigraph as ox

    store = load_store(Path(graph_file))
    expected = len(store)
    data = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph()) or b""
    staging = f"urn:uuid:{uuid.uuid4()}"
    stage_done = False
    try:
        _upload(endpoint, staging, data, protocol, virtuoso is not None, timeout)
        staged = count_triples(endpoint, staging, timeout)
        if staged != expected:
            raise EndpointError(
                f"the server holds {staged:,} of the {expected:,} triples sent; <{graph}> was left as it was"
            )
        _update(endpoint, f"MOVE GRAPH <{staging}> TO <{graph}>", timeout, "the move into place")
        stage_done = True
        loaded = count_triples(endpoint, graph, timeout)
    except (EndpointError, QueryTimeout) as exc:
        # A load that timed out failed like any other: exit 8 (the README's table), not 7.
        hint = ""
        if isinstance(exc, QueryTimeout) and protocol == "gsp" and virtuoso is None:
            hint = f"; if {endpoint.gsp} is not the server's Graph Store endpoint, give --gsp-url"
        if not stage_done:
            _drop(endpoint, staging, protocol, min(timeout, 30.0))
            raise EndpointError(f"load failed, nothing replaced: {exc}{hint}") from None
        raise EndpointError(f"load into <{graph}> may be incomplete: {exc}; run load again") from None
    if loaded != expected:
        raise EndpointError(f"<{graph}> holds {loaded:,} triples after the load, expected {expected:,}; run load again")
    used = f"{protocol} at {endpoint.gsp}" if virtuoso is not None else protocol
    return LoadReport(graph, expected, used, time.perf_counter() - started)
