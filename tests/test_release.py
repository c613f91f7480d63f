"""Releases: one version everywhere, a citation file and changelog that agree, and a claim-level diff."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pyoxigraph as ox
import pytest
import yaml
from rdflib import URIRef

from ketamine_kg import RELEASE_DATE, __version__
from ketamine_kg.cli.main import main
from ketamine_kg.diff.compare import FORMATS
from ketamine_kg.layout import Layout
from ketamine_kg.build.ontology import load_tbox
from ketamine_kg.rdf.vocabulary import ONTOLOGY_IRI

ROOT = Path(__file__).resolve().parents[1]
OWL = "http://www.w3.org/2002/07/owl#"
DCTERMS = "http://purl.org/dc/terms/"
KK = "https://w3id.org/ketamine-kg/ontology#"
KKR = "https://w3id.org/ketamine-kg/resource/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RELEASED_FILES = [
    "graph/ketamine-kg.nt",
    "graph/ketamine-kg.ttl",
    "graph/ketamine-kg.owl",
    "graph/ketamine-kg.jsonld",
    "ontology/ketamine.owl",
    "ontology/ketamine.ttl",
]


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def _objects(path: Path, predicate: str) -> list[ox.Term]:
    quads = ox.parse(path=str(path), format=FORMATS[path.suffix])
    onto, pred = ox.NamedNode(ONTOLOGY_IRI), ox.NamedNode(predicate)
    return [q.object for q in quads if q.subject == onto and q.predicate == pred]


# --- One version everywhere ---------------------------------------------------------------------

@pytest.mark.parametrize("name", RELEASED_FILES)
def test_each_released_file_carries_the_package_version(name: str) -> None:
    path = ROOT / name
    assert _objects(path, OWL + "versionIRI") == [ox.NamedNode(f"{ONTOLOGY_IRI}/{__version__}")], name
    assert [o.value for o in _objects(path, OWL + "versionInfo")] == [__version__], name
    # xsd:dateTime at midnight: the OWL 2 datatype map has no xsd:date (issue 21).
    assert [o.value for o in _objects(path, DCTERMS + "date")] == [f"{RELEASE_DATE}T00:00:00"], name


def test_the_version_is_derived_at_build_time_not_written_in_the_source(layout: Layout, monkeypatch) -> None:
    # The hand-edited ontology carries no version: the build stamps it from __version__.
    source = ox.parse(path=str(layout.tbox_source), format=ox.RdfFormat.TURTLE)
    stamped = {OWL + "versionIRI", OWL + "versionInfo"}
    assert not [q for q in source if q.predicate.value in stamped]
    monkeypatch.setattr("ketamine_kg.build.ontology.__version__", "9.8.7")
    tbox = load_tbox(layout.tbox_source)
    assert {str(o) for o in tbox.objects(predicate=URIRef(OWL + "versionIRI"))} == {f"{ONTOLOGY_IRI}/9.8.7"}
    assert {str(o) for o in tbox.objects(predicate=URIRef(OWL + "versionInfo"))} == {"9.8.7"}


# Top-level keys of CFF 1.2.0 (https://citation-file-format.github.io/1.2.0/schema).
CFF_KEYS = {
    "abstract", "authors", "cff-version", "commit", "contact", "date-released", "doi", "identifiers", "keywords",
    "license", "license-url", "message", "preferred-citation", "references", "repository", "repository-artifact",
    "repository-code", "title", "type", "url", "version",
}


def test_citation_file_is_valid_cff_and_agrees_with_the_package() -> None:
    data = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert set(data) <= CFF_KEYS, set(data) - CFF_KEYS
    assert {"authors", "cff-version", "message", "title"} <= set(data)
    assert data["cff-version"] == "1.2.0"
    # CFF wants strings: an unquoted version or date would load as a float or a date.
    assert data["version"] == __version__
    assert data["date-released"] == RELEASE_DATE
    assert re.fullmatch(r"\d{4}-(0[1-9]|1[012])-(0[1-9]|[12]\d|3[01])", data["date-released"])
    assert data["authors"] == [{"name": "ketamine-kg contributors"}]
    assert data["license"] == "MIT"
    assert data["type"] in ("software", "dataset")
    assert "CC-BY-4.0" in data["abstract"]
    assert all(isinstance(data[k], str) and data[k] for k in ("title", "message", "abstract"))


def _changelog_releases() -> list[tuple[str, str]]:
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    return re.findall(r"^## \[(\d+\.\d+\.\d+)\] - (\d{4}-\d{2}-\d{2})$", text, flags=re.M)


def test_changelog_has_unreleased_and_its_newest_release_is_the_package_version() -> None:
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    headings = re.findall(r"^## (.+)$", text, flags=re.M)
    releases = _changelog_releases()
    assert "[Unreleased]" in headings
    assert headings.index("[Unreleased]") < headings.index(f"[{releases[0][0]}] - {releases[0][1]}")
    assert releases[0] == (__version__, RELEASE_DATE)
    versions = [tuple(int(x) for x in v.split(".")) for v, _ in releases]
    assert versions == sorted(versions, reverse=True) and len(set(versions)) == len(versions)
    assert "ketamine-kg diff graph/releases/vPREV.nt graph/ketamine-kg.nt --format markdown" in text


def _git_ok(*args: str) -> bool:
    if shutil.which("git") is None:
        return False
    done = subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, check=False)
    return done.returncode == 0


def test_every_release_in_the_changelog_has_its_graph_in_the_repository() -> None:
    for version, _date in _changelog_releases():
        assert (ROOT / "graph" / "releases" / f"v{version}.nt").is_file(), version


def test_changelog_lists_every_claim_of_the_first_release(capsys) -> None:
    first = _changelog_releases()[-1][0]
    release = ROOT / "graph" / "releases" / f"v{first}.nt"  # committed, so no git tag is needed
    assert release.is_file(), f"{release} is missing: each release's N-Triples file is kept in the repository"
    code, out, err = run(["diff", "empty", str(release), "--format", "json", "--root", str(ROOT)], capsys)
    assert code == 0, err
    expected = {c["id"] for c in json.loads(out)["claims"]["added"]}
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    entry = text[text.index(f"## [{first}]"):]
    assert set(re.findall(r"^- `(claim-[^`]+)`", entry, flags=re.M)) == expected


# --- diff between small modified copies of the real graph ---------------------------------------

def _lines_by_subject(nt: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for line in nt.splitlines():
        if line.strip():
            out.setdefault(line.split(" ", 1)[0], []).append(line)
    return out


def _of_type(by_subject: dict[str, list[str]], cls: str) -> list[str]:
    marker = f"<{RDF_TYPE}> <{KK}{cls}> ."
    return sorted(s[len(KKR) + 1:-1] for s, lines in by_subject.items()
                  if s.startswith(f"<{KKR}") and any(line.endswith(marker) for line in lines))


@pytest.fixture(scope="module")
def modified(tmp_path_factory) -> dict[str, object]:
    """The real graph, and a copy with one claim removed, one added, one claim's evidence level
    changed and one source's title changed."""
    original = (ROOT / "graph" / "ketamine-kg.nt").read_text(encoding="utf-8")
    by_subject = _lines_by_subject(original)
    claims = _of_type(by_subject, "TherapeuticUseClaim")
    sources = _of_type(by_subject, "Source")
    removed, changed, template = claims[0], claims[1], claims[2]
    source = sources[0]
    added = "claim-release-test-added"

    evidence_line = next(l for l in by_subject[f"<{KKR}{changed}>"] if f"<{KK}evidenceLevel>" in l)
    old_level = evidence_line.split(" ")[2][len(KK) + 1:-1]
    new_level = "EvidenceMetaAnalysis" if old_level != "EvidenceMetaAnalysis" else "EvidenceCaseReports"
    title_pred = f"<{DCTERMS}title>"
    out: list[str] = []
    for line in original.splitlines():
        subject = line.split(" ", 1)[0]
        if subject == f"<{KKR}{removed}>":
            continue
        if line == evidence_line:
            line = line.replace(f"<{KK}{old_level}>", f"<{KK}{new_level}>")
        if subject == f"<{KKR}{source}>" and f" {title_pred} " in line:
            line = f'{subject} {title_pred} "A title changed by the release test" .'
        out.append(line)
        if subject == f"<{KKR}{template}>":
            out.append(line.replace(f"<{KKR}{template}>", f"<{KKR}{added}>", 1))
    folder = tmp_path_factory.mktemp("release-diff")
    old_path, new_path = folder / "old.nt", folder / "new.nt"
    old_path.write_text(original, encoding="utf-8")
    new_path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return {
        "old": old_path, "new": new_path, "removed": removed, "changed": changed, "added": added,
        "source": source, "old_level": old_level, "new_level": new_level,
        "removed_triples": len(by_subject[f"<{KKR}{removed}>"]) + 2,  # the claim, the old level, the old title
        "added_triples": len(by_subject[f"<{KKR}{template}>"]) + 2,
    }


