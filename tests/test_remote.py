"""The SPARQL server client without a real server: term writing, parameter binding, and how cut,
failing or unreachable servers are reported (a stub HTTP server on 127.0.0.1 plays the server)."""

from __future__ import annotations

import http.server
import json
import socket
import threading
import urllib.parse
from collections.abc import Callable, Iterator

import pyoxigraph as ox
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ketamine_kg.query.catalogue import load_catalogue
from ketamine_kg.cli.main import main
from ketamine_kg.query.engine import Limits
from ketamine_kg.errors import EndpointError, QueryError, QueryRefused, QueryTimeout, UsageError
from ketamine_kg.query.remote import (
    DEFAULT_GRAPH,
    Endpoint,
    RemoteWorker,
    check_prebinding,
    parse_results_json,
    prebind,
    sparql_term,
)
from ketamine_kg.server.load import load_graph
from ketamine_kg.query.results import Term

XSD = "http://www.w3.org/2001/XMLSchema#"


# --- a stub server ------------------------------------------------------------------------------

class Stub:
    """Records requests; ``reply(handler, method, params, body)`` answers each one."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, dict[str, list[str]], bytes]] = []
        self.reply: Callable[..., None] = lambda h, *a: send(h, 200, b"{}")
        self.url = ""


def send(handler: http.server.BaseHTTPRequestHandler, status: int, body: bytes,
         ctype: str = "application/sparql-results+json", length: int | None = None, server: str | None = None) -> None:
    if server:
        handler.server_version, handler.sys_version = server, ""
    handler.send_response(status)
    handler.send_header("Content-Type", ctype)
    handler.send_header("Content-Length", str(len(body) if length is None else length))
    handler.end_headers()
    handler.wfile.write(body)


def select_json(variables: list[str], rows: list[dict[str, dict[str, str]]]) -> bytes:
    return json.dumps({"head": {"vars": variables}, "results": {"bindings": rows}}).encode()


@pytest.fixture()
def stub() -> Iterator[Stub]:
    state = Stub()

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            params = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
            if self.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
                params.update(urllib.parse.parse_qs(body.decode()))
            state.requests.append((self.command, self.path, params, body))
            try:
                state.reply(self, self.command, params, body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up first (the timeout tests)

        do_GET = do_POST = do_PUT = do_DELETE = _handle

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/sparql"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- writing terms ------------------------------------------------------------------------------

NASTY = [
    'plain', 'say "hi"', "back\\slash", "line\nbreak\r\n", "tab\tand\bbell\x07", 'quote" } ; DROP ALL #',
    "\\u0022 } INSERT DATA { <a:a> <a:a> <a:a> } #", "\\U00000022", "é ü 中文 \u2028 \U0001F600", "'single'",
    '"""triple"""', "\\", 'ends with backslash\\', "> <http://evil/>",
]


@pytest.mark.parametrize("value", NASTY)
def test_literal_parameters_reach_the_engine_unchanged(value: str) -> None:
    # Whatever a user types is one literal, equal to what they typed, in two different parsers.
    text = f"SELECT ?x WHERE {{ VALUES (?x) {{ ({sparql_term(Term.literal(value, XSD + 'string'))}) }} }}"
    [row] = list(ox.Store().query(text))
    assert row["x"].value == value
    from rdflib import Graph

    [(got,)] = list(Graph().query(text))
    assert str(got) == value


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40))
def test_any_string_round_trips(value: str) -> None:
    text = f"SELECT ?x WHERE {{ VALUES (?x) {{ ({sparql_term(Term.literal(value))}) }} }}"
    [row] = list(ox.Store().query(text))
    assert row["x"].value == value


def test_typed_and_language_literals_keep_their_type() -> None:
    assert sparql_term(Term.literal("5", XSD + "integer")) == f'"5"^^<{XSD}integer>'
    assert sparql_term(Term.literal("x", language="en-GB")) == '"x"@en-GB'


@pytest.mark.parametrize("term", [
    Term.iri("http://example.org/a>b"), Term.iri("http://example.org/a b"), Term.iri("no-scheme"),
    Term.iri("http://example.org/{x}"), Term.literal("x", language="en us"),
    Term.literal("x", "http://example.org/bad>type"), Term("bnode", "b0"), Term.literal("nul\x00"),
])
def test_unsafe_terms_are_refused(term: Term) -> None:
    with pytest.raises(UsageError):
        sparql_term(term)


# --- binding parameters ---------------------------------------------------------------------------

def test_every_named_query_with_parameters_can_be_bound_remotely(layout) -> None:
    # The proof obligation of check_prebinding, for each named query and parameter.
    with_params = [q for q in load_catalogue(layout.queries).values() if q.parameters]
    assert with_params
    for q in with_params:
        check_prebinding(prebind(q.text, None), tuple(sorted(p.name for p in q.parameters)))


@pytest.mark.parametrize("query, reason", [
    ("SELECT ?x WHERE { ?x ?p ?o FILTER(?o = ?v) }", "without always binding"),
    ("SELECT ?x WHERE { ?x ?p ?o OPTIONAL { ?o ?q ?v } }", "without always binding"),
    ("SELECT ?x WHERE { { ?x ?p ?v } UNION { ?x ?p ?o } }", "without always binding"),
    ("SELECT ?x WHERE { ?x ?p ?o { SELECT ?v WHERE { ?v ?p ?o } } }", "subquery"),
    ("SELECT ?x WHERE { ?x ?p ?v { SELECT ?v WHERE { ?v ?p ?o } } }", "subquery"),
    ("SELECT ?x WHERE { VALUES ?v { 1 } ?x ?p ?v }", "inline VALUES"),
    ("SELECT ?x WHERE { ?x ?p ?v MINUS { ?v ?q ?x } }", "MINUS"),
    ("SELECT ?x WHERE { ?x ?p ?o BIND(?o AS ?v) }", "BIND"),
    ("SELECT ?x WHERE { ?v rdfs:subClassOf* ?x }", "length zero"),
    ("SELECT ?x WHERE { GRAPH ?v { ?x ?p ?o } }", "GRAPH"),
    ("SELECT ?x WHERE { ?x ?p ?o }", "does not use it"),
])
def test_bindings_that_would_change_the_answer_are_refused(query: str, reason: str) -> None:
    with pytest.raises(QueryError, match=reason):
        prebind(query, {"v": Term.iri("https://w3id.org/ketamine-kg/resource/ketamine")})


def test_bound_query_declares_prefixes_and_puts_values_in_the_where_clause() -> None:
    text = prebind("CONSTRUCT { ?e ?p ?o } WHERE { ?e ?p ?o . ?e a kk:Drug }",
                   {"e": Term.iri("https://w3id.org/ketamine-kg/resource/ketamine")})
    assert "PREFIX kk: <https://w3id.org/ketamine-kg/ontology#>" in text
    assert "WHERE {\n  VALUES (?e) { (<https://w3id.org/ketamine-kg/resource/ketamine>) }" in text
    ox.Store().query(text)  # and it parses


def test_a_query_without_where_cannot_take_parameters() -> None:
    with pytest.raises(QueryError, match="WHERE"):
        prebind("SELECT ?v { ?v ?p ?o }", {"v": Term.iri("http://example.org/x")})


# --- endpoints ------------------------------------------------------------------------------------

@pytest.mark.parametrize("url", ["ftp://127.0.0.1/sparql", "file:///etc/passwd", "127.0.0.1:7878", "http://", "http:///x",
                                 "http://127.0.0.1:notaport/q", "javascript:alert(1)"])
def test_only_http_urls_are_endpoints(url: str) -> None:
    with pytest.raises(UsageError, match="endpoint"):
        Endpoint.parse(url)


def test_oxigraph_urls_are_derived_from_its_root_or_query_url() -> None:
    for url in ("http://127.0.0.1:7878", "http://127.0.0.1:7878/", "http://127.0.0.1:7878/query"):
        assert Endpoint.parse(url) == Endpoint("http://127.0.0.1:7878/query", "http://127.0.0.1:7878/update",
                                               "http://127.0.0.1:7878/store")
    fuseki = Endpoint.parse("http://127.0.0.1:3030/ds")
    assert fuseki.query == fuseki.update == fuseki.gsp == "http://127.0.0.1:3030/ds"


# --- answers, cut answers, failures ---------------------------------------------------------------

def test_a_result_is_parsed_into_the_embedded_stores_terms(stub: Stub) -> None:
    rows = [{"x": {"type": "uri", "value": "http://example.org/a"}, "y": {"type": "literal", "value": "plain"}},
            {"y": {"type": "literal", "value": "hi", "xml:lang": "en"}},
            {"y": {"type": "literal", "value": "3", "datatype": XSD + "integer"}}]
    stub.reply = lambda h, *a: send(h, 200, select_json(["x", "y"], rows))
    result = RemoteWorker(stub.url).run("SELECT ?x ?y WHERE { ?x ?p ?y }")
    assert result.rows == [
        (Term.iri("http://example.org/a"), Term.literal("plain", XSD + "string")),
        (None, Term.literal("hi", "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString", "en")),
        (None, Term.literal("3", XSD + "integer")),
    ]
    [(method, _path, params, _body)] = stub.requests
    assert method == "POST" and params["default-graph-uri"] == [DEFAULT_GRAPH]


def test_parameters_are_sent_as_values_not_pasted(stub: Stub) -> None:
    stub.reply = lambda h, *a: send(h, 200, select_json(["x"], []))
    evil = 'x" } } ; DROP ALL ; SELECT * { "'
    RemoteWorker(stub.url).run("SELECT ?x WHERE { ?x rdfs:label ?label }", {"label": Term.literal(evil)})
    sent = stub.requests[0][2]["query"][0]
    assert 'VALUES (?label) { ("x\\" } } ; DROP ALL ; SELECT * { \\"") }' in sent


@pytest.mark.parametrize("query", [
    "INSERT DATA { <a:a> <a:a> <a:a> }", "DROP ALL", "LOAD <http://127.0.0.1:1/x>",
    "SELECT * WHERE { SERVICE <http://127.0.0.1:1/> { ?s ?p ?o } }",
])
def test_the_read_only_guard_runs_before_anything_is_sent(stub: Stub, query: str) -> None:
    with pytest.raises(QueryRefused):
        RemoteWorker(stub.url).run(query)
    assert stub.requests == []


@pytest.mark.parametrize("body", [
    b'{"head":{"vars":["s"]},"results":{"bindings":[{"s":{"type":"uri","value":"http://e/a"}},',
    b'{"head":{"vars":["s"]},"results":{"bindings":[',
    b'{"head":{"vars":["s"]}}',
    b'{"head":{"vars":["s"]},"results":{}}',
    b'',
])
def test_a_cut_answer_is_an_error_never_a_shorter_table(stub: Stub, body: bytes) -> None:
    stub.reply = lambda h, *a: send(h, 200, body)
    with pytest.raises(EndpointError, match="part-way|incomplete"):
        RemoteWorker(stub.url).run("SELECT ?s WHERE { ?s ?p ?o }")


def test_oxigraphs_timeout_answer_is_a_timeout(stub: Stub) -> None:
    # What Oxigraph's server sends when --timeout-s stops a query: 200, then a message mid-JSON.
    body = b'{"head":{"vars":["n"]},"results":{"bindings":[The SPARQL operation has been cancelled'
    stub.reply = lambda h, *a: send(h, 200, body)
    with pytest.raises(QueryTimeout, match="time limit"):
        RemoteWorker(stub.url).run("SELECT ?n WHERE { ?s ?p ?n }")
    code = main(["query", "--file", "/dev/null", "--endpoint", stub.url])  # empty file: usage error first
    assert code == 2


def test_cut_ntriples_is_an_error(stub: Stub) -> None:
    stub.reply = lambda h, *a: send(h, 200, b"<http://e/a> <http://e/b> <http://e/c> .\n<http://e/a> <http://e/b> \"cut",
                                    "application/n-triples")
    with pytest.raises(EndpointError, match="part-way"):
        RemoteWorker(stub.url).run("CONSTRUCT WHERE { ?s ?p ?o }")


def test_a_connection_closed_mid_answer_is_reported(stub: Stub) -> None:
    # The server promises 10,000 bytes and dies after 30: a killed server, seen by the client.
    stub.reply = lambda h, *a: send(h, 200, b'{"head":{"vars":["s"]},"results"', length=10_000)
    with pytest.raises(EndpointError, match="closed the connection"):
        RemoteWorker(stub.url).run("SELECT ?s WHERE { ?s ?p ?o }")


def test_http_errors_are_one_line_with_the_servers_reason(stub: Stub, capsys) -> None:
    stub.reply = lambda h, *a: send(h, 500, b"Parse error:\n  unexpected token\n", "text/plain")
    with pytest.raises(EndpointError, match=r"HTTP 500: Parse error: unexpected token"):
        RemoteWorker(stub.url).run("SELECT ?s WHERE { ?s ?p ?o }")
    assert main(["query", "approved-uses", "--endpoint", stub.url]) == 8
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "HTTP 500" in err and "Traceback" not in err


def test_a_non_sparql_answer_is_named(stub: Stub) -> None:
    stub.reply = lambda h, *a: send(h, 200, b"<html></html>", "text/html")
    with pytest.raises(EndpointError, match="text/html"):
        RemoteWorker(stub.url).run("SELECT ?s WHERE { ?s ?p ?o }")


def test_unreachable_server_exits_8(capsys) -> None:
    url = f"http://127.0.0.1:{free_port()}/query"
    assert main(["query", "approved-uses", "--endpoint", url]) == 8
    err = capsys.readouterr().err
    assert "connection refused" in err and err.count("\n") == 1


def test_bad_url_exits_2(capsys) -> None:
    assert main(["query", "approved-uses", "--endpoint", "ftp://127.0.0.1/x"]) == 2
    assert "http://" in capsys.readouterr().err


def test_a_slow_server_is_abandoned_at_the_time_limit(stub: Stub, capsys) -> None:
    release = threading.Event()

    def slow(handler, *args):
        release.wait(10)
        send(handler, 200, select_json(["s"], []))

    stub.reply = slow
    try:
        with pytest.raises(QueryTimeout):
            RemoteWorker(stub.url).run("SELECT ?s WHERE { ?s ?p ?o }", None, Limits(timeout=0.3))
        assert main(["query", "approved-uses", "--endpoint", stub.url, "--timeout", "0.3"]) == 7
    finally:
        release.set()


def test_rows_past_the_cap_are_cut_and_marked(stub: Stub) -> None:
    rows = [{"s": {"type": "literal", "value": str(i)}} for i in range(50)]
    stub.reply = lambda h, *a: send(h, 200, select_json(["s"], rows))
    result = RemoteWorker(stub.url).run("SELECT ?s WHERE { ?s ?p ?o }", None, Limits(max_rows=10))
    assert len(result.rows) == 10 and result.truncated and result.warning is None


def test_exactly_ten_thousand_rows_warn_that_the_server_may_have_cut(stub: Stub, capsys) -> None:
    rows = [{"s": {"type": "literal", "value": str(i)}} for i in range(10_000)]
    body = select_json(["s"], rows)
    stub.reply = lambda h, *a: send(h, 200, body, server="Virtuoso/07.20.3238 (Linux) x86_64")
    result = RemoteWorker(stub.url).run("SELECT ?s WHERE { ?s ?p ?o } LIMIT 20000", None, Limits(max_rows=50_000))
    assert result.truncated and "Virtuoso" in (result.warning or "")
    stub.reply = lambda h, *a: send(h, 200, body)
    assert main(["query", "--file", str(_query_file(capsys, "SELECT ?s WHERE { ?s ?p ?o }")), "--endpoint", stub.url,
                 "--format", "csv", "--max-rows", "20000"]) == 0
    assert "may be cut" in capsys.readouterr().err
    fewer = RemoteWorker(stub.url).run("SELECT ?s WHERE { ?s ?p ?o } LIMIT 10000", None, Limits(max_rows=50_000))
    assert fewer.warning is None and not fewer.truncated  # exactly what LIMIT asked for


def _query_file(capsys, text: str):
    import tempfile
    from pathlib import Path

    path = Path(tempfile.mkdtemp()) / "q.rq"
    path.write_text(text)
    return path


def test_parse_results_json_takes_ask() -> None:
    assert parse_results_json(b'{"head":{},"boolean":true}').boolean is True
    with pytest.raises(EndpointError):
        parse_results_json(b'{"head":{},"boolean":"yes"}')


# --- loading -------------------------------------------------------------------------------------

def test_a_short_load_is_reported_and_the_target_is_never_replaced(stub: Stub, layout, capsys) -> None:
    # The server accepts the upload but then holds fewer triples than were sent.
    def reply(handler, method, params, body):
        if method == "PUT":
            send(handler, 204, b"", "text/plain")
        elif method == "DELETE":
            send(handler, 204, b"", "text/plain")
        elif "query" in params:
            send(handler, 200, select_json(["n"], [{"n": {"type": "literal", "value": "17", "datatype": XSD + "integer"}}]))
        else:
            send(handler, 204, b"", "text/plain")

    stub.reply = reply
    code = main(["load", "--endpoint", stub.url])
    err = capsys.readouterr().err
    assert code == 8
    assert "holds 17 of the" in err and "left as it was" in err
    methods = [(m, p.get("update", [""])[0]) for m, _path, p, _b in stub.requests]
    assert not any("MOVE" in update for _m, update in methods)  # the target was never touched
    assert methods[-1][0] == "DELETE"  # the staging graph was removed


def test_a_refused_upload_exits_8(stub: Stub, layout) -> None:
    stub.reply = lambda h, *a: send(h, 403, b"Forbidden", "text/plain")
    with pytest.raises(EndpointError, match="HTTP 403"):
        load_graph(Endpoint.parse(stub.url), layout.graph_file("nt"))


def test_a_query_the_server_cannot_parse_is_malformed_sparql(stub: Stub, capsys) -> None:
    stub.reply = lambda h, *a: send(h, 400, b"Parser error at line 1: unexpected end of input", "text/plain")
    with pytest.raises(QueryError, match="malformed SPARQL .*unexpected end"):
        RemoteWorker(stub.url).run("SELECT * WHERE { ?s ?p ?o }")
    assert main(["query", "approved-uses", "--endpoint", stub.url]) == 5


# --- the viewer ----------------------------------------------------------------------------------

def test_viewer_endpoint_option_reaches_the_viewer_process(monkeypatch) -> None:
    import ketamine_kg.viewer.serve as viewer_serve

    import os

    seen: list[str | None] = []
    monkeypatch.delenv("KETAMINE_KG_ENDPOINT", raising=False)
    monkeypatch.setattr(viewer_serve, "run_viewer", lambda root, host, port, endpoint=None: seen.append(endpoint) or 0)
    assert main(["viewer", "--endpoint", "http://127.0.0.1:7878/query"]) == 0
    assert seen == ["http://127.0.0.1:7878/query"]
    assert "KETAMINE_KG_ENDPOINT" not in os.environ  # the CLI's own process (and later tests) are untouched
    assert main(["viewer", "--endpoint", "ftp://127.0.0.1/x"]) == 2  # refused before the viewer starts


def test_viewer_process_gets_the_endpoint_in_its_environment(monkeypatch) -> None:
    import ketamine_kg.viewer.serve as viewer_serve

    calls: list[dict] = []
    monkeypatch.setattr(viewer_serve, "_run", lambda command, **kw: calls.append(kw) or 0)
    assert viewer_serve.run_viewer(None, "127.0.0.1", 8599, "http://127.0.0.1:7878/query") == 0
    assert calls[0]["env"]["KETAMINE_KG_ENDPOINT"] == "http://127.0.0.1:7878/query"
    assert viewer_serve.run_viewer(None, "127.0.0.1", 8599) == 0
    assert calls[1]["env"] is None  # the embedded store: the environment is inherited unchanged


def test_a_server_dying_during_the_upload_is_reported(stub: Stub, layout, capsys) -> None:
    def reply(handler, method, params, body):
        if method == "PUT":
            handler.close_connection = True  # hang up without an answer, as a killed server does
        else:
            send(handler, 204, b"", "text/plain")

    stub.reply = reply
    assert main(["load", "--endpoint", stub.url, "--graph", "https://example.org/g"]) == 8
    err = capsys.readouterr().err
    assert "load failed, nothing replaced" in err and "closed the connection" in err and err.count("\n") == 1
    # GET: load asks a /sparql URL whether it is a Virtuoso (issue 21); then the upload, and the
    # staging graph is cleaned up, the target untouched.
    assert [m for m, *_ in stub.requests] == ["GET", "PUT", "DELETE"]
    assert all("example.org" not in urllib.parse.unquote(path) for _m, path, _p, _b in stub.requests)


def test_issue_21_a_load_that_times_out_exits_8_and_names_gsp_url(stub: Stub, capsys) -> None:
    """A Graph Store URL that never answers (a PUT to Virtuoso's /sparql did) is a failed load: exit 8, not 7."""
    released = threading.Event()

    def reply(handler, method, params, body):
        if method == "PUT":
            released.wait(10)  # answers only after the client gave up
        send(handler, 204, b"", "text/plain")

    stub.reply = reply
    try:
        code = main(["load", "--endpoint", stub.url, "--graph", "https://example.org/g", "--timeout", "1"])
    finally:
        released.set()
    err = capsys.readouterr().err
    assert code == 8
    assert err.count("\n") == 1 and "load failed, nothing replaced" in err and "--gsp-url" in err


# --- the HTTP client's refusals (urllib3 underneath) ----------------------------------------------

def test_a_redirect_to_another_host_is_reported_not_followed(stub: Stub) -> None:
    from .support import Listener

    elsewhere = Listener()
    try:
        def reply(handler, *args):
            handler.send_response(307)
            handler.send_header("Location", f"http://127.0.0.1:{elsewhere.port}/query")
            handler.send_header("Content-Length", "0")
            handler.end_headers()

        stub.reply = reply
        with pytest.raises(EndpointError, match="HTTP 307 \\(a redirect\\)"):
            RemoteWorker(stub.url).run("SELECT ?s WHERE { ?s ?p ?o }")
        assert elsewhere.settle() == 0  # nothing went to the other host
    finally:
        elsewhere.close()


def test_an_oversize_answer_is_refused(stub: Stub, monkeypatch) -> None:
    import ketamine_kg.query.remote_http as remote_http

    monkeypatch.setattr(remote_http, "MAX_ANSWER_BYTES", 1000)
    rows = [{"s": {"type": "uri", "value": f"http://e/{i}"}} for i in range(100)]
    stub.reply = lambda h, *a: send(h, 200, select_json(["s"], rows))
    with pytest.raises(EndpointError, match="more than"):
        RemoteWorker(stub.url).run("SELECT ?s WHERE { ?s ?p ?o }")

    def chunked(handler, *args):  # no Content-Length: the client counts as it reads
        handler.send_response(200)
        handler.send_header("Content-Type", "application/sparql-results+json")
        handler.send_header("Connection", "close")
        handler.end_headers()
        handler.wfile.write(select_json(["s"], rows))
        handler.close_connection = True

    stub.reply = chunked
    with pytest.raises(EndpointError, match="sent more than"):
        RemoteWorker(stub.url).run("SELECT ?s WHERE { ?s ?p ?o }")


def test_proxy_settings_are_not_used_for_an_endpoint(stub: Stub, monkeypatch) -> None:
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:9")
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    stub.reply = lambda h, *a: send(h, 200, select_json(["s"], []))
    assert RemoteWorker(stub.url).run("SELECT ?s WHERE { ?s ?p ?o }").rows == []
