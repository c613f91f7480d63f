"""Untrusted SPARQL: writes, loads and outbound calls are refused before any engine sees them,
runaway queries are stopped at their time limit, big answers are cut, and a query that eats all
its memory kills only its worker. Every outbound-call test has a listener on 127.0.0.1 that would
record the connection, and a control test proves the listener sees one when the guard is skipped.
"""

from __future__ import annotations

import time
from pathlib import Path

import pyoxigraph as ox
import pytest

from ketamine_kg.query import engine
from ketamine_kg.cli.main import main
from ketamine_kg.query.engine import Limits, QueryWorker
from ketamine_kg.errors import QueryError, QueryRefused, QueryTimeout

from .support import Listener

ROOT = Path(__file__).resolve().parents[1]
SECRET = "KKG-SECRET-MARKER-7f3a9c"


@pytest.fixture()
def listener():
    lis = Listener()
    try:
        yield lis
    finally:
        lis.close()


def cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def run_file(text: str, tmp_path: Path, capsys, *extra: str) -> tuple[int, str, str]:
    path = tmp_path / "q.rq"
    path.write_text(text, encoding="utf-8")
    return cli(["query", "--file", str(path), "--root", str(ROOT), *extra], capsys)


def one_line(err: str) -> bool:
    return len(err.strip().splitlines()) == 1 and "Traceback" not in err


# -- updates -------------------------------------------------------------------------------------
UPDATES = [
    "INSERT DATA { <urn:a> <urn:b> <urn:c> }",
    "DELETE DATA { <urn:a> <urn:b> <urn:c> }",
    "DELETE WHERE { ?s ?p ?o }",
    "DELETE { ?s ?p ?o } INSERT { ?s ?p 1 } WHERE { ?s ?p ?o }",
    "WITH <urn:g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
    "INSERT { ?s ?p ?o } WHERE { ?s ?p ?o }",
    "LOAD <{url}data.ttl>",
    "LOAD SILENT <{url}data.ttl> INTO GRAPH <urn:g>",
    "CLEAR ALL",
    "CLEAR SILENT DEFAULT",
    "CLEAR GRAPH <urn:g>",
    "DROP ALL",
    "DROP SILENT NAMED",
    "CREATE GRAPH <urn:g>",
    "ADD DEFAULT TO <urn:g>",
    "MOVE <urn:g> TO DEFAULT",
    "COPY SILENT DEFAULT TO <urn:g>",
    "insert data { <urn:a> <urn:b> <urn:c> }",
    "PREFIX x: <urn:x#> # a comment\nInSeRt # between tokens\n DATA { x:a x:b x:c }",
    "SELECT * WHERE { ?s ?p ?o } ; INSERT DATA { <urn:a> <urn:b> <urn:c> }",
    "CLEAR\tALL",
]


@pytest.mark.parametrize("update", UPDATES)
def test_updates_are_refused_by_the_cli_and_the_worker(update: str, listener: Listener, worker: QueryWorker,
                                                       tmp_path: Path, capsys) -> None:
    text = update.replace("{url}", listener.url)
    code, out, err = run_file(text, tmp_path, capsys)
    assert code == 6, err
    assert one_line(err) and "refused" in err and out == ""
    with pytest.raises(QueryRefused, match="refused"):
        worker.run(text, None, Limits(timeout=5))
    assert listener.settle() == 0
    # The graph is unchanged: the worker still holds every triple it loaded.
    count = worker.run("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }").rows[0][0]
    assert int(count.value) == worker.triples