PREFIXES = {
    "http://www.w3.org/2000/01/rdf-schema#": "rdfs:", KK: "kk:", DCTERMS: "dcterms:",
    "http://www.w3.org/2004/02/skos/core#": "skos:",
}


def _compact(iri: str) -> str:
    for namespace, prefix in PREFIXES.items():
        if iri.startswith(namespace):
            return prefix + iri.removeprefix(namespace)
    return iri


def _claims_read_by_rdflib(path: Path) -> dict[str, set[tuple[str, object]]]:
    """Each therapeutic-use claim in an N-Triples file, with its (predicate, object) pairs: read by
    rdflib, not by the diff code (which reads with pyoxigraph)."""
    from rdflib import RDF, Graph

    graph = Graph().parse(path, format="nt")
    return {
        str(claim).removeprefix(KKR): {(str(p), o) for p, o in graph.predicate_objects(claim)}
        for claim in graph.subjects(RDF.type, URIRef(KK + "TherapeuticUseClaim"))
    }


def test_diff_against_the_previous_release_reports_the_claim_sets_rdflib_reads(capsys) -> None:
    old_path, new_path = ROOT / "graph" / "releases" / "v0.1.0.nt", ROOT / "graph" / "ketamine-kg.nt"
    before, after = _claims_read_by_rdflib(old_path), _claims_read_by_rdflib(new_path)
    assert before and after
    added = sorted(after.keys() - before.keys())
    removed = sorted(before.keys() - after.keys())
    changed = sorted(k for k in before.keys() & after.keys() if before[k] != after[k])
    code, out, err = run(["diff", str(old_path), str(new_path), "--format", "json"], capsys)
    assert code == 0, err
    claims = json.loads(out)["claims"]
    assert claims["counts"] == {"old": len(before), "new": len(after), "added": len(added), "removed": len(removed),
                                "changed": len(changed)}
    assert sorted(c["id"] for c in claims["added"]) == added
    assert sorted(c["id"] for c in claims["removed"]) == removed
    assert sorted(c["id"] for c in claims["changed"]) == changed
    for change in claims["changed"]:
        old, new = before[change["id"]], after[change["id"]]
        differing = {_compact(p) for p, _ in old ^ new}
        assert sorted(f["property"] for f in change["fields"]) == sorted(differing), change["id"]
    assert added or removed or changed, "v0.1.0 and the current graph differ in their claims"


