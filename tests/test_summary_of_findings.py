"""The summary of findings (issue 17, point 4): ``ketamine-kg query summary-of-findings`` and the
explorer's Summary of findings page, as a user reads them.

Two worlds: the made-up pooled estimates of ``tests/fixtures/pooled-estimates.ttl`` (figures
invented) loaded beside the built graph, so that every column is checked against a known answer
whatever the build writes; and the built graph itself, whose treatment-resistant depression rows are
recomputed here from the curated results.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from ketamine_kg.cli.main import main
from ketamine_kg.query.catalogue import load_catalogue
from ketamine_kg.query.engine import QueryWorker
from ketamine_kg.query.run import run_named

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "pooled-estimates.ttl"
QUERY = load_catalogue(ROOT / "queries")["summary-of-findings"]
TRD = "kkr:treatment-resistant-depression"
KKR = "https://w3id.org/ketamine-kg/resource/"
SMD_POOL = "kkr:pooled-esketamine-nasal-spray-treatment-resistant-depression-depressive-symptoms-inert-placebo-2-to-7-days"
HARM_POOL = "kkr:pooled-esketamine-nasal-spray-treatment-resistant-depression-dissociation-inert-placebo-reported-period"


@pytest.fixture(scope="module")
def fixture_graph(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built graph plus the made-up pooled estimates, as one N-Triples file."""
    import pyoxigraph as ox

    store = ox.Store()
    store.load(path=str(ROOT / "graph" / "ketamine-kg.nt"), format=ox.RdfFormat.N_TRIPLES)
    store.load(path=str(FIXTURE), format=ox.RdfFormat.TURTLE)
    out = tmp_path_factory.mktemp("sof") / "with-pools.nt"
    store.dump(output=str(out), format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph())
    return out


@pytest.fixture(scope="module")
def fixture_worker(fixture_graph: Path) -> Iterator[QueryWorker]:
    with QueryWorker(fixture_graph) as w:
        yield w


def test_the_fixture_rows_read_as_a_summary_of_findings(fixture_worker: QueryWorker) -> None:
    rows = run_named(fixture_worker, QUERY, {"condition": TRD}).records()
    # Only the condition's own pools (the bipolar one is not here), efficacy before harms.
    assert [r["pooled"] for r in rows] == [SMD_POOL, HARM_POOL]
    smd, harm = rows
    assert (smd["drugLabel"], smd["comparison"], smd["outcomeLabel"], smd["window"]) == (
        "esketamine nasal spray (Spravato)", "inert placebo", "depressive symptoms", "2 to 7 days")
    assert (smd["studies"], smd["participants"], smd["measureLabel"]) == ("3", "512", "Hedges' g")
    assert (Decimal(smd["value"]), Decimal(smd["ciLower"]), Decimal(smd["ciUpper"])) == (
        Decimal("-0.41"), Decimal("-0.62"), Decimal("-0.2"))
    # Continuous outcome: no absolute effect per 1,000.
    assert not any(k in smd for k in ("comparatorRiskPer1000", "absolutePer1000"))
    # Certainty in words, reasons in the fixed domain order with their levels and figures.
    assert smd["certainty"] == "low" and smd["certaintyRank"] == "2"
    assert smd["certaintyReasons"] == (
        "risk of bias (-1): 60% of participants in trials at low risk of bias (under 75%); "
        "imprecision (-1): 512 participants, but the interval crosses a small effect")
    assert (harm["outcomeKind"], harm["outcomeLabel"], harm["window"], harm["measureLabel"]) == (
        "harm", "dissociation", "reported period", "risk ratio")
    assert [Decimal(harm[k]) for k in ("comparatorRiskPer1000", "absolutePer1000", "absoluteLowerPer1000",
                                       "absoluteUpperPer1000")] == [40, 220, 88, 484]
    assert (harm["certainty"], harm["certaintyReasons"]) == ("moderate", "imprecision (-1): fewer than 300 events")


def test_a_pool_with_no_domain_moved_says_so(fixture_worker: QueryWorker) -> None:
    rows = run_named(fixture_worker, QUERY, {"condition": "bipolar-depression"}).records()
    assert len(rows) == 1
    assert (rows[0]["certainty"], rows[0]["certaintyReasons"], rows[0]["measureLabel"]) == (
        "high", "no domain moved", "mean difference")


@pytest.mark.parametrize("value", [TRD, "treatment-resistant-depression", KKR + "treatment-resistant-depression"])
def test_the_condition_is_a_slug_a_curie_or_an_iri(value: str, fixture_graph: Path, capsys) -> None:
    code = main(["query", "summary-of-findings", "-p", f"condition={value}", "--format", "json",
                 "--graph", str(fixture_graph), "--root", str(ROOT)])
    out, err = capsys.readouterr()
    assert code == 0, err
    pooled = [b["pooled"]["value"] for b in json.loads(out)["results"]["bindings"]]
    assert pooled == [KKR + SMD_POOL.removeprefix("kkr:"), KKR + HARM_POOL.removeprefix("kkr:")]


@pytest.mark.parametrize("value", ["aspirin", "kkr:ketamine", "no such<condition>", "MONDO:0000000"])
def test_a_bad_condition_is_one_line_and_exit_2(value: str, capsys) -> None:
    code = main(["query", "summary-of-findings", "-p", f"condition={value}", "--root", str(ROOT)])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "Traceback" not in err and ("condition" in err or value in err), err


# -- the explorer page (headless AppTest; the real browser is in test_viewer_browser.py) ------------
def test_the_page_shows_the_table_in_words(fixture_graph: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("streamlit", reason="the viewer extra is not installed")
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("KETAMINE_KG_GRAPH", str(fixture_graph))
    at = AppTest.from_file(str(ROOT / "app" / "views" / "summary.py"), default_timeout=120)
    at.query_params["condition"] = TRD
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert [s.value.replace("\\", "") for s in at.subheader] == ["esketamine nasal spray (Spravato) against inert placebo"]
    table = next(m.value for m in at.markdown if m.value.startswith("| Outcome"))
    shown = table.replace("\\", "")
    assert "| 3 | 512 | Hedges' g −0.41 (95% CI −0.62 to −0.20) |  | **low** | risk of bias (-1)" in shown
    assert "220 more per 1,000 (95% CI 88 more to 484 more); comparator 40 per 1,000 | **moderate**" in shown
    # each outcome links to its pooled estimate's page; no slug or IRI shown as text
    assert "](/entity?id=kkr%3Apooled-esketamine-nasal-spray-treatment-resistant-depression-dissociation" in table
    for cell_text in [line.split("](")[0] for line in shown.splitlines()[2:]]:
        assert "kkr:" not in cell_text and "w3id.org" not in cell_text and "-placebo" not in cell_text
    assert at.query_params["condition"] == [TRD] or at.query_params["condition"] == TRD
