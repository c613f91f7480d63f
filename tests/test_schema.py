"""The curated-data schema is the one place a field is declared: what it generates is current,
the build reads it without LinkML, and studies and results go through load, check, compile and
SHACL like every other record."""

from __future__ import annotations

import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from rdflib import Literal, URIRef
from rdflib.namespace import RDF, SKOS, XSD

from ketamine_kg.build import curation
from ketamine_kg.cli.main import main
from ketamine_kg.build.compile import compile_curation
from ketamine_kg.errors import CurationError
from ketamine_kg.layout import Layout
from ketamine_kg.schema.schema_map import CLASSES, SECTIONS
from ketamine_kg.rdf.vocabulary import KK, KKR

FIXTURE = Path(__file__).parent / "evidence-curation"
ROOT = Path(__file__).resolve().parents[1]


def test_generated_files_are_up_to_date(layout: Layout) -> None:
    pytest.importorskip("linkml", reason="regenerating from the schema needs the test extra (LinkML)")
    from ketamine_kg.schema.generate import stale

    out_of_date = stale(layout)
    assert not out_of_date, f"run 'ketamine-kg schema --write'; out of date: {[str(p) for p in out_of_date]}"


def test_the_build_never_imports_linkml() -> None:
    code = ("import sys, ketamine_kg.build.pipeline, ketamine_kg.build.validate, ketamine_kg.diff.compare, ketamine_kg.export.writer; "
            "sys.exit(any(m.split('.')[0] in ('linkml', 'linkml_runtime') for m in sys.modules))")
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_every_section_has_a_class_with_a_predicate_for_each_field() -> None:
    for section, cls in SECTIONS.items():
        for name, slot in CLASSES[cls]["slots"].items():
            if slot["identifier"] or slot["designates_type"] or slot["compiled_by"]:
                continue
            assert slot["uri"], f"{section}.{name} has no slot_uri: the compiler would not know its predicate"


# --- the evidence model, on a small fixture ----------------------------------------------------


