"""Fuzzing (hypothesis, derandomized, bounded): random and mutated SPARQL, parameter values, RDF
files and command lines. Whatever comes in, the CLI answers with a documented exit code and at
most one line on stderr, nothing hangs, nothing is fetched from the listener on 127.0.0.1, the
secret marker never shows, and nothing is written to the project's folders.

Each test must run all its cases (asserted per test); the counts also go to test-artifacts/fuzz-counts.json.
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ketamine_kg.query.catalogue import Parameter, load_catalogue
from ketamine_kg.cli.main import EXIT_CODES, main
from ketamine_kg.query.engine import Limits, QueryWorker, load_store, to_ox
from ketamine_kg.errors import KetamineKGError, QueryError, QueryRefused, UsageError
from ketamine_kg.rdf.user_files import parse_user_file
from ketamine_kg.query.guard import check_read_only

from .support import Listener
from .test_hostile_sparql import SECRET

# Hundreds of generated cases, many through a new process.
pytestmark = pytest.mark.slow


ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
CATALOGUE = load_catalogue(ROOT / "queries")
COUNTS: Counter[str] = Counter()
#: No single call may take longer than this: a hang fails the test instead of stalling CI.
CALL_BOUND_S = 60.0

_BASE = settings(derandomize=True, database=None, deadline=None, print_blob=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                       HealthCheck.data_too_large, HealthCheck.filter_too_much])


#: Test name -> the number of cases it must run (its max_examples; each search space is large).
CASES: dict[str, int] = {}


def fuzz(examples: int):
    """Fixed seed (derandomized), no example database in the checkout, an explicit case count,
    which ``every_case_runs_and_is_counted`` asserts."""
    bounded = settings(_BASE, max_examples=examples)

    def apply(test):
        CASES[test.__name__] = examples
        return bounded(test)

    return apply


@pytest.fixture(scope="module")
def listener():
    lis = Listener()
    try:
        yield lis
    finally:
        lis.close()


@pytest.fixture(scope="module")
def secret_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("secret") / "secret.txt"
    path.write_text(SECRET + "\n", encoding="utf-8")
    return path


def _tree_state() -> dict[str, tuple[int, int]]:
    state = {}
    for folder in ("graph", "ontology", "queries"):
        for path in (ROOT / folder).rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts:
                info = path.stat()
                state[str(path.relative_to(ROOT))] = (info.st_mtime_ns, info.st_size)
    return state


@pytest.fixture(scope="module", autouse=True)
def nothing_written_and_counts():
    before = _tree_state()
    yield
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "fuzz-counts.json").write_text(json.dumps(dict(sorted(COUNTS.items())), indent=1) + "\n", encoding="utf-8")
    print("\nfuzz cases:", dict(sorted(COUNTS.items())))
    after = _tree_state()
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    assert not changed, f"fuzzing wrote into the project: {changed}"


def _cases_run(delta: Counter[str]) -> int:
    """Cases a test ran. A case adds one to a total ("sparql random") and one to an outcome
    ("sparql random: refused", "cli argv: exit 2"); a parameter case adds only its outcome."""
    totals = {k: v for k, v in delta.items() if ": " not in k}
    if not totals:
        return sum(delta.values())
    outcomes = sum(v for k, v in delta.items() if ": " in k)
    assert outcomes == sum(totals.values()), f"a case without exactly one outcome: {dict(delta)}"
    return sum(totals.values())


@pytest.fixture(autouse=True)
def every_case_runs_and_is_counted(request, listener: Listener):
    """Each fuzz test ran all the cases it asks for (a hypothesis test its max_examples, a
    parametrized case one), every case got to the end where it is counted, and nothing was fetched."""
    before = COUNTS.copy()
    yield
    delta = COUNTS - before
    assert _cases_run(delta) == CASES.get(request.function.__name__, 1), dict(delta)
    assert not listener.hits, listener.hits


def check_cli(args: list[str], capfd, listener: Listener, *, count: str) -> tuple[int, str, str]:
    started = time.monotonic()
    code = main(args)
    elapsed = time.monotonic() - started
    out, err = capfd.readouterr()  # file descriptors: a worker's own stderr would show here too
    COUNTS[count] += 1
    COUNTS[f"{count}: exit {code}"] += 1
    assert code in EXIT_CODES, (args, code, err)
    assert "Traceback" not in out + err, err
    assert len(err.strip().splitlines()) <= 1, err
    assert code == 0 or err.strip(), (args, code)
    assert elapsed < CALL_BOUND_S, (args, elapsed)
    assert SECRET not in out + err
    assert not listener.hits, listener.hits
    return code, out, err


# -- SPARQL --------------------------------------------------------------------------------------
INJECT = ["INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH", "DATA",
          "SERVICE", "SILENT", "SERVICE <{url}>", "FROM <{url}>", "FROM <{secret}>", "FROM NAMED <{url}>",
          "LOAD <{url}>", "GRAPH <{secret}>", "{", "}", "(", ")", ".", ";", "*", "?x", "#", '"', "'", "<", ">",
          "\\u0053ERVICE", "SeRvIcE", "OPTIONAL", "UNION", "FILTER", "VALUES ?x { <{url}> }", "SELECT", "ASK",
          "CONSTRUCT", "DESCRIBE", "LIMIT 1", "ORDER BY", "GROUP BY", "/", "|", "+", "^", "!", "a", "\n", "\x00"]


def _tokens(text: str) -> list[str]:
    return re.findall(r"\S+|\n", text)


@st.composite
def mutated_query(draw) -> str:
    base = draw(st.sampled_from(sorted(CATALOGUE)))
    tokens = _tokens(CATALOGUE[base].text)
    for _ in range(draw(st.integers(1, 4))):
        if not tokens:
            break
        i = draw(st.integers(0, len(tokens) - 1))
        op = draw(st.sampled_from(["delete", "duplicate", "swap", "inject", "inject", "replace"]))
        if op == "delete":
            del tokens[i]
        elif op == "duplicate":
            tokens.insert(i, tokens[i])
        elif op == "swap":
            j = draw(st.integers(0, len(tokens) - 1))
            tokens[i], tokens[j] = tokens[j], tokens[i]
        elif op == "inject":
            tokens.insert(i, draw(st.sampled_from(INJECT)))
        else:
            tokens[i] = draw(st.text(max_size=8))
    return " ".join(tokens)


def _fill(text: str, listener: Listener, secret: Path) -> str:
    return text.replace("{url}", listener.url).replace("{secret}", secret.as_uri())


def _run_guarded(worker: QueryWorker, text: str) -> str:
    """What a user would see, as a category: answered, refused, usage error or query error."""
    started = time.monotonic()
    try:
        result = worker.run(text, None, Limits(timeout=3, max_rows=200))
        outcome = "answered"
        shown = repr(result.rows[:50])
    except QueryRefused:
        outcome, shown = "refused", ""
    except QueryError as exc:
        outcome, shown = ("timeout" if exc.exit_code == 7 else "query error"), str(exc)
    except UsageError as exc:
        outcome, shown = "usage error", str(exc)
    assert time.monotonic() - started < CALL_BOUND_S
    assert SECRET not in shown
    return outcome


@fuzz(250)
@given(text=mutated_query())
def test_mutated_named_queries(text: str, worker: QueryWorker, listener: Listener, secret_file: Path) -> None:
    text = _fill(text, listener, secret_file)
    outcome = _run_guarded(worker, text)
    COUNTS["sparql mutated"] += 1
    COUNTS[f"sparql mutated: {outcome}"] += 1
    words = re.findall(r"[A-Za-z]+", re.sub(r'"[^"\n]*"|<[^<>\s]*>|#[^\n]*', " ", text))
    if "SERVICE" in {w.upper() for w in words}:
        assert outcome in ("refused", "usage error"), text
    assert not listener.hits


@fuzz(150)
@given(text=st.one_of(st.text(max_size=300),
                      st.lists(st.sampled_from(INJECT + ["?s", "?p", "?o", "WHERE", "<urn:x>", "kk:Drug"]),
                               max_size=30).map(" ".join)))
def test_random_sparql(text: str, worker: QueryWorker, listener: Listener, secret_file: Path) -> None:
    text = _fill(text, listener, secret_file)
    try:
        check_read_only(text)
        guard = "passed"
    except (QueryRefused, UsageError) as exc:
        guard = type(exc).__name__
    outcome = _run_guarded(worker, text)
    COUNTS["sparql random"] += 1
    COUNTS[f"sparql random: {outcome}"] += 1
    if guard != "passed":
        assert outcome in ("refused", "usage error")
    assert not listener.hits


# -- parameters ----------------------------------------------------------------------------------
VALUES = st.one_of(
    st.text(max_size=60),
    st.sampled_from(["kkr:ketamine", "ketamine", "<https://w3id.org/ketamine-kg/resource/ketamine>",
                     "https://w3id.org/ketamine-kg/resource/x> } ; DROP ALL #", "kkr:a b", "kk:", ":", "",
                     "javascript:alert(1)", "file:///etc/passwd", "http://127.0.0.1:1/", "1e999", "NaN", "-0",
                     "2024-02-30", "9999-12-31", "\"; INSERT DATA {} #", "<>", "\x00", "ketamine\n"]),
)


@fuzz(300)
@given(kind=st.sampled_from(["iri", "string", "integer", "decimal", "date"]), value=VALUES)
def test_parameter_binding(kind: str, value: str) -> None:
    param = Parameter("x", kind, "", "fuzzed")  # type: ignore[arg-type]
    try:
        term = param.to_term(value)
    except UsageError:
        COUNTS[f"parameter {kind}: refused"] += 1
        return
    to_ox(term)  # a bound value is always a valid RDF term
    COUNTS[f"parameter {kind}: bound"] += 1


@fuzz(60)
@given(name=st.sampled_from(sorted(n for n, q in CATALOGUE.items() if q.parameters)), value=VALUES)
def test_parameters_through_the_worker(name: str, value: str, worker: QueryWorker, listener: Listener) -> None:
    query = CATALOGUE[name]
    try:
        bindings = query.bindings({query.parameters[0].name: value})
    except UsageError:
        COUNTS["named query parameter: refused"] += 1
        return
    result = worker.run(query.text, bindings, Limits(timeout=10))
    assert result.kind in ("select", "graph", "ask")
    COUNTS["named query parameter: answered"] += 1
    assert not listener.hits


@fuzz(12)
@given(name=st.sampled_from(sorted(n for n, q in CATALOGUE.items() if q.parameters)), value=VALUES)
def test_parameters_through_the_cli(name: str, value: str, capfd, listener: Listener) -> None:
    pname = CATALOGUE[name].parameters[0].name
    code, out, err = check_cli(["query", name, "-p", f"{pname}={value}", "--format", "csv", "--root", str(ROOT)],
                               capfd, listener, count="cli query -p")
    assert code in (0, 2), err


# -- RDF files -----------------------------------------------------------------------------------
SAMPLE_NT = "\n".join((ROOT / "graph" / "ketamine-kg.nt").read_text(encoding="utf-8").splitlines()[:60]) + "\n"


def _samples() -> dict[str, bytes]:
    from rdflib import Graph

    g = Graph().parse(data=SAMPLE_NT, format="nt")
    return {
        ".nt": SAMPLE_NT.encode(),
        ".ttl": g.serialize(format="turtle", encoding="utf-8"),
        ".owl": g.serialize(format="xml", encoding="utf-8"),
        ".jsonld": g.serialize(format="json-ld", encoding="utf-8"),
    }


SAMPLES = _samples()
RDF_NS = 'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#"'


def hostile_documents(url: str, secret: Path) -> dict[str, tuple[str, str]]:
    body = '<rdf:Description rdf:about="urn:a"><rdf:type rdf:resource="urn:T"/><rdfs:label>%s</rdfs:label></rdf:Description>'
    return {
        "xxe-file": (".owl", f'<?xml version="1.0"?><!DOCTYPE rdf:RDF [<!ENTITY s SYSTEM "{secret.as_uri()}">]>'
                             f'<rdf:RDF {RDF_NS}>{body % "&s;"}</rdf:RDF>'),
        "xxe-http": (".rdf", f'<?xml version="1.0"?><!DOCTYPE rdf:RDF [<!ENTITY s SYSTEM "{url}e">]>'
                             f'<rdf:RDF {RDF_NS}>{body % "&s;"}</rdf:RDF>'),
        "xxe-parameter": (".owl", f'<?xml version="1.0"?><!DOCTYPE rdf:RDF [<!ENTITY % p SYSTEM "{url}p"> %p;]>'
                                  f'<rdf:RDF {RDF_NS}>{body % "x"}</rdf:RDF>'),
        "external-dtd": (".owl", f'<?xml version="1.0"?><!DOCTYPE rdf:RDF SYSTEM "{url}dtd">'
                                 f'<rdf:RDF {RDF_NS}>{body % "x"}</rdf:RDF>'),
        "billion-laughs": (".owl", '<?xml version="1.0"?><!DOCTYPE rdf:RDF [<!ENTITY a "aaaaaaaaaa">'
                                   + "".join(f'<!ENTITY {c} "{("&" + p + ";") * 10}">' for p, c in zip("abcdefgh", "bcdefghi"))
                                   + f']><rdf:RDF {RDF_NS}>{body % "&i;"}</rdf:RDF>'),
        "jsonld-remote-context": (".jsonld", json.dumps({"@context": f"{url}context.jsonld", "@id": "urn:a",
                                                         "@type": "urn:T", "label": "x"})),
        "jsonld-remote-import": (".jsonld", json.dumps({"@context": {"@import": f"{url}c.jsonld"}, "@id": "urn:a", "@type": "urn:T"})),
        "jsonld-remote-nested": (".jsonld", json.dumps({"@context": [{"x": "urn:x#"}, f"{url}c2"], "@id": "urn:a", "@type": "urn:T"})),
        "owl-imports": (".ttl", f"<urn:o> a <http://www.w3.org/2002/07/owl#Ontology> ; "
                                f"<http://www.w3.org/2002/07/owl#imports> <{url}imported.owl> .\n"),
        "secret-as-base": (".ttl", f"@base <{secret.as_uri()}> . <#a> a <#T> .\n"),
    }


def _check_rdf_file(path: Path, capfd, listener: Listener, count: str) -> int:
    code, out, err = check_cli(["validate", "--file", str(path), "--no-reasoner"], capfd, listener, count=count)
    # 2: a mutation put a NUL byte near the start, and a binary file is the wrong file, not bad RDF.
    assert code in (0, 2, 4) and (code != 2 or b"\x00" in path.read_bytes()[:8000]), err
    # The library path too: parse_user_file and, for what the store reads, load_store.
    try:
        parse_user_file(path)
    except (SyntaxError, ValueError, KetamineKGError):
        pass
    if path.suffix in (".nt", ".ttl"):
        try:
            load_store(path)
        except UsageError:
            pass
    assert not listener.hits
    return code


@pytest.mark.parametrize("case", ["xxe-file", "xxe-http", "xxe-parameter", "external-dtd", "billion-laughs",
                                  "jsonld-remote-context", "jsonld-remote-import", "jsonld-remote-nested",
                                  "owl-imports", "secret-as-base"])
def test_hostile_rdf_files(case: str, tmp_path: Path, capfd, listener: Listener, secret_file: Path) -> None:
    suffix, text = hostile_documents(listener.url, secret_file)[case]
    path = tmp_path / f"hostile{suffix}"
    path.write_text(text, encoding="utf-8")
    code = _check_rdf_file(path, capfd, listener, count="rdf hostile")
    if case not in ("owl-imports", "secret-as-base", "external-dtd"):
        assert code == 4  # refused as a parse finding, never read, fetched or expanded


@st.composite
def mutated_rdf(draw) -> tuple[str, bytes]:
    suffix = draw(st.sampled_from(sorted(SAMPLES)))
    data = bytearray(SAMPLES[suffix])
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(data)))
        op = draw(st.sampled_from(["truncate", "delete", "duplicate", "insert", "flip"]))
        if op == "truncate":
            del data[i:]
        elif op == "delete":
            del data[i: i + draw(st.integers(1, 200))]
        elif op == "duplicate":
            data[i:i] = data[max(0, i - 300): i]
        elif op == "insert":
            data[i:i] = draw(st.sampled_from([b"<", b">", b'"', b"{", b"}", b"@context", b"&s;", b"<!ENTITY x 'y'>",
                                              b"\x00", b"\xff", b"\n", b" . ", b"@prefix : <{url}> .", b"&#0;"]))
        elif data:
            j = min(i, len(data) - 1)
            data[j] = draw(st.integers(0, 255))
    return suffix, bytes(data)


@fuzz(40)
@given(case=mutated_rdf())
def test_mutated_rdf_files(case: tuple[str, bytes], tmp_path_factory, capfd, listener: Listener) -> None:
    suffix, data = case
    path = tmp_path_factory.mktemp("rdf") / f"mutated{suffix}"
    path.write_bytes(data.replace(b"{url}", listener.url.encode()))
    _check_rdf_file(path, capfd, listener, count=f"rdf mutated {suffix}")


# -- command lines -------------------------------------------------------------------------------
ARGS = ["query", "queries", "--help", "-h", "--version", "--file", "--format", "--param", "-p", "--graph",
        "--timeout", "--max-rows", "--root", "approved-uses", "risks-of-drug", "entity-neighbourhood",
        "no-such-query", "table", "csv", "json", "markdown", "ntriples", "drug=ketamine", "drug=", "=x",
        "-1", "0", "1e309", "nan", "0.001", "99999999999", "/", "/no/such/file", "-", "--", "", " ",
        "é", "\x00", "--format=csv", "--timeout=0", "-pdrug=kkr:ketamine"]


@fuzz(120)
@given(argv=st.lists(st.one_of(st.sampled_from(ARGS), st.text(max_size=12)), max_size=7))
def test_random_command_lines(argv: list[str], capfd, listener: Listener) -> None:
    # Commands that start servers, write files or run the full validation are fuzzed elsewhere or
    # not at all; a random list may still name them as an argument.
    if argv and argv[0] not in ("query", "queries"):
        argv = ["query", *argv] if argv[0].startswith("-") is False else argv
    if any(a in ("viewer", "serve", "build", "load", "export", "validate", "diff") for a in argv[:1]):
        return
    if "--root" in argv:
        argv = [a if a != "--root" else "--max-rows" for a in argv]
    check_cli([*argv, "--root", str(ROOT)] if argv[:1] == ["query"] else argv, capfd, listener, count="cli argv")
