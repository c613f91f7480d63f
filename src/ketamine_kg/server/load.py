"""``ketamine-kg load``: replace a named graph on a SPARQL server with the built graph, verified by count."""

from __future__ import annotations

import time
import urllib.parse
import uuid
from dataclasses import dataclass
from pathlib import Path

from ketamine_kg.errors import EndpointError, QueryTimeout, UsageError
from ketamine_kg.query.binding import checked_iri
from ketamine_kg.query.engine import load_store
from ketamine_kg.query.remote import DEFAULT_GRAPH, SERVER_DEFAULT, count_triples
from ketamine_kg.query.remote_http import Endpoint, form_body, raise_for_status, request

__all__ = ["LoadReport", "load_graph"]


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
            answer = request(
                "PUT",
                _gsp_url(endpoint, staging),
                data,
                {"Content-Type": "application/n-triples"},
                timeout,
                "the upload",
            )
            raise_for_status(answer, endpoint.gsp)
        else:
            body = b"INSERT DATA { GRAPH <" + staging.encode() + b"> {\n" + data + b"} }"
            answer = request(
                "POST", endpoint.update, body, {"Content-Type": "application/sparql-update"}, timeout, "the upload"
            )
            raise_for_status(answer, endpoint.update)
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