# -- outbound calls ------------------------------------------------------------------------------
SERVICE = [
    "SELECT * WHERE { SERVICE <{url}sparql> { ?s ?p ?o } }",
    "select * where { service <{url}sparql> { ?s ?p ?o } }",
    "SELECT * WHERE { SERVICE SILENT <{url}sparql> { ?s ?p ?o } }",
    "SELECT * WHERE { SERVICE#comment\n<{url}sparql> { ?s ?p ?o } }",
    "SELECT * WHERE { SERVICE\t\r\n  SILENT\n<{url}sparql> { ?s ?p ?o } }",
    "PREFIX e: <{url}> SELECT * WHERE { SeRvIcE e:sparql { ?s ?p ?o } }",
    "SELECT * WHERE { VALUES ?svc { <{url}sparql> } SERVICE ?svc { ?s ?p ?o } }",
    "SELECT * WHERE { BIND(<{url}sparql> AS ?svc) SERVICE ?svc { ?s ?p ?o } }",
    "SELECT * WHERE { ?x ?y ?z OPTIONAL { SERVICE <{url}sparql> { ?x ?p ?o } } } LIMIT 1",
    "SELECT * WHERE { { SELECT * WHERE { SERVICE <{url}sparql> { ?s ?p ?o } } } }",
    "ASK { SERVICE <{url}sparql> { ?s ?p ?o } }",
    "CONSTRUCT { ?s ?p ?o } WHERE { SERVICE <{url}sparql> { ?s ?p ?o } }",
    "DESCRIBE ?s WHERE { SERVICE <{url}sparql> { ?s ?p ?o } }",
    "SELECT * WHERE { ?s ?p ?o MINUS { SERVICE <{url}> { ?s ?p ?o } } }",
    "SELECT * WHERE { ?s ?p ?o FILTER EXISTS { SERVICE <{url}> { ?s ?p ?o } } }",
]


def test_the_listener_would_see_an_unguarded_service_call(listener: Listener) -> None:
    # Control: the engine itself does call out, so a zero below means the guard stopped it.
    store = ox.Store()
    with pytest.raises((OSError, RuntimeError, SyntaxError, ValueError)):
        list(store.query(SERVICE[0].replace("{url}", listener.url)))
    assert listener.settle() >= 1


@pytest.mark.parametrize("query", SERVICE)
def test_service_is_refused_and_never_called(query: str, listener: Listener, worker: QueryWorker,
                                             tmp_path: Path, capsys) -> None:
    text = query.replace("{url}", listener.url)
    code, out, err = run_file(text, tmp_path, capsys)
    assert code == 6 and one_line(err) and "SERVICE" in err, err
    with pytest.raises(QueryRefused, match="SERVICE"):
        worker.run(text, None, Limits(timeout=5))
    assert listener.settle() == 0


@pytest.fixture()
def secret(tmp_path: Path) -> Path:
    path = tmp_path / "secret.ttl"
    path.write_text(f'<urn:secret> <urn:is> "{SECRET}" .\n', encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }",
        "SELECT * FROM <{secret}> WHERE { ?s ?p ?o }",
        "SELECT * FROM NAMED <{secret}> WHERE { GRAPH ?g { ?s ?p ?o } }",
        "SELECT * FROM <{url}data.ttl> WHERE { ?s ?p ?o }",
        "SELECT * FROM NAMED <{url}data.ttl> WHERE { GRAPH ?g { ?s ?p ?o } }",
        "CONSTRUCT { ?s ?p ?o } FROM <{url}> WHERE { ?s ?p ?o }",
        "SELECT * WHERE { GRAPH <{url}> { ?s ?p ?o } }",
        # SPARQL's \\u escapes are not decoded outside strings: this is a syntax error, not a call.
        "SELECT * WHERE { \\u0053ERVICE <{url}> { ?s ?p ?o } }",
        "\\u0049NSERT DATA { <urn:a> <urn:b> <urn:c> }",
    ],
)
def test_dataset_clauses_read_no_file_and_call_no_address(query: str, listener: Listener, secret: Path,
                                                          tmp_path: Path, capsys) -> None:
    text = query.replace("{url}", listener.url).replace("{secret}", secret.as_uri())
    code, out, err = run_file(text, tmp_path, capsys, "--format", "csv")
    # FROM names a graph of the local store (there is none by that name), so the answer is
    # empty; a text the parser rejects is exit 5. Either way nothing is read or fetched.
    assert code in (0, 5, 6), err
    assert code == 0 or one_line(err)
    assert SECRET not in out + err and "root:" not in out + err
    assert len(out.strip().splitlines()) <= 1  # the header line only
    assert listener.settle() == 0