def test_diff_header_never_reads_as_the_same_version_twice(capsys) -> None:
    """Two different graphs stamped with one version (work since a release) say so, not "0.1.0 -> 0.1.0"."""
    old_path, new_path = ROOT / "graph" / "releases" / "v0.1.0.nt", ROOT / "graph" / "ketamine-kg.nt"
    code, out, err = run(["diff", str(old_path), str(new_path)], capsys)
    assert code == 0, err
    header = out.splitlines()[0]
    assert __version__ == "0.1.0", "the release file's version is no longer the package's: this test needs new files"
    assert "0.1.0 -> " not in header and header.count("0.1.0") == 2  # the file name and the one version
    assert header.endswith("both stamped version 0.1.0: the version was not raised for these changes")
    code, out, err = run(["diff", "empty", str(new_path)], capsys)
    assert out.splitlines()[0].startswith("ketamine-kg diff: empty (no version, 0 triples) -> ")
    assert f"(version {__version__}, " in out.splitlines()[0]


def test_diff_reports_exactly_the_changes_made(modified, capsys) -> None:
    code, out, err = run(["diff", str(modified["old"]), str(modified["new"]), "--format", "json"], capsys)
    assert code == 0, err
    data = json.loads(out)
    claims = data["claims"]
    assert [c["id"] for c in claims["added"]] == [modified["added"]]
    assert [c["id"] for c in claims["removed"]] == [modified["removed"]]
    assert [c["id"] for c in claims["changed"]] == [modified["changed"]]
    (field,) = claims["changed"][0]["fields"]
    assert field["field"] == "evidence level" and field["property"] == "kk:evidenceLevel"
    assert [v["id"] for v in field["old"]] == [f"kk:{modified['old_level']}"]
    assert [v["id"] for v in field["new"]] == [f"kk:{modified['new_level']}"]
    assert all(v["label"] for v in field["old"] + field["new"])  # shown with labels
    # One claim removed and one added: the counts are each file's claims as rdflib reads them.
    old_claims, new_claims = _claims_read_by_rdflib(modified["old"]), _claims_read_by_rdflib(modified["new"])
    assert len(old_claims) == len(new_claims) > 0
    assert claims["counts"] == {"old": len(old_claims), "new": len(new_claims), "added": 1, "removed": 1, "changed": 1}

    sources = data["sources"]
    assert [s["id"] for s in sources["changed"]] == [modified["source"]]
    assert not sources["added"] and not sources["removed"]
    assert [f["property"] for f in sources["changed"][0]["fields"]] == ["dcterms:title"]
    assert sources["changed"][0]["fields"][0]["new"] == [{"literal": "A title changed by the release test"}]
    for key in ("approvals", "adverse_effects", "alternatives"):
        assert data[key]["counts"]["added"] == data[key]["counts"]["removed"] == data[key]["counts"]["changed"] == 0
        assert data[key]["counts"]["old"] == data[key]["counts"]["new"] > 0
    assert data["triples"] == {"added": modified["added_triples"], "removed": modified["removed_triples"]}
    assert data["identical"] is False
    assert data["old"]["version"] == data["new"]["version"] == __version__
    assert data["other_subjects_changed"] == []


