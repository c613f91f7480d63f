"""Limits on user queries: read-only, no outbound calls, stopped at the time limit, cut at the row cap."""

from __future__ import annotations

import time

import pytest

from ketamine_kg.query.engine import Limits, QueryWorker
from ketamine_kg.errors import QueryRefused, QueryTimeout
from ketamine_kg.query.guard import check_read_only

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


def test_prefixes_agree_with_the_vocabulary() -> None:
    from ketamine_kg.rdf import vocabulary
    from ketamine_kg.rdf.prefixes import PREFIXES

    assert vocabulary.PREFIXES is PREFIXES
    for name, namespace in {"kk": vocabulary.KK, "kkr": vocabulary.KKR, "owl": vocabulary.OWL, "rdf": vocabulary.RDF,
                            "rdfs": vocabulary.RDFS, "xsd": vocabulary.XSD, "skos": vocabulary.SKOS,
                            "dcterms": vocabulary.DCTERMS, "schema": vocabulary.SCHEMA, "biolink": vocabulary.BIOLINK,
                            "prov": vocabulary.PROV, "oboInOwl": vocabulary.OBOINOWL}.items():
        assert PREFIXES[name] == str(namespace)


def test_both_workers_implement_the_worker_protocol(worker: QueryWorker) -> None:
    from ketamine_kg.query.remote import RemoteWorker
    from ketamine_kg.query.worker import Worker

    assert isinstance(worker, Worker)
    assert isinstance(RemoteWorker("http://127.0.0.1:7878/query"), Worker)


def test_the_query_path_imports_no_rdflib_and_leaves_main_alone(tmp_path) -> None:
    # The worker is a fresh interpreter (python -m ketamine_kg.query.worker), not a spawn that swaps sys.modules;
    # and answering a named query needs neither rdflib, owlready2 nor pydantic in the command's process.
    import subprocess
    import sys

    from .conftest import ROOT

    script = (
        "import sys; main = sys.modules['__main__']\n"
        "from ketamine_kg.cli.main import main as cli\n"
        f"code = cli(['query', 'approved-uses', '--root', {str(ROOT)!r}])\n"
        "heavy = sorted(m for m in ('rdflib', 'owlready2', 'pydantic', 'curies', 'multiprocessing.spawn') if m in sys.modules)\n"
        "assert sys.modules['__main__'] is main\n"
        "print(code, heavy)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                          env={**__import__("os").environ, "PYTHONPATH": str(ROOT / "src")})
    assert done.stdout.strip().splitlines()[-1] == "0 []", done.stdout + done.stderr
