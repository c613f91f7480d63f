"""Every study figure travels from the curated record through the built RDF to the query that the
pooling reads, and `ketamine-kg pool` answers from the graph."""

from __future__ import annotations

from decimal import Decimal

from ketamine_kg.cli.main import main
from ketamine_kg.build.curation import Curation
from ketamine_kg.layout import Layout
from ketamine_kg.cli.pool import graph_rows

KKR = "https://w3id.org/ketamine-kg/resource/"
RESULT_FIELDS = {  # curated field -> the query's column
    "value": "value", "ci_lower": "ciLower", "ci_upper": "ciUpper", "ci_level": "ciLevel", "se": "se", "sd": "sd",
    "p_value": "pValue", "n_intervention": "nIntervention", "n_control": "nControl", "n": "n", "events": "events",
    "time_value": "timeValue",
}
TEXT_FIELDS = {"measure": "measure", "contrast": "contrast", "arm": "arm", "arm_role": "armRole", "time_unit": "timeUnit",
               "time_from": "timeFrom"}
SLUG_FIELDS = {"study": "study", "outcome": "outcome", "instrument": "instrument"}
STUDY_SLUGS = {"condition": "condition", "drug": "drug", "route": "route"}


def _num(value: object) -> Decimal | None:
    return None if value is None else Decimal(str(value)).normalize()


def test_every_result_figure_reaches_the_pooling_query(layout: Layout, curated: Curation) -> None:
    rows = {row["id"].removeprefix(KKR): row for row in graph_rows(layout.root)}
    studies = {s.id: s for s in curated.studies if s.condition}
    expected_ids = {r.id for r in curated.results if r.study in studies}
    assert set(rows) == expected_ids and len(expected_ids) > 300
    for r in curated.results:
        if r.id not in rows:
            continue
        row, study = rows[r.id], studies[r.study]
        for field, column in RESULT_FIELDS.items():
            assert _num(getattr(r, field)) == _num(row.get(column)), (r.id, field)
        for field, column in TEXT_FIELDS.items():
            assert getattr(r, field) == row.get(column), (r.id, field)
        for field, column in SLUG_FIELDS.items():
            assert getattr(r, field) == (row[column].removeprefix(KKR) if column in row else None), (r.id, field)
        for field, column in STUDY_SLUGS.items():
            assert getattr(study, field) == (row[column].removeprefix(KKR) if column in row else None), (r.id, field)
        assert (study.comparator_kind, study.design) == (row.get("comparatorKind"), row.get("design")), r.id


def test_pool_answers_from_the_graph(capsys) -> None:
    # Three abstinence trials report odds ratios or per-arm counts; the command pools them and names
    # each included result, and what it left out, with the reason.
    code = main(["pool", "--measure", "odds-ratio", "--outcome", "abstinence", "--method", "dl"])
    out = capsys.readouterr().out
    assert code == 0
    assert "Pooled odds-ratio (pooled as log odds-ratio): DerSimonian-Laird" in out
    assert "studies (k)           3" in out
    assert "res-dakwar-2019-abstinence-final2wk-or" in out
    assert "Excluded (" in out


def test_pool_says_why_nothing_was_pooled(capsys) -> None:
    code = main(["pool", "--measure", "hazard-ratio", "--outcome", "relapse"])
    captured = capsys.readouterr()
    assert code == 1
    assert "per-arm relapse-rate: cannot give a hazard-ratio" in captured.out
    assert captured.err.strip().startswith("ketamine-kg: error: nothing pooled")
    assert len(captured.err.strip().splitlines()) == 1


def test_pool_rejects_a_bad_method_in_one_line(capsys) -> None:
    code = main(["pool", "--measure", "risk-ratio", "--method", "bayes"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "bayes" in err
