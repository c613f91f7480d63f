"""The command line: answers, help with examples, and one-line errors with documented exit codes."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from ketamine_kg.cli.main import EXIT_CODES, cli, main

ROOT = Path(__file__).resolve().parents[1]


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_query_default_answers(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["--help"], capsys)
    assert code == 0 and "Exit codes" in out
    code, out, err = run(["query", "approved-uses", "--format", "json", "--root", str(ROOT)], capsys)
    assert code == 0, err
    data = json.loads(out)
    assert data["head"]["vars"][0] == "drug" and data["results"]["bindings"]


@pytest.mark.parametrize("fmt", ["table", "csv", "markdown", "json"])
def test_formats(fmt: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["query", "controlled-substance-schedules", "--format", fmt, "--root", str(ROOT)], capsys)
    assert code == 0, err
    assert "Schedule" in out or "schedule" in out


def test_construct_as_ntriples(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["query", "entity-neighbourhood", "-p", "entity=kkr:arketamine", "--format", "ntriples", "--root", str(ROOT)], capsys)
    assert code == 0
    assert '<https://w3id.org/ketamine-kg/resource/arketamine> <http://www.w3.org/2000/01/rdf-schema#label> "arketamine" .' in out


def test_queries_lists_every_question(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["queries", "--root", str(ROOT)], capsys)
    assert code == 0
    assert len([line for line in out.splitlines() if line and not line.startswith(" ")]) == len(list((ROOT / "queries").glob("*.rq")))


@pytest.mark.parametrize(
    ("args", "code", "fragment"),
    [
        (["query", "no-such-query"], 2, "no named query 'no-such-query'"),
        (["query", "approved-use"], 2, "did you mean approved-uses"),
        (["query", "risks-of-drug", "--param", "dru=ketamine"], 2, "has no parameter 'dru'"),
        (["query", "risks-of-drug", "--param", "drug"], 2, "--param takes NAME=VALUE"),
        (["query", "risks-of-drug", "--param", "drug=<not an iri>"], 2, "not an IRI"),
        (["query"], 2, "give a query NAME or --file"),
        (["query", "--file", "/no/such/file.rq"], 2, "query file not found"),
        (["query", "approved-uses", "--format", "ntriples"], 2, "ntriples is for CONSTRUCT"),
        (["query", "approved-uses", "--timeout", "-1"], 2, "--timeout must be more than 0 and at most 3600 seconds, got -1"),
        (["query", "approved-uses", "--timeout", "0"], 2, "--timeout must be more than 0 and at most 3600 seconds, got 0"),
        (["query", "approved-uses", "--bogus"], 2, "No such option"),
        (["validate", "--file", "/no/such/graph.ttl"], 2, "file not found"),
    ],
)
def test_errors_are_one_line(args: list[str], code: int, fragment: str, capsys: pytest.CaptureFixture[str]) -> None:
    got, out, err = run([*args, "--root", str(ROOT)] if args[0] == "query" else args, capsys)
    assert got == code, err
    assert fragment in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


@pytest.mark.parametrize(
    ("text", "code", "fragment"),
    [
        ("SELECT * WHERE { ?s ?p ", 5, "malformed SPARQL"),
        ("INSERT DATA { <urn:a> <urn:b> <urn:c> }", 6, "updates are refused"),
        ("LOAD <http://127.0.0.1:9/x.ttl>", 6, "updates are refused"),
        ("SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }", 6, "SERVICE"),
        ("", 2, "empty"),
    ],
)
def test_bad_sparql_file(text: str, code: int, fragment: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "q.rq"
    path.write_text(text, encoding="utf-8")
    got, _, err = run(["query", "--file", str(path), "--root", str(ROOT)], capsys)
    assert (got, fragment in err, len(err.strip().splitlines())) == (code, True, 1), err


def test_row_cap_is_announced(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "all.rq"
    path.write_text("SELECT * WHERE { ?s ?p ?o }", encoding="utf-8")
    code, out, err = run(["query", "--file", str(path), "--max-rows", "5", "--format", "csv", "--root", str(ROOT)], capsys)
    assert code == 0
    assert len(out.strip().splitlines()) == 6
    assert "cut at 5 rows" in err


def test_help_shows_runnable_examples() -> None:
    runner = CliRunner()
    for command in ("query", "build", "validate", "queries"):
        result = runner.invoke(cli, [command, "--help"])
        assert result.exit_code == 0
        assert "Example" in result.output and f"ketamine-kg {command}" in result.output


def test_exit_codes_documented_in_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for code in EXIT_CODES:
        assert f"| {code} |" in readme, f"exit code {code} missing from the README table"


def test_python_m_matches_the_command() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ketamine_kg", "query", "no-such-query", "--root", str(ROOT)],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2 and result.stderr.startswith("ketamine-kg: error:")


@pytest.mark.parametrize(
    "args",
    [
        ["query", "approved-uses"],
        ["query", "entity-neighbourhood", "-p", "entity=kkr:ketamine"],  # a CONSTRUCT
    ],
    ids=["select", "construct"],
)
def test_csv_records_all_end_in_crlf(args: list[str]) -> None:
    """SPARQL 1.1 CSV (RFC 4180): every record ends in CRLF, the last one too, as a SPARQL server sends it."""
    done = subprocess.run([sys.executable, "-m", "ketamine_kg", *args, "--format", "csv", "--root", str(ROOT)],
                          capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.endswith(b"\r\n") and not done.stdout.endswith(b"\r\n\r\n")
    assert done.stdout.count(b"\n") == done.stdout.count(b"\r\n") > 2


def test_a_fresh_process_prints_one_line_on_stderr_for_a_binary_graph_file(tmp_path: Path) -> None:
    """In a new interpreter, so that anything printed while modules are imported (a library's warning
    about the generated models, once) would show up beside the error line."""
    path = tmp_path / "program.ttl"
    path.write_bytes(b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)))
    done = subprocess.run([sys.executable, "-m", "ketamine_kg", "validate", "--file", str(path), "--no-reasoner"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [f"ketamine-kg: error: cannot read {path}: a binary file, not RDF "
                                        "(a NUL byte in its first 8,000 bytes)"], done.stderr


def test_serve_without_its_extra_names_the_extra(monkeypatch, capsys: pytest.CaptureFixture[str]) -> None:
    """After the README's viewer install (no uvicorn, no starlette), serve says which extra to install."""
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # import uvicorn now raises ModuleNotFoundError
    monkeypatch.delitem(sys.modules, "ketamine_kg.server.process", raising=False)
    code, out, err = run(["serve", "--port", "7999"], capsys)
    assert code == 2, err
    assert err.strip() == ("ketamine-kg: error: serve needs the server extra (uvicorn is missing): "
                           "python -m pip install -e '.[server]'")


def test_command_summaries_are_whole_sentences_in_help() -> None:
    """click cuts a summary at the terminal's width with "..."; each command's first sentence shows whole."""
    result = CliRunner().invoke(cli, ["--help"])
    section = result.output.split("Commands:\n", 1)[1].split("\n\n", 1)[0]
    entries: list[str] = []
    for line in section.splitlines():
        if re.match(r"  \S", line):
            entries.append(line.strip())
        else:  # a wrapped summary's next line
            entries[-1] += " " + line.strip()
    assert len(entries) >= 11, section
    for entry in entries:
        assert entry.endswith(".") and not entry.endswith("..."), entry


def test_export_help_names_the_graphs_as_the_readme_does() -> None:
    result = CliRunner().invoke(cli, ["export", "--help"])
    assert "three named graphs (ontology, asserted, inferred)" in " ".join(result.output.split())