def _project(tmp_path: Path, layout: Layout, edit=None) -> Layout:
    """A project whose curated data is the fixture (optionally edited), sharing the real ontology."""
    for name in ("ontology", "queries"):
        shutil.copytree(layout.root / name, tmp_path / name)
    curated = tmp_path / "graph" / "curated"
    curated.mkdir(parents=True)
    data = yaml.safe_load((FIXTURE / "evidence.yaml").read_text(encoding="utf-8"))
    if edit is not None:
        edit(data)
    (curated / "evidence.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return Layout(tmp_path)


def _result(data: dict, rid: str) -> dict:
    return next(r for r in data["results"] if r["id"] == rid)


def test_fixture_loads_checks_and_compiles_to_typed_literals() -> None:
    cur = curation.load(FIXTURE)
    assert curation.check(cur) == []
    g = compile_curation(cur)
    res = KKR["res-fixture-rct-madrs-day1"]
    assert (res, RDF.type, KK.Result) in g and (res, KK.study, KKR["study-fixture-rct"]) in g
    assert (res, KK.outcome, KKR["madrs"]) in g
    for predicate, expected in ((KK.value, "-7.95"), (KK.ciLower, "-12.1"), (KK.pValue, "0.001"), (KK.ciLevel, "95")):
        (value,) = g.objects(res, predicate)
        assert value.datatype == XSD.decimal and Decimal(str(value)) == Decimal(expected), predicate
    (n,) = g.objects(res, KK.interventionCount)
    assert n.datatype == XSD.integer and int(n) == 20
    assert (res, KK.measure, KK.MeanDifference) in g  # an effect-measure individual, mapped to STATO in the ontology
    study = KKR["study-fixture-rct"]
    assert (study, KK.studyDesign, KK.RandomizedControlledTrial) in g
    assert (study, KK.comparatorTreatment, KKR["midazolam"]) in g
    assert (study, KK.bearsOn, KKR["claim-fixture-ketamine-trd"]) in g
    assert (study, KK.trialPhase, Literal("2")) in g, "an unquoted phase is text"
    assert (KKR["study-fixture-meta"], KK.includesStudy, study) in g
    assert (KKR["res-fixture-meta-smd"], KK.readIn, KKR["src-fixture-meta-2022"]) in g
    assert (KKR["madrs"], RDF.type, KK.Outcome) in g
    # A close mapping is a skos:closeMatch, never an exactMatch.
    ncit = URIRef("http://purl.obolibrary.org/obo/NCIT_C123456")
    assert (KKR["madrs"], SKOS.closeMatch, ncit) in g and (KKR["madrs"], SKOS.exactMatch, ncit) not in g
    assert not any(isinstance(o, Literal) and o.datatype is None and str(o).lstrip("-").replace(".", "").isdigit()
                   and p in (KK.value, KK.ciLower, KK.ciUpper, KK.timeValue) for _, p, o in g)


@pytest.mark.reasoner
def test_fixture_builds_and_passes_shacl_and_the_reasoner(tmp_path: Path, layout: Layout) -> None:
    from ketamine_kg.build.pipeline import build_graphs
    from ketamine_kg.build.validate import validate_graph

    project = _project(tmp_path, layout)
    result = build_graphs(project)  # HermiT runs here: the evidence classes are consistent
    report = validate_graph(result.full, project, reasoner=False)
    assert report.ok, report.text()
    assert "shacl" in report.passed


@pytest.mark.parametrize(("rule", "record", "edit"), [
    ("dangling-reference", "res-fixture-meta-smd", lambda d: _result(d, "res-fixture-meta-smd").update(study="study-nope")),
    ("wrong-type", "res-fixture-meta-smd", lambda d: _result(d, "res-fixture-meta-smd").update(outcome="ketamine")),
    ("wrong-type", "res-fixture-meta-smd", lambda d: _result(d, "res-fixture-meta-smd").update(read_in="study-fixture-rct")),
    ("dangling-source", "res-fixture-meta-smd", lambda d: _result(d, "res-fixture-meta-smd").update(sources=["src-nope"])),
    ("wrong-type", "study-fixture-meta", lambda d: d["studies"][1].update(includes=["claim-fixture-ketamine-trd"])),
    ("wrong-type", "study-fixture-rct", lambda d: d["studies"][0].update(claims=["study-fixture-meta"])),
    ("wrong-type", "study-fixture-rct", lambda d: d["studies"][0].update(comparator_treatment="madrs")),
    ("ci-order", "res-fixture-meta-smd", lambda d: _result(d, "res-fixture-meta-smd").update(ci_lower=-0.5)),
    ("ci-order", "res-fixture-rct-madrs-day1", lambda d: _result(d, "res-fixture-rct-madrs-day1").update(ci_upper=-13)),
    ("arm-or-contrast", "res-fixture-rct-response-ketamine",
     lambda d: _result(d, "res-fixture-rct-response-ketamine").pop("arm")),
    ("arm-or-contrast", "res-fixture-rct-madrs-day1",
     lambda d: _result(d, "res-fixture-rct-madrs-day1").update(arm="ketamine")),
    ("arm-or-contrast", "res-fixture-rct-madrs-day1", lambda d: _result(d, "res-fixture-rct-madrs-day1").pop("contrast")),
    ("misplaced-field", "madrs", lambda d: d["entities"][4].update(category="acute")),
])
def test_broken_evidence_is_caught_naming_the_record(rule: str, record: str, edit, tmp_path: Path, layout: Layout) -> None:
    project = _project(tmp_path, layout, edit)
    problems = curation.check(curation.load(project.curated))
    assert any(p.rule == rule and p.where.endswith(f" {record}") for p in problems), "\n".join(map(str, problems))


@pytest.mark.parametrize(("field", "value", "expect"), [
    ("value", "-4.0", "value: expected a number, got str '-4.0'"),
    ("n_intervention", 20.5, "n_intervention: expected a whole number, got float 20.5"),
    ("measure", "mean-diff", "measure: Input should be"),
])
def test_a_wrong_kind_of_value_is_one_clear_line(field: str, value: object, expect: str, tmp_path: Path,
                                                   layout: Layout, capsys) -> None:
    project = _project(tmp_path, layout, lambda d: _result(d, "res-fixture-rct-madrs-day1").update({field: value}))
    with pytest.raises(CurationError, match="res-fixture-rct-madrs-day1: schema: " + expect):
        curation.load(project.curated)
    code = main(["build", "--root", str(project.root)])
    err = capsys.readouterr().err
    assert code == 3 and err.count("\n") == 1 and expect in err and "Traceback" not in err, err
