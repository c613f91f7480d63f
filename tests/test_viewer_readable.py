"""What the explorer prints for people, without a browser: a result as one line, identifiers
grouped once each, a SPARQL error at the construct left open, the clinicians' tables, and the
page that names its backend so a deep link makes no 404."""

from __future__ import annotations

import asyncio
import csv
import io
import zipfile

import pytest

pytest.importorskip("streamlit", reason="the viewer extra is not installed")

from ketamine_kg.query.results import Term
from ketamine_kg.viewer.answers import plain_error, unclosed
from ketamine_kg.viewer.identifiers_view import identifier_rows, identifiers_md
from ketamine_kg.viewer.launch import BASE_URL_SCRIPT, BackendAtRoot
from ketamine_kg.viewer.result_lines import (
    arm_table,
    result_text,
    results_query,
    study_results_md,
)

KKR = "https://w3id.org/ketamine-kg/resource/"


@pytest.fixture(scope="module")
def abbar(worker) -> list[dict[str, str]]:
    """Abbar 2022's results: an overall odds ratio, three strata with the same outcome and time,
    and per-arm remission rates."""
    return worker.run(results_query("study"), {"entity": Term.iri(KKR + "study-abbar-2022-ketsi")}).records()


def test_a_result_reads_as_one_line_with_measure_in_words_value_ci_p_time_and_arms(abbar) -> None:
    overall = next(r for r in abbar if r["result"] == "kkr:res-abbar-2022-remission-day3-or")
    line = result_text(overall)
    assert "odds ratio" in line and "3.7 (95% CI 1.9 to 7.3)" in line and "p < 0.001" in line
    assert "day 3" in line and "ketamine vs placebo" in line and "intention to treat" in line
    assert "odds-ratio" not in line  # the measure's slug is never shown


def test_strata_are_never_collapsed_into_identical_lines(abbar) -> None:
    contrasts = [r for r in abbar if r.get("contrast")]
    assert len(contrasts) == 4
    lines = [result_text(r) for r in contrasts]
    assert len(set(lines)) == 4, lines
    assert any("bipolar" in line and "14.1 (95% CI 3 to 92.2)" in line for line in lines)


def test_per_arm_rates_form_a_small_table_by_arm(abbar) -> None:
    table = arm_table(abbar).replace("\\", "")  # as the page shows it (the markdown's escapes go)
    header, rule, *rows = table.splitlines()
    assert "ketamine" in header and "placebo" in header
    assert len(rows) == 1 and "46 with the event, 63%" in rows[0] and "25 with the event, 31.6%" in rows[0]
    # per-arm rows are in the table, not repeated as lines
    (block,) = study_results_md(abbar)
    assert block.count("/entity?id=kkr%3Ares-abbar") == 4


def test_subgroup_and_analysis_set_are_shown_where_present() -> None:
    row = {
        "result": "kkr:r",
        "outcomeLabel": "remission",
        "measureLabel": "risk ratio",
        "measureNotation": "risk-ratio",
        "value": "1.50",
        "subgroup": "aged 65-74",
        "analysisSet": "mitt",
        "timeValue": "4",
        "timeUnit": "week",
    }
    assert (
        result_text(row)
        == "Remission, week 4: risk ratio (RR) 1.5 · subgroup: aged 65-74 · modified intention to treat"
    )


def test_identifiers_grouped_by_vocabulary_once_each_and_broad_apart_from_exact() -> None:
    props = [
        {"p": "oboInOwl:hasDbXref", "value": "MONDO:0002009", "id": ""},
        {"p": "oboInOwl:hasDbXref", "value": "MESH:D061218", "id": ""},
        {"p": "skos:broadMatch", "value": "", "id": "http://purl.obolibrary.org/obo/MONDO_0002009"},
        {"p": "skos:exactMatch", "value": "", "id": "http://id.nlm.nih.gov/mesh/D061218"},
    ]
    rows = identifier_rows(props, {"MONDO:0002009": "major depressive disorder"})
    assert [(i.curie, i.relation) for i in rows] == [("MESH:D061218", "exact"), ("MONDO:0002009", "broader")]
    text = identifiers_md(rows)
    same, other = text.split("Related identifiers")
    assert "MESH:D061218" in same and "MONDO" not in same
    assert "MONDO:0002009" in other and "a broader term" in other
    assert "\\." not in text and "\\_" not in text  # no escaped IRI as text


def test_an_unclosed_filter_is_pointed_at_not_the_brace_after_it() -> None:
    query = 'SELECT ?c WHERE {\n  ?c a kk:Claim .\n  FILTER(CONTAINS(STR(?c), "(ptsd")\n}'
    assert unclosed(query) == (3, 9, "FILTER(")
    message, marker = plain_error('malformed SPARQL: error at 4:1: expected one of ")"', query)
    assert "FILTER(" in message and "line 3, column 9" in message
    assert marker is not None and marker.splitlines()[1].index("^") == 8


