"""Limits on user queries: read-only, no outbound calls, stopped at the time limit, cut at the row cap."""

from __future__ import annotations

import time

import pytest

from ketamine_kg.engine import Limits, QueryWorker
from ketamine_kg.errors import QueryRefused, QueryTimeout
from ketamine_kg.sparql_guard import check_read_only

from .support import Listener


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { SERVICE <http://127.0.0.1:{port}/sparql> { ?s ?p ?o } }",
        "select * where { service silent <http://127.0.0.1:{port}/sparql> { ?s ?p ?o } }",
        "PREFIX e: <http://127.0.0.1:{port}/> SELECT * WHERE { SeRvIcE e:sparql { ?s ?p ?o } }",
        "LOAD <http://127.0.0.1:{port}/data.ttl>",
        "INSERT { ?s ?p ?o } WHERE { SERVICE <http://127.0.0.1:{port}/> { ?s ?p ?o } }",
    ],
)
def test_outbound_calls_are_refused_and_never_made(query: str, worker: QueryWorker) -> None:
    listener = Listener()
    try:
        with pytest.raises(QueryRefused):
            worker.run(query.replace("{port}", str(listener.port)), None, Limits(timeout=5))
        assert listener.settle() == 0
    finally:
        listener.close()


@pytest.mark.parametrize(
    "query",
    [
        'SELECT * WHERE { ?s ?p "SERVICE <http://x/>" }',
        "SELECT ?service WHERE { ?service ?p ?o } LIMIT 1",
        "# INSERT DATA in a comment\nSELECT * WHERE { ?s ?p ?o } LIMIT 1",
        "PREFIX drop: <http://example.org/drop#> SELECT * WHERE { ?s drop:load ?o }",
    ],
)
def test_keywords_inside_strings_names_and_comments_are_not_refused(query: str) -> None:
    check_read_only(query)


def test_runaway_query_is_stopped_and_the_worker_recovers(worker: QueryWorker) -> None:
    cartesian = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
    started = time.monotonic()
    with pytest.raises(QueryTimeout, match="1 s limit"):
        worker.run(cartesian, None, Limits(timeout=1))
    assert time.monotonic() - started < 30  # generous: only proves it did not run to completion
    answer = worker.run("ASK { ?s ?p ?o }", None, Limits(timeout=30))
    assert answer.boolean is True


def test_row_cap(worker: QueryWorker) -> None:
    result = worker.run("SELECT * WHERE { ?s ?p ?o }", None, Limits(max_rows=7))
    assert len(result.rows) == 7 and result.truncated
