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
    # The build's own pooled estimates out, so that the made-up ones are the only ones.
    store.update(
        "PREFIX kk: <https://w3id.org/ketamine-kg/ontology#> DELETE { ?s ?p ?o } WHERE {"
        " VALUES ?t { kk:PooledEstimate kk:PooledInclusion kk:CertaintyReason } ?s a ?t ; ?p ?o . }"
    )
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
        "esketamine nasal spray (Spravato)", "inert placebo", "depressive symptom severity", "2 to 7 days")
    assert (smd["studies"], smd["participants"], smd["studiesWithoutN"], smd["measureLabel"]) == ("3", "512", "1", "Hedges' g")
    assert harm["studiesWithoutN"] == "0"
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
    assert "| 3 | 512 (+ 1 study, n not recorded) | Hedges' g −0.41 (95% CI −0.62 to −0.20) |  | **low** | risk of bias (-1)" in shown
    assert "220 more per 1,000 (95% CI 88 more to 484 more); comparator 40 per 1,000 | **moderate**" in shown
    assert "[harm: dissociation](/entity?id=" in shown
    # each outcome links to its pooled estimate's page; no slug or IRI shown as text
    assert "](/entity?id=kkr%3Apooled-esketamine-nasal-spray-treatment-resistant-depression-dissociation" in table
    for cell_text in [line.split("](")[0] for line in shown.splitlines()[2:]]:
        assert "kkr:" not in cell_text and "w3id.org" not in cell_text and "-placebo" not in cell_text
    assert at.query_params["condition"] == [TRD] or at.query_params["condition"] == TRD


# -- the built graph: treatment-resistant depression, recomputed by hand from the curated results ---
KK = "https://w3id.org/ketamine-kg/ontology#"


def _cli_rows(capsys, *args: str) -> list[dict[str, str]]:
    code = main(["query", "summary-of-findings", "--format", "json", "--root", str(ROOT), *args])
    out, err = capsys.readouterr()
    assert code == 0, err
    return [{k: v["value"] for k, v in b.items()} for b in json.loads(out)["results"]["bindings"]]


def _pool_facts(worker: QueryWorker, pooled_iri: str) -> tuple[set[str], Decimal]:
    """The result ids a pooled estimate includes, and its tau², as the built graph states them."""
    from ketamine_kg.query.results import Term

    text = (f"SELECT ?pool ?result ?tau2 WHERE {{ ?pool <{KK}includesResult> ?result ; <{KK}tau2> ?tau2 . }}")
    rows = worker.run(text, {"pool": Term.iri(pooled_iri)}).records()
    assert rows, f"{pooled_iri} includes no result"
    return {r["result"].removeprefix("kkr:") for r in rows}, Decimal(rows[0]["tau2"])


def _by_study(results: list) -> dict[str, list]:
    studies: dict[str, list] = {}
    for r in results:
        studies.setdefault(r.study, []).append(r)
    return studies


def _participants(results: list) -> int:
    """Participants as a reader adds them up: per study, every arm once (per-arm counts: each arm's n;
    contrasts: each intervention arm's n and the shared control's once). A study whose n is not
    recorded adds nothing, as ``ketamine-kg pool`` counts it apart ("+ k studies whose n is unknown")."""
    total = 0
    for rs in _by_study(results).values():
        arms = [r for r in rs if r.arm_role]
        contrasts = [r for r in rs if not r.arm_role]
        if any(r.n is None for r in arms) or any(r.n_intervention is None or r.n_control is None for r in contrasts):
            continue
        total += sum(r.n for r in arms)
        total += sum(r.n_intervention for r in contrasts) + max((r.n_control for r in contrasts), default=0)
    return total


def _studies_without_n(results: list) -> int:
    return sum(
        any(r.n is None for r in rs if r.arm_role)
        or any(r.n_intervention is None or r.n_control is None for r in rs if not r.arm_role)
        for rs in _by_study(results).values()
    )


