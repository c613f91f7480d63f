"""Real SPARQL servers on 127.0.0.1: load the graph, ask every named query, compare with the embedded store.

An Oxigraph server (the ``oxigraph`` binary from PyPI) is started on a free port in a temporary
folder for each group of tests and stopped after; Virtuoso is used too where it is installed.
"""

from __future__ import annotations

import http.server
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from ketamine_kg.query.catalogue import NamedQuery, load_catalogue
from ketamine_kg.cli.main import main
from ketamine_kg.query.engine import Limits
from ketamine_kg.errors import EndpointError
from ketamine_kg.query.remote import DEFAULT_GRAPH, Endpoint, RemoteWorker, count_triples
from ketamine_kg.query.results import QueryResult, Term, compact
from ketamine_kg.server.process import oxigraph_binary, stop_process

from .conftest import ROOT

# Found the way `ketamine-kg serve` finds it (beside the interpreter first, then on PATH), so these tests
# run in a venv that is not activated, as the command does.
OXIGRAPH = oxigraph_binary()
pytestmark = [
    pytest.mark.server,
    pytest.mark.skipif(OXIGRAPH is None, reason="the oxigraph server binary is not installed (pip install oxigraph)"),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the server exited at start"
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nothing listening on {port}")


def start_oxigraph(location: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen([OXIGRAPH, "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}"],  # type: ignore[list-item]
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, proc)
    except BaseException:
        stop_process(proc)
        raise
    return proc, f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def oxigraph(tmp_path_factory) -> Iterator[str]:
    """A read-write Oxigraph server with the graph loaded by ``ketamine-kg load``; its root URL."""
    proc, url = start_oxigraph(tmp_path_factory.mktemp("oxigraph") / "store")
    try:
        assert main(["load", "--endpoint", url]) == 0
        yield url
    finally:
        stop_process(proc)


# --- comparing answers -------------------------------------------------------------------------------

def _cell(term: Term | None) -> object:
    if term is None:
        return None
    return ("bnode",) if term.kind == "bnode" else term  # blank-node labels differ between stores


def _order_keys(query: str, variables: list[str]) -> list[str]:
    """The leading ORDER BY keys that are projected variables (ties beyond them may be in any order)."""
    match = re.search(r"ORDER\s+BY\s+(.*?)(?:\bLIMIT\b|\bOFFSET\b|$)", query, re.S | re.I)
    keys: list[str] = []
    if match:
        for key in re.findall(r"(?:ASC|DESC)?\(?\s*\?(\w+)\s*\)?|\S+", match.group(1)):
            if not key or key not in variables:
                break
            keys.append(key)
    return keys


def assert_same_answer(query: str, embedded: QueryResult, remote: QueryResult, label: str, *, order: bool = True) -> None:
    assert remote.kind == embedded.kind, label
    assert remote.variables == embedded.variables, label
    assert remote.boolean == embedded.boolean, label
    assert not remote.truncated and not embedded.truncated, label
    rows_e = [tuple(map(_cell, r)) for r in embedded.rows]
    rows_r = [tuple(map(_cell, r)) for r in remote.rows]
    assert Counter(rows_r) == Counter(rows_e), label  # the same rows, as multisets of terms
    keys = _order_keys(query, embedded.variables)
    if order and keys and embedded.kind == "select":
        index = [embedded.variables.index(k) for k in keys]
        assert [tuple(r[i] for i in index) for r in rows_r] == [tuple(r[i] for i in index) for r in rows_e], label


def parameter_values(worker, query: NamedQuery) -> list[dict[str, str]]:
    """Each parameter's default, every member of its class, and an IRI that is in no graph."""
    cases: list[dict[str, str]] = [{}]
    for p in query.parameters:
        values = ["kkr:no-such-thing"]
        if p.choices_class:
            members = worker.run(f"SELECT DISTINCT ?x WHERE {{ ?x a {p.choices_class} }} ORDER BY ?x").column("x")
            values += members
        else:
            values += ["kkr:esketamine-nasal-spray", "kkr:treatment-resistant-depression", "kk:Drug"]
        cases += [{p.name: v} for v in values]
    return cases


CATALOGUE = load_catalogue(Path(__file__).resolve().parents[1] / "queries")


def compare_all(worker, remote: RemoteWorker, *, order: bool = True) -> int:
    compared = 0
    for query in CATALOGUE.values():
        for params in parameter_values(worker, query):
            bindings = query.bindings(params)
            embedded = worker.run(query.text, bindings)
            answer = remote.run(query.text, bindings)
            assert_same_answer(query.text, embedded, answer, f"{query.name} {params}", order=order)
            compared += 1
    return compared


# --- Oxigraph ---------------------------------------------------------------------------------------

def test_every_named_query_gives_the_embedded_answers(oxigraph: str, worker) -> None:
    compared = compare_all(worker, RemoteWorker(oxigraph + "/query"))
    assert compared > len(CATALOGUE)  # defaults plus other parameter values


def test_the_command_line_prints_the_same_as_the_embedded_store(oxigraph: str, capsys) -> None:
    for args in (["risks-of-drug", "-p", "drug=ketamine"], ["entity-neighbourhood", "--format", "ntriples"],
                 ["claims-for-drug", "--format", "csv"]):  # each fully ordered (or N-Triples, sorted)
        assert main(["query", *args]) == 0
        embedded = capsys.readouterr().out
        assert main(["query", *args, "--endpoint", oxigraph]) == 0
        assert capsys.readouterr().out == embedded


def test_loading_twice_leaves_one_copy(oxigraph: str, layout) -> None:
    endpoint = Endpoint.parse(oxigraph)
    expected = count_triples(endpoint, DEFAULT_GRAPH, 10)
    assert expected > 1000
    assert main(["load", "--endpoint", oxigraph]) == 0
    assert main(["load", "--endpoint", oxigraph + "/query", "--protocol", "update"]) == 0
    assert count_triples(endpoint, DEFAULT_GRAPH, 10) == expected
    graphs = RemoteWorker(oxigraph, "default").run(
        "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
    assert [(compact(g), int(n.value)) for g, n in graphs.rows] == [(DEFAULT_GRAPH, expected)]  # no staging left


def test_another_named_graph_is_loaded_and_queried_apart(oxigraph: str, capsys) -> None:
    other = "https://example.org/ketamine-kg-copy"
    assert main(["load", "--endpoint", oxigraph, "--graph", other]) == 0
    assert f"<{other}>" in capsys.readouterr().out
    assert main(["query", "graph-statistics", "--endpoint", oxigraph, "--graph", other, "--format", "csv"]) == 0
    assert "triples," in capsys.readouterr().out
    assert main(["query", "graph-statistics", "--endpoint", oxigraph, "--graph", "https://example.org/empty",
                 "--format", "csv"]) == 0
    assert "triples,0" in capsys.readouterr().out


def test_a_server_killed_mid_query_is_a_clear_error(tmp_path: Path, layout) -> None:
    proc, url = start_oxigraph(tmp_path / "store")
    try:
        assert main(["load", "--endpoint", url]) == 0
        outcome: list[BaseException] = []

        def ask() -> None:
            try:
                RemoteWorker(url).run("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }",
                                      None, Limits(timeout=20))
            except BaseException as exc:  # noqa: BLE001 - recorded for the assertion
                outcome.append(exc)

        thread = threading.Thread(target=ask)
        thread.start()
        time.sleep(0.7)
        proc.kill()
        thread.join(20)
        assert outcome and isinstance(outcome[0], EndpointError), outcome
        assert "closed the connection" in str(outcome[0])
    finally:
        stop_process(proc)
    assert main(["query", "approved-uses", "--endpoint", url]) == 8  # and now it is unreachable


# --- ketamine-kg serve --------------------------------------------------------------------------------

class Listener:
    """An HTTP server on 127.0.0.1 that records every request it receives."""

    def __init__(self) -> None:
        hits = self.hits = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                hits.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "application/sparql-results+json")
                self.end_headers()
                self.wfile.write(b'{"head":{"vars":[]},"results":{"bindings":[{}]}}')

            do_POST = do_GET

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sparql"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def run_serve(args: list[str], env: dict[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "ketamine_kg", "serve", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)


def processes_mentioning(text: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if text in (entry / "cmdline").read_bytes().decode("utf-8", "replace"):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[tuple[str, subprocess.Popen, Path]]:
    location = tmp_path_factory.mktemp("serve") / "store"
    port = free_port()
    proc = run_serve(["--port", str(port), "--timeout-s", "2", "--location", str(location)])
    try:
        line = proc.stdout.readline()  # type: ignore[union-attr]
        assert f"http://127.0.0.1:{port}/query" in line, line + proc.stderr.read()  # type: ignore[union-attr]
        yield f"http://127.0.0.1:{port}/query", proc, location
    finally:
        stop_process(proc)


def post(url: str, data: dict[str, str]) -> tuple[int, str]:
    request = urllib.request.Request(url, data=urllib.parse.urlencode(data).encode(),
                                     headers={"Accept": "application/sparql-results+json"})
    try:
        with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_serve_answers_the_named_queries(served, worker) -> None:
    url, _proc, _location = served
    remote = RemoteWorker(url)
    for name in ("approved-uses", "risks-of-drug", "sources-for-condition", "entity-neighbourhood", "graph-statistics"):
        query = CATALOGUE[name]
        assert_same_answer(query.text, worker.run(query.text, query.bindings()), remote.run(query.text, query.bindings()), name)
    # A generic SPARQL client, without default-graph-uri, sees the graph as the default graph.
    status, body = post(url, {"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"})
    assert status == 200 and '"value":"0"' not in body
    # SPARQL protocol GET is guarded the same way as POST.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url + "?" + urllib.parse.urlencode({"query": "ASK { ?s ?p ?o }"}), timeout=10) as response:
        assert b"true" in response.read()
    with pytest.raises(urllib.error.HTTPError) as refused:
        opener.open(url + "?" + urllib.parse.urlencode({"query": "SELECT * { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }"}),
                    timeout=10)
    assert refused.value.code == 400


def test_the_viewer_reads_from_the_endpoint_when_told(served, monkeypatch, layout) -> None:
    from ketamine_kg.viewer import data

    url, _proc, _location = served
    path = str(layout.graph_file("nt"))
    entities = ("kkr:esketamine-nasal-spray", "kkr:approval-fda-spravato-trd", "kkr:treatment-resistant-depression")

    def details() -> list:
        data.get_worker.clear()
        data.entity_details.clear()
        return [data.entity_details(path, e) for e in entities]

    monkeypatch.delenv("KETAMINE_KG_ENDPOINT", raising=False)
    try:
        embedded = details()
        monkeypatch.setenv("KETAMINE_KG_ENDPOINT", url)
        remote = details()
        assert isinstance(data.get_worker(path), RemoteWorker)
    finally:
        data.get_worker.clear()
        data.entity_details.clear()
    assert all(d is not None for d in embedded) and any(d.sources for d in embedded)
    assert remote == embedded  # the detail panel's bound queries give the same answers


def test_serve_refuses_updates_and_service_and_calls_nobody(served) -> None:
    url, _proc, _location = served
    listener = Listener()
    try:
        for target, data in [
            (url, {"query": f"SELECT * WHERE {{ SERVICE <{listener.url}> {{ ?s ?p ?o }} }}"}),
            (url, {"query": f"SELECT * WHERE {{ ?s ?p ?o . SERVICE SILENT <{listener.url}> {{ ?s ?p ?x }} }} LIMIT 1"}),
            (url, {"update": "INSERT DATA { <http://e/a> <http://e/b> <http://e/c> }"}),
            (url, {"query": "INSERT DATA { <http://e/a> <http://e/b> <http://e/c> }"}),
            (url, {"query": f"LOAD <{listener.url}>"}),
            (url.replace("/query", "/update"), {"update": "DROP ALL"}),
        ]:
            status, body = post(target, data)
            assert status == 400, (data, status, body)
            assert "refused" in body and "\n" == body[-1] and body.count("\n") == 1
        time.sleep(0.2)
        assert listener.hits == []
    finally:
        listener.close()
    status, body = post(url, {"query": "ASK { <http://e/a> <http://e/b> <http://e/c> }"})
    assert status == 200 and "false" in body  # the update did not happen


def test_a_query_past_the_servers_time_limit_exits_7(served, tmp_path: Path, capsys) -> None:
    url, _proc, _location = served
    heavy = tmp_path / "heavy.rq"
    heavy.write_text("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }")
    assert main(["query", "--file", str(heavy), "--endpoint", url, "--timeout", "20"]) == 7
    err = capsys.readouterr().err
    assert "time limit" in err and err.count("\n") == 1
    # A query that streams past the limit is cut and reported the same way, never shown in part.
    streaming = tmp_path / "streaming.rq"
    streaming.write_text("SELECT * WHERE { ?a ?b ?c . ?d ?e ?f }")
    assert main(["query", "--file", str(streaming), "--endpoint", url, "--timeout", "20", "--max-rows", "5"]) == 7
    assert "time limit" in capsys.readouterr().err
    # The overrunning query was stopped (Oxigraph restarted behind the proxy); the server still answers.
    assert main(["query", "approved-uses", "--endpoint", url, "--format", "csv"]) == 0


def test_serve_stops_cleanly_on_ctrl_c(served) -> None:
    # Runs last in this module's serve group: it stops the shared server.
    url, proc, location = served
    assert processes_mentioning(str(location))  # oxigraph is running on that store
    proc.send_signal(signal.SIGINT)
    assert proc.wait(15) == 0
    assert "stopped" in proc.stdout.read()  # type: ignore[union-attr]
    assert "Traceback" not in proc.stderr.read()  # type: ignore[union-attr]
    time.sleep(0.2)
    assert processes_mentioning(str(location)) == []  # and so is the Oxigraph server


def test_serve_on_a_busy_port_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        proc = run_serve(["--port", str(busy.getsockname()[1]), "--location", str(tmp_path / "s")])
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 8
    assert err.count("\n") == 1 and "port busy" in err


def test_serve_without_the_binary_is_one_line(tmp_path: Path) -> None:
    # An interpreter with no oxigraph beside it and none on PATH: serve looks in both places, so the
    # binary is really missing. The fresh venv sees this environment's packages and the project's
    # source through a .pth file (a `--system-site-packages` venv would see the base interpreter's
    # packages instead, which lack the project when this run is itself in a venv).
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    inner = subprocess.run([str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                           capture_output=True, text=True, check=True).stdout.strip()
    outer = dict.fromkeys([str(ROOT / "src"), sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    (Path(inner) / "outer-environment.pth").write_text("\n".join(outer) + "\n", encoding="utf-8")
    assert not (venv / "bin" / "oxigraph").exists()
    env = {**os.environ, "PATH": "/nonexistent"}  # the interpreter is called by its full path
    proc = subprocess.Popen([str(venv / "bin" / "python"), "-m", "ketamine_kg", "serve", "--port", str(free_port())],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2, err
    assert err.count("\n") == 1 and "oxigraph" in err


# --- Virtuoso, where installed -----------------------------------------------------------------------

VIRTUOSO = shutil.which("virtuoso-t")


@pytest.mark.skipif(VIRTUOSO is None, reason="Virtuoso (virtuoso-t) is not installed; the same comparison runs on Oxigraph")
def test_virtuoso_gives_the_embedded_answers(tmp_path: Path, worker, layout) -> None:  # pragma: no cover - needs Virtuoso
    port, http_port = free_port(), free_port()
    ini = tmp_path / "virtuoso.ini"
    ini.write_text(
        f"[Database]\nDatabaseFile={tmp_path}/v.db\nTransactionFile={tmp_path}/v.trx\nErrorLogFile={tmp_path}/v.log\n"
        f"xa_persistent_file={tmp_path}/v.pxa\n[Parameters]\nServerPort=127.0.0.1:{port}\nDirsAllowed=.,{tmp_path}\n"
        f"[HTTPServer]\nServerPort=127.0.0.1:{http_port}\nServerRoot={tmp_path}\n[SPARQL]\nResultSetMaxRows=10000\n"
    )
    proc = subprocess.Popen([VIRTUOSO, "+foreground", "+configfile", str(ini)], cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(http_port, proc, 60)
        # A fresh Virtuoso lets the anonymous SPARQL user read only; grant it updates (a throwaway
        # database with the default dba password, on 127.0.0.1) so the Graph Store protocol can load.
        isql = shutil.which("isql-vt") or shutil.which("isql")
        assert isql, "Virtuoso's isql client is missing"
        grant = subprocess.run([isql, f"127.0.0.1:{port}", "dba", "dba", 'exec=GRANT SPARQL_UPDATE TO "SPARQL";'],
                               capture_output=True, text=True, timeout=60)
        assert grant.returncode == 0, grant.stdout + grant.stderr
        url = f"http://127.0.0.1:{http_port}/sparql"
        # Virtuoso 7 refuses blank nodes in INSERT DATA, so the Graph Store protocol it is.
        assert main(["load", "--endpoint", url, "--gsp-url", f"http://127.0.0.1:{http_port}/sparql-graph-crud"]) == 0
        assert main(["load", "--endpoint", url, "--gsp-url", f"http://127.0.0.1:{http_port}/sparql-graph-crud"]) == 0
        # Virtuoso's collation orders "x with y" before "x" where Oxigraph does not, so ORDER BY
        # ties are not compared here: the same rows, as multisets.
        compared = compare_all(worker, RemoteWorker(url), order=False)
        assert compared > len(CATALOGUE)
        shipped = sum(1 for line in layout.graph_file("nt").read_text(encoding="utf-8").splitlines() if line.strip())
        assert count_triples(Endpoint.parse(url), DEFAULT_GRAPH, 10) == shipped  # loaded twice, one copy
    finally:
        stop_process(proc)


def test_serve_finds_the_oxigraph_binary_beside_an_unactivated_interpreter(monkeypatch) -> None:
    """A venv that is not activated (or pipx) has the binary beside its python, not on PATH."""
    from ketamine_kg.server.process import oxigraph_binary

    monkeypatch.setenv("PATH", "/nonexistent")
    found = oxigraph_binary()
    assert found is not None and Path(found).name == "oxigraph"
    beside = (Path(sys.executable).parent, Path(sysconfig.get_path("scripts")))
    assert Path(found).parent in beside