def test_balanced_brackets_in_strings_iris_and_comments_are_not_reported() -> None:
    assert unclosed('SELECT * WHERE { ?s <http://x/a(> "a{" # {(\n ?s ?p ?o }') is None


def test_the_clinicians_tables_have_every_sheet_the_meaning_columns_and_a_dictionary(worker) -> None:
    from ketamine_kg.viewer.spreadsheet import DICTIONARY, csv_zip, tables, xlsx

    sheets = tables(lambda q: worker.run(q).records())
    assert {"claims", "studies", "results", "pooled"} <= set(sheets)
    results = sheets["results"]
    for column in ("printed", "contrast_order", "comparison", "endpoint_role", "subgroup", "analysis_set"):
        assert column in results[0]
    bipolar = next(r for r in results if r["result"] == "kkr:res-abbar-2022-remission-day3-or-bipolar")
    assert "14.1 (95% CI 3 to 92.2)" in bipolar["printed"] and bipolar["ci_upper"] in ("92.2", "92.20")
    assert all(r["studies_pooled"] for r in sheets["pooled"])
    # one row per claim, study and result
    for sheet, key in (("claims", "claim"), ("studies", "study"), ("results", "result")):
        ids = [r[key] for r in sheets[sheet]]
        assert len(ids) == len(set(ids)), sheet
    counts = worker.run("SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a kk:Study }").records()
    assert len(sheets["studies"]) == int(counts[0]["n"])
    with zipfile.ZipFile(io.BytesIO(csv_zip(sheets))) as archive:
        names = {n.rsplit("/", 1)[-1] for n in archive.namelist()}
        assert names == {"claims.csv", "studies.csv", "results.csv", "pooled.csv", "data-dictionary.csv"}
        dictionary = list(
            csv.DictReader(io.StringIO(archive.read("ketamine-kg-tables/data-dictionary.csv").decode("utf-8-sig")))
        )
    assert {(d["sheet"], d["column"]) for d in dictionary} == {
        (s, c) for s, cols in DICTIONARY.items() for c, _ in cols
    }
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(xlsx(sheets)))
    assert book.sheetnames == ["claims", "studies", "results", "pooled", "data dictionary"]
    assert book["results"].max_row == len(results) + 1


def _serve(app_body: bytes, content_type: bytes, path: str = "/entity") -> bytes:
    async def app(scope, receive, send):
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", content_type), (b"content-length", str(len(app_body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": app_body})

    sent: list[dict] = []

    async def send(message):
        sent.append(message)

    asyncio.run(BackendAtRoot(app)({"type": "http", "path": path}, None, send))
    headers = dict(sent[0]["headers"])
    body = b"".join(m.get("body", b"") for m in sent[1:])
    assert int(headers[b"content-length"]) == len(body)
    return body


def test_a_page_names_its_backend_at_the_root_so_deep_links_probe_nothing_else() -> None:
    body = _serve(b"<html><head><title>x</title></head></html>", b"text/html; charset=utf-8")
    assert body.startswith(b"<html><head>" + BASE_URL_SCRIPT)
    # scripts, styles and Streamlit's own endpoints pass untouched
    assert _serve(b"<head>", b"application/javascript", "/static/js/index.js") == b"<head>"
    assert _serve(b"<head>", b"text/html", "/_stcore/health") == b"<head>"


def test_the_results_sheet_puts_each_between_group_figure_on_the_pooling_convention(worker, curated) -> None:
    from pathlib import Path

    from ketamine_kg.viewer.spreadsheet import tables

    text = (Path(__file__).resolve().parents[1] / "queries" / "inputs" / "pooling-inputs.rq").read_text("utf-8")
    sheets = tables(lambda q: worker.run(q).records(), worker.run(text).records())
    rows = {r["result"].removeprefix("kkr:"): r for r in sheets["results"]}
    # Murrough 2013 printed +7.95 (3.2 to 12.71), midazolam minus ketamine on MADRS (lower is better).
    murrough = rows["res-murrough-2013-madrs-24h-md"]
    assert murrough["value"] in ("7.95", "7.950") and murrough["contrast_order"] == "comparator-minus-intervention"
    assert (murrough["harmonized_value"], murrough["harmonized_ci_lower"], murrough["harmonized_ci_upper"]) == (
        "-7.95", "-12.71", "-3.2",
    )
    assert murrough["favours"] == "drug"
    # Every between-group figure either has a harmonized value or says why not; per-arm rows have neither.
    by_id = {r.id: r for r in curated.results}
    # The pooling reads results of studies with a condition (queries/inputs/pooling-inputs.rq).
    with_condition = {s.id for s in curated.studies if s.condition}
    for rid, row in rows.items():
        record = by_id[rid]
        if record.study not in with_condition:
            continue
        if record.arm_role:
            assert not row["harmonized_value"] and not row["not_harmonized_because"], rid
        elif record.contrast_order == "not-stated":
            assert not row["harmonized_value"] and row["not_harmonized_because"], rid
        else:
            assert bool(row["harmonized_value"]) != bool(row["not_harmonized_because"]), rid