def test_trd_rows_are_the_curated_results_added_up(worker: QueryWorker, curated, capsys) -> None:
    """Issue 17 point 4: every row of ``query summary-of-findings -p condition=treatment-resistant-depression``
    against the curated results it includes: each is a result of a study of that drug form in TRD, on
    the row's adverse effect (harm rows); k is the number of their studies; participants their arms
    added up."""
    rows = _cli_rows(capsys, "-p", "condition=treatment-resistant-depression")
    assert len(rows) >= 2, "the built graph has pooled estimates for treatment-resistant depression"
    results = {r.id: r for r in curated.results}
    studies = {s.id: s for s in curated.studies}
    labels = {e.id: e.label for e in curated.entities}
    assert {r["certainty"] for r in rows} <= {"high", "moderate", "low", "very low"}
    for row in rows:
        ids, _tau2 = _pool_facts(worker, row["pooled"])
        included = [results[i] for i in sorted(ids)]
        drug = row["drug"].removeprefix(KKR)
        for r in included:
            assert studies[r.study].drug == drug and studies[r.study].condition == "treatment-resistant-depression", r.id
            if row["outcomeKind"] == "harm":
                assert labels[r.harm] == row["outcomeLabel"], r.id
        assert int(row["studies"]) == len(_by_study(included)), row["pooled"]
        assert int(row["participants"]) == _participants(included), row["pooled"]
        assert int(row["studiesWithoutN"]) == _studies_without_n(included), row["pooled"]
        assert Decimal(row["ciLower"]) <= Decimal(row["value"]) <= Decimal(row["ciUpper"])
        if row["certainty"] != "high":
            assert row["certaintyReasons"] and row["certaintyReasons"] != "no domain moved", row["pooled"]


def test_a_trd_harm_row_is_the_inverse_variance_risk_ratio_recomputed(worker: QueryWorker, curated, capsys) -> None:
    """One harm row's risk ratio and absolute effect per 1,000, recomputed here with the textbook
    formulas from the arms' counts (dose arms added up; the fixed-effect estimate, which is also the
    random-effects one when tau² is 0, as the row's pool states)."""
    import math

    rows = [r for r in _cli_rows(capsys, "-p", "condition=treatment-resistant-depression")
            if r["measureLabel"] == "risk ratio" and r["outcomeKind"] == "harm"]
    results = {r.id: r for r in curated.results}
    checked = 0
    for row in rows:
        ids, tau2 = _pool_facts(worker, row["pooled"])
        arms = _by_study([results[i] for i in ids])
        counts = []
        for rs in arms.values():
            a = sum(r.events for r in rs if r.arm_role == "intervention")
            n1 = sum(r.n for r in rs if r.arm_role == "intervention")
            (c, n2) = next((r.events, r.n) for r in rs if r.arm_role == "comparator")
            counts.append((a, n1, c, n2))
        if tau2 != 0 or any(0 in (a, c) for a, _, c, _ in counts):
            continue  # a zero cell needs a continuity correction; tau² > 0 a random-effects weight
        weights = [1 / (1 / a - 1 / n1 + 1 / c - 1 / n2) for a, n1, c, n2 in counts]
        log_rr = [math.log((a / n1) / (c / n2)) for a, n1, c, n2 in counts]
        pooled = math.exp(sum(w * y for w, y in zip(weights, log_rr)) / sum(weights))
        assert float(row["value"]) == pytest.approx(pooled, rel=1e-4), row["pooled"]
        risk = sum(c for *_, c, _ in counts) / sum(n2 for *_, n2 in counts)
        assert float(row["comparatorRiskPer1000"]) == pytest.approx(1000 * risk, rel=1e-4)
        assert float(row["absolutePer1000"]) == pytest.approx(1000 * (pooled * risk - risk), rel=1e-3)
        checked += 1
    assert checked >= 1, "no harm row with tau² = 0 and no zero cell to recompute"


def test_the_trd_efficacy_row_matches_the_pool_command(capsys) -> None:
    """The efficacy row of TRD against ``ketamine-kg pool --format json`` asked the same question."""
    rows = [r for r in _cli_rows(capsys, "-p", "condition=treatment-resistant-depression")
            if r["outcomeKind"] == "efficacy" and r["window"] == "8 to 28 days" and r["comparison"] == "inert placebo"
            and r["outcomeLabel"] == "depressive symptom severity"]
    assert len(rows) == 1
    row = rows[0]
    measure = {"mean difference": "mean-difference", "standardized mean difference": "smd"}[row["measureLabel"]]
    code = main(["pool", "--measure", measure, "--condition", "treatment-resistant-depression",
                 "--drug", row["drug"].removeprefix(KKR), "--construct", "depressive-symptoms",
                 "--comparison", "inert-placebo", "--time-min", "7.000001", "--time-max", "28", "--format", "json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    summary = json.loads(out)["summary"]
    assert int(row["studies"]) == summary["k"] and int(row["participants"]) == summary["n"]
    assert int(row["studiesWithoutN"]) == summary["n_unknown_count"]
    for ours, theirs in (("value", "estimate"), ("ciLower", "ci_lower"), ("ciUpper", "ci_upper")):
        assert float(row[ours]) == pytest.approx(summary[theirs], abs=1e-5)
