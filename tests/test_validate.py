"""Validation passes on the committed graph and fails, naming the record, on broken ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from ketamine_kg.layout import Layout
from ketamine_kg.build.validate import validate

BROKEN = sorted((Path(__file__).parent / "broken-graphs").glob("*.ttl"))


@pytest.mark.reasoner
def test_committed_graph_passes(layout: Layout) -> None:
    report = validate(layout)
    assert report.ok, report.text()
    assert any(name.startswith("hermit") for name in report.passed)
    assert any(name == "shacl" for name in report.passed)
    assert sum(name.startswith("sparql:") for name in report.passed) == len(list(layout.checks.glob("*-violation.rq")))


@pytest.mark.reasoner
@pytest.mark.parametrize("fixture", BROKEN, ids=lambda p: p.stem)
def test_broken_graph_fails_naming_the_record(fixture: Path, layout: Layout, tmp_path: Path) -> None:
    check, record = fixture.read_text(encoding="utf-8").splitlines()[0].removeprefix("# expect:").split()
    merged = tmp_path / "merged.nt"
    merged.write_bytes(layout.graph_file("nt").read_bytes())
    from rdflib import Graph

    graph = Graph().parse(merged, format="nt")
    graph.parse(fixture, format="turtle")
    graph.serialize(merged, format="nt", encoding="utf-8")
    report = validate(layout, merged)
    assert not report.ok
    assert any(f.check == check and record in f.record + " " + f.message for f in report.findings), report.text()


def test_truncated_release_file_is_caught(project_copy: Layout) -> None:
    path = project_copy.graph_file("turtle")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    report = validate(project_copy, reasoner=False)
    assert any(f.check == "built-files" and f.record == path.name for f in report.findings), report.text()


def test_not_rdf_is_reported(layout: Layout, tmp_path: Path) -> None:
    junk = tmp_path / "junk.ttl"
    junk.write_text("this is not turtle {", encoding="utf-8")
    report = validate(layout, junk)
    assert not report.ok and report.findings[0].check == "parse"


def test_unsafe_xml_is_a_parse_finding(layout: Layout, tmp_path: Path) -> None:
    xxe = tmp_path / "xxe.rdf"
    xxe.write_text('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>')
    report = validate(layout, xxe)
    assert [f.check for f in report.findings] == ["parse"] and "refused" in report.findings[0].message


def test_missing_file_is_a_usage_error(layout: Layout, tmp_path: Path) -> None:
    from ketamine_kg.errors import UsageError

    with pytest.raises(UsageError, match="file not found"):
        validate(layout, tmp_path / "missing.ttl")


def test_a_parser_bug_is_not_a_parse_finding(layout: Layout, tmp_path: Path, monkeypatch) -> None:
    import ketamine_kg.build.validate as module

    def broken(path: Path) -> None:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(module, "parse_user_file", broken)
    with pytest.raises(ZeroDivisionError):
        validate(layout, tmp_path / "any.ttl")
