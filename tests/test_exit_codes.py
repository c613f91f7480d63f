"""Every exit code in the README's table, each reached the way a user would reach it, with one line on stderr."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import pytest

from ketamine_kg.query import run as queries
from ketamine_kg.cli.main import EXIT_CODES, main
from ketamine_kg.layout import Layout

from .conftest import ROOT

TESTED: set[int] = set()


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    TESTED.add(code)
    return code, out, err


def assert_one_line(err: str, code: int) -> None:
    if code == 0:
        assert err == ""
        return
    if code == 130:
        return  # interrupted: nothing to explain
    assert err.count("\n") == 1 and err.startswith("ketamine-kg: error: ") and "Traceback" not in err, err


def _query_file(tmp_path: Path, text: str) -> str:
    path = tmp_path / "q.rq"
    path.write_text(text, encoding="utf-8")
    return str(path)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_0_success(capsys) -> None:
    code, out, err = run(["query", "approved-uses", "--root", str(ROOT)], capsys)
    assert code == 0 and "(4 rows)" in out
    assert_one_line(err, 0)


def test_1_unexpected_failure_asks_for_a_report(monkeypatch, capsys) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(queries, "run_query_cli", broken)
    code, _, err = run(["query", "approved-uses", "--root", str(ROOT)], capsys)
    assert code == 1 and "unexpected failure (ZeroDivisionError: a bug)" in err and "please report" in err
    assert_one_line(err, 1)


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["query", "no-such-query"], "no named query"),
        (["query", "risks-of-drug", "-p", "drug=aspirin"], "names no kk:Drug in the graph; closest: kkr:arketamine"),
        (
            ["query", "alternatives-for-condition", "-p", "condition=ptsd"],
            "closest: kkr:post-traumatic-stress-disorder",
        ),
        (
            ["query", "entity-neighbourhood", "-p", "entity=kkr:no-such-thing", "--format", "ntriples"],
            "names nothing in the graph",
        ),
        (["validate", "--file", "missing.ttl"], "file not found: missing.ttl"),
        (["query", "approved-uses", "--bogus"], "No such option"),
    ],
)
def test_2_usage(args: list[str], fragment: str, capsys) -> None:
    code, out, err = run([*args, "--root", str(ROOT)] if args[0] == "query" else args, capsys)
    assert code == 2 and fragment in err, err
    assert out == ""
    assert_one_line(err, 2)


@pytest.mark.parametrize("command", ["validate", "query"])
def test_2_a_binary_file_is_the_wrong_file_for_validate_and_query_alike(command: str, tmp_path: Path, capsys) -> None:
    # The start of an executable (ELF header, NUL bytes): not a damaged RDF or SPARQL file but the wrong file.
    path = tmp_path / ("program.ttl" if command == "validate" else "program.rq")
    path.write_bytes(b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x03\x00>\x00\xd0\xe0" * 40)
    args = ["validate", "--file", str(path), "--no-reasoner"] if command == "validate" else ["query", "--file", str(path)]
    code, out, err = run([*args, "--root", str(ROOT)], capsys)
    assert code == 2 and f"cannot read {'query file ' if command == 'query' else ''}{path}" in err, err
    assert out == ""
    assert_one_line(err, 2)


def test_a_value_that_names_something_is_not_an_error(capsys) -> None:
    code, out, err = run(["query", "risks-of-drug", "-p", "drug=ketamine", "--root", str(ROOT)], capsys)
    assert code == 0 and err == "" and "rows)" in out


def test_3_curated_data_breaks_a_rule(project_copy: Layout, capsys) -> None:
    (project_copy.curated / "zz-bad.yaml").write_text("claims: [unclosed\n", encoding="utf-8")
    code, _, err = run(["build", "--root", str(project_copy.root)], capsys)
    assert code == 3 and "zz-bad.yaml" in err
    assert_one_line(err, 3)


def test_4_validation_found_violations(tmp_path: Path, capsys) -> None:
    path = tmp_path / "broken.nt"
    path.write_text('<urn:a> <urn:b> "unclosed .\n', encoding="utf-8")
    code, out, err = run(["validate", "--file", str(path), "--no-reasoner"], capsys)
    assert code == 4 and "[parse]" in out and "validation failed" in err
    assert_one_line(err, 4)


def test_5_malformed_sparql(tmp_path: Path, capsys) -> None:
    code, _, err = run(["query", "--file", _query_file(tmp_path, "SELECT * WHERE { ?s"), "--root", str(ROOT)], capsys)
    assert code == 5 and "malformed SPARQL" in err
    assert_one_line(err, 5)


def test_6_query_refused(tmp_path: Path, capsys) -> None:
    code, _, err = run(["query", "--file", _query_file(tmp_path, "CLEAR ALL"), "--root", str(ROOT)], capsys)
    assert code == 6 and "refused" in err
    assert_one_line(err, 6)


def test_7_time_limit(tmp_path: Path, capsys) -> None:
    graph = tmp_path / "ring.nt"
    n = 30_000
    graph.write_text("".join(f"<urn:n{i}> <urn:p> <urn:n{(i + 1) % n}> .\n" for i in range(n)), encoding="utf-8")
    text = "SELECT (COUNT(*) AS ?n) WHERE { ?a <urn:p>* ?b }"
    code, _, err = run(
        ["query", "--file", _query_file(tmp_path, text), "--graph", str(graph), "--timeout", "1", "--root", str(ROOT)],
        capsys,
    )
    assert code == 7 and "1 s limit" in err
    assert_one_line(err, 7)


def test_8_endpoint_unreachable(capsys) -> None:
    url = f"http://127.0.0.1:{_free_port()}/query"
    code, _, err = run(["query", "approved-uses", "--endpoint", url, "--root", str(ROOT)], capsys)
    assert code == 8 and "connection refused" in err
    assert_one_line(err, 8)


def test_9_reasoner_unavailable(project_copy: Layout, monkeypatch, capsys) -> None:
    monkeypatch.setenv("PATH", str(project_copy.root / "no-java-here"))
    code, _, err = run(["build", "--root", str(project_copy.root)], capsys)
    assert code == 9 and "Java" in err
    assert_one_line(err, 9)


def test_130_interrupted(monkeypatch, capsys) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(queries, "run_query_cli", interrupted)
    code, _, _ = run(["query", "approved-uses", "--root", str(ROOT)], capsys)
    assert code == 130


def test_every_code_in_the_table_is_tested_and_documented() -> None:
    # Runs last in this file (pytest keeps file order): every code the CLI documents was reached above.
    assert TESTED == set(EXIT_CODES), f"not reached: {sorted(set(EXIT_CODES) - TESTED)}"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = dict(re.findall(r"^\| (\d+) \| (.+?) \|$", readme, re.MULTILINE))
    assert {int(code) for code in table} == set(EXIT_CODES)
    for code, text in EXIT_CODES.items():
        assert table[str(code)].replace("`", "") == text, (
            f"exit code {code}: README says {table[str(code)]!r}, the CLI {text!r}"
        )