def test_diff_text_and_markdown_show_fields_old_to_new(modified, capsys) -> None:
    code, out, _ = run(["diff", str(modified["old"]), str(modified["new"])], capsys)
    assert code == 0
    assert f"+ {modified['added']}" in out and f"- {modified['removed']}" in out and f"~ {modified['changed']}" in out
    assert re.search(rf"evidence level: .+ \(kk:{modified['old_level']}\) -> .+ \(kk:{modified['new_level']}\)", out)
    assert f"~ {modified['source']}  (title)" in out
    assert "therapeutic-use claims: 1 added, 1 removed, 1 changed" in out

    code, out, _ = run(["diff", str(modified["old"]), str(modified["new"]), "--format", "markdown"], capsys)
    assert code == 0
    assert "### Added claims (1)" in out and "### Removed claims (1)" in out and "### Changed claims (1)" in out
    assert f"- `{modified['added']}`" in out
    old, new = modified["old_level"], modified["new_level"]
    assert re.search(rf"  - evidence level: .+ \(`kk:{old}`\) → .+ \(`kk:{new}`\)", out)


def test_diff_of_a_claim_with_several_changed_fields(modified, tmp_path: Path, capsys) -> None:
    # Another drug, one more source, no dose: each field listed once, in the documented order.
    text = Path(modified["new"]).read_text(encoding="utf-8")
    claim = f"<{KKR}{modified['added']}>"
    lines = []
    for line in text.splitlines():
        if line.startswith(f"{claim} <{KK}drug> "):
            line = f"{claim} <{KK}drug> <{KKR}esketamine> ."
        elif line.startswith(f"{claim} <{KK}doseText> "):
            continue
        lines.append(line)
    lines.append(f"{claim} <{KK}source> <{KKR}{modified['source']}> .")
    path = tmp_path / "newer.nt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out, err = run(["diff", str(modified["new"]), str(path), "--format", "json"], capsys)
    assert code == 0, err
    (change,) = json.loads(out)["claims"]["changed"]
    fields = [f["field"] for f in change["fields"]]
    had_dose = f"{claim} <{KK}doseText> " in text
    assert fields == ["drug", "sources"] + (["dose"] if had_dose else [])
    drug = change["fields"][0]
    assert [v["id"] for v in drug["new"]] == ["esketamine"] and drug["new"][0]["label"] == "esketamine"