# -- runaway queries, row caps, memory -----------------------------------------------------------
@pytest.fixture(scope="module")
def big_graph(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """300,000 triples: 100,000 nodes, each linked to three others by two predicates."""
    path = tmp_path_factory.mktemp("big") / "big.nt"
    n = 100_000
    with path.open("w", encoding="utf-8") as out:
        for i in range(n):
            out.write(f"<urn:n{i}> <urn:p> <urn:n{(i + 1) % n}> .\n"
                      f"<urn:n{i}> <urn:q> <urn:n{(i * 7 + 3) % n}> .\n"
                      f'<urn:n{i}> <urn:label> "node {i}" .\n')
    return path


@pytest.fixture(scope="module")
def big_worker(big_graph: Path):
    with QueryWorker(big_graph) as w:
        yield w


PATH_QUERY = "SELECT (COUNT(*) AS ?n) WHERE { ?a (<urn:p>|!<urn:p>)* ?b }"
CARTESIAN = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def test_unbounded_property_path_is_stopped_by_the_cli(big_graph: Path, tmp_path: Path, capsys) -> None:
    started = time.monotonic()
    code, out, err = run_file(PATH_QUERY, tmp_path, capsys, "--graph", str(big_graph), "--timeout", "2")
    stopped_after = time.monotonic() - started
    assert code == 7, err
    assert one_line(err) and "2 s limit" in err and "stopped" in err
    assert out == ""
    print(f"runaway property path stopped {stopped_after:.1f} s after the command started (limit 2 s)")


@pytest.mark.parametrize("query", [PATH_QUERY, CARTESIAN])
def test_runaway_query_is_stopped_and_the_same_worker_answers_next(query: str, big_worker: QueryWorker) -> None:
    big_worker.run("ASK { ?s ?p ?o }")  # loaded, so the timing below is the query's alone
    started = time.monotonic()
    with pytest.raises(QueryTimeout, match="2 s limit and was stopped"):
        big_worker.run(query, None, Limits(timeout=2))
    print(f"stopped {time.monotonic() - started:.2f} s after it was sent (limit 2 s)")
    answer = big_worker.run("SELECT ?o WHERE { <urn:n5> <urn:label> ?o }", None, Limits(timeout=30))
    assert [r[0].value for r in answer.rows] == ["node 5"]


def test_results_past_the_row_cap_are_cut_with_a_note(big_graph: Path, tmp_path: Path, capsys) -> None:
    code, out, err = run_file("SELECT ?s ?o WHERE { ?s <urn:p> ?o }", tmp_path, capsys,
                              "--graph", str(big_graph), "--max-rows", "25", "--format", "csv")
    assert code == 0
    assert len(out.strip().splitlines()) == 26  # header + 25 rows
    assert "results cut at 25 rows" in err and one_line(err)


def test_row_cap_on_the_worker(big_worker: QueryWorker) -> None:
    result = big_worker.run("CONSTRUCT WHERE { ?s <urn:q> ?o }", None, Limits(max_rows=1000))
    assert len(result.rows) == 1000 and result.truncated


MEMORY_HOG = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?a ?f LIMIT 1"


def test_a_query_that_exhausts_memory_kills_only_its_worker(monkeypatch, layout) -> None:
    monkeypatch.setattr(engine, "WORKER_MEMORY_BYTES", 512 * 1024**2)
    with QueryWorker(layout.graph_file("nt")) as w:
        assert w.run("ASK { ?s ?p ?o }").boolean
        with pytest.raises(QueryError, match="out of memory") as caught:
            w.run(MEMORY_HOG, None, Limits(timeout=60))
        assert not isinstance(caught.value, QueryTimeout)
        assert w.run("ASK { ?s ?p ?o }").boolean  # a fresh worker took its place


def test_memory_exhaustion_through_the_cli_is_one_line(monkeypatch, tmp_path: Path, capfd) -> None:
    monkeypatch.setattr(engine, "WORKER_MEMORY_BYTES", 512 * 1024**2)
    path = tmp_path / "hog.rq"
    path.write_text(MEMORY_HOG, encoding="utf-8")
    code = main(["query", "--file", str(path), "--root", str(ROOT), "--timeout", "60"])
    out, err = capfd.readouterr()  # file-descriptor level: catches the worker's own stderr too
    assert code == 5
    assert one_line(err) and "out of memory" in err, err