def test_the_same_graph_in_every_format_is_no_change(capsys) -> None:
    nt = str(ROOT / "graph" / "ketamine-kg.nt")
    for other in ("ttl", "owl", "jsonld"):
        code, out, err = run(["diff", nt, str(ROOT / "graph" / f"ketamine-kg.{other}")], capsys)
        assert (code, out.strip(), err) == (0, "no changes", ""), other
    code, out, _ = run(["diff", nt, nt, "--format", "json"], capsys)
    data = json.loads(out)
    assert code == 0 and data["identical"] is True and data["claims"]["changed"] == []
    assert data["claims"]["counts"]["old"] == data["claims"]["counts"]["new"] > 0


def test_a_first_release_against_an_empty_graph_adds_every_claim(capsys) -> None:
    code, out, _ = run(["diff", "empty", str(ROOT / "graph" / "ketamine-kg.nt"), "--format", "json"], capsys)
    data = json.loads(out)
    assert code == 0
    assert data["claims"]["counts"]["added"] == data["claims"]["counts"]["new"] > 0
    assert all(c["condition"] for c in data["claims"]["added"])  # grouped by condition


@pytest.mark.parametrize(
    ("make", "fragment"),
    [
        (lambda d: d / "missing.nt", "no such file"),
        (lambda d: d, "not a file"),
        (lambda d: _write(d / "graph.txt", "<a> <b> <c> ."), "cannot tell the RDF format"),
        (lambda d: _write(d / "bad.ttl", "this is not turtle <<"), "not readable as Turtle"),
        (lambda d: _write(d / "cut.nt", '<https://x.org/a> <https://x.org/b> "cut'), "not readable as N-Triples"),
        (lambda d: _write(d / "bad.jsonld", "{not json"), "not readable as JSON-LD"),
        (lambda d: _write(d / "bad.owl", "<rdf:RDF"), "not readable as RDF/XML"),
    ],
)
def test_bad_input_is_a_one_line_error_exit_2(make, fragment: str, tmp_path: Path, capsys) -> None:
    bad = make(tmp_path)
    good = str(ROOT / "graph" / "ketamine-kg.nt")
    for args in ([str(bad), good], [good, str(bad)]):
        code, out, err = run(["diff", *args], capsys)
        assert code == 2 and out == ""
        assert err.startswith("ketamine-kg: error: ") and fragment in err, err
        assert err.count("\n") == 1 and "Traceback" not in err


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_git_revisions(capsys) -> None:
    if not _git_ok("rev-parse", "--verify", "--quiet", "HEAD:graph/ketamine-kg.nt"):
        pytest.skip("not a git checkout with a committed graph")
    code, out, err = run(["diff", "git:HEAD", "git:HEAD", "--root", str(ROOT)], capsys)
    assert (code, out.strip()) == (0, "no changes"), err
    code, out, err = run(["diff", "git:HEAD", str(ROOT / "graph" / "ketamine-kg.nt"), "--format", "json",
                          "--root", str(ROOT)], capsys)
    assert code == 0, err
    assert json.loads(out)["old"]["name"] == "git:HEAD"
    code, out, err = run(["diff", "git:HEAD:graph/ketamine-kg.ttl", "git:HEAD", "--root", str(ROOT)], capsys)
    assert (code, out.strip()) == (0, "no changes"), err
    for spec, fragment in (("git:no-such-revision-xyz", "git:no-such-revision-xyz: "), ("git:", "give a git revision"),
                           ("git:HEAD:no/such/file.nt", "git:HEAD:no/such/file.nt: ")):
        code, out, err = run(["diff", spec, "git:HEAD", "--root", str(ROOT)], capsys)
        assert code == 2 and out == "" and fragment in err and err.count("\n") == 1, err


def test_diff_help_has_examples(capsys) -> None:
    code, out, _ = run(["diff", "--help"], capsys)
    assert code == 0
    assert "ketamine-kg diff graph/releases/v0.1.0.nt graph/ketamine-kg.nt --format markdown" in out
