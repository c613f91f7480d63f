"""A spreadsheet for clinicians: the claims, studies, results and published pooled estimates as
tables with a data dictionary, as CSV files in a zip and as one XLSX workbook.

Every cell is text or a number as the graph holds it; identifiers stay whole (CURIEs, PMIDs, DOIs);
each result carries the line the explorer prints for it besides its separate figures.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable
from typing import Any

from ketamine_kg.evidence.harmonize import harmonized_figure
from ketamine_kg.evidence.selection import normalise_row

from .result_lines import RESULTS_QUERY, result_text, time_words

__all__ = ["DICTIONARY", "SHEETS", "csv_zip", "tables", "xlsx"]

Records = list[dict[str, str]]
Run = Callable[[str], Records]

_CLAIMS = """
SELECT ?claim ?label ?drugLabel ?conditionLabel ?evidence ?status ?direction ?population ?dose ?route ?comparator
       ?effect ?sources WHERE {
  { SELECT ?claim (GROUP_CONCAT(DISTINCT ?ref; separator="; ") AS ?sources) WHERE {
      ?claim a kk:TherapeuticUseClaim .
      OPTIONAL { ?claim kk:source ?s . OPTIONAL { ?s kk:pmid ?pmid } OPTIONAL { ?s kk:doi ?doi }
                 OPTIONAL { ?s rdfs:label ?t }
                 BIND(COALESCE(CONCAT("PMID ", STR(?pmid)), CONCAT("doi:", STR(?doi)), STR(?t)) AS ?ref) }
    } GROUP BY ?claim }
  ?claim rdfs:label ?label ; kk:drug/rdfs:label ?drugLabel ; kk:condition/rdfs:label ?conditionLabel ;
         kk:evidenceLevel/rdfs:label ?evidence ; kk:regulatoryStatus/rdfs:label ?status ;
         kk:direction/rdfs:label ?direction .
  OPTIONAL { ?claim kk:population ?population } OPTIONAL { ?claim kk:doseText ?dose }
  OPTIONAL { ?claim kk:route/rdfs:label ?route } OPTIONAL { ?claim kk:comparator ?comparator }
  OPTIONAL { ?claim kk:effectSummary ?effect }
} ORDER BY ?conditionLabel ?drugLabel ?label
"""
_STUDIES = """
SELECT ?study (SAMPLE(?l) AS ?label) (SAMPLE(?d) AS ?design) (SAMPLE(?dl) AS ?drugLabel)
       (SAMPLE(?cl) AS ?conditionLabel) (SAMPLE(?p) AS ?population) (SAMPLE(?c) AS ?comparator)
       (SAMPLE(?r) AS ?randomized) (SAMPLE(?n) AS ?sampleSize) (SAMPLE(?k) AS ?studiesPooled)
       (GROUP_CONCAT(DISTINCT ?reg; separator="; ") AS ?registry)
       (GROUP_CONCAT(DISTINCT ?pm; separator="; ") AS ?pmid) (GROUP_CONCAT(DISTINCT ?do; separator="; ") AS ?doi)
       (SAMPLE(?v) AS ?verified) WHERE {
  ?study a kk:Study ; rdfs:label ?l .
  OPTIONAL { ?study kk:studyDesign/rdfs:label ?d }
  OPTIONAL { ?study kk:drug/rdfs:label ?dl } OPTIONAL { ?study kk:condition/rdfs:label ?cl }
  OPTIONAL { ?study kk:population ?p } OPTIONAL { ?study kk:comparator ?c }
  OPTIONAL { ?study kk:randomizedCount ?r } OPTIONAL { ?study kk:sampleSize ?n }
  OPTIONAL { ?study kk:pooledStudyCount ?k } OPTIONAL { ?study kk:registryId ?reg }
  OPTIONAL { ?study kk:source/kk:pmid ?pm } OPTIONAL { ?study kk:source/kk:doi ?do }
  OPTIONAL { ?study kk:verified ?v }
} GROUP BY ?study ORDER BY ?label
"""
_POOLED_STUDIES = """
SELECT ?study ?studiesPooled WHERE { ?study a kk:Study ; kk:pooledStudyCount ?studiesPooled }
"""

#: Sheet -> [(column, what it means)]: the order of the columns and the data dictionary.
DICTIONARY: dict[str, list[tuple[str, str]]] = {
    "claims": [
        ("claim", "The claim's identifier in the graph (open https://w3id.org/ketamine-kg/resource/<id after kkr:>)."),
        ("label", "The claim in words."),
        ("drug_form", "The drug form the claim is about."),
        ("condition", "The condition it is about."),
        ("evidence_level", "The level of the evidence behind the claim (meta-analysis ... preclinical)."),
        ("regulatory_status", "Approved, guideline-established, off-label or investigational."),
        ("direction", "Whether the evidence supports the use, does not support it, or is mixed."),
        ("population", "The population as the source describes it."),
        ("dose", "The dose as the source gives it."),
        ("route", "The route of administration."),
        ("comparator", "What the drug was compared with."),
        ("effect_summary", "The effect in the curator's words, from the source."),
        ("sources", "The sources: PMID, else DOI, else title; separated by semicolons."),
    ],
    "studies": [
        ("study", "The study's identifier in the graph."),
        ("label", "The study's short name."),
        ("design", "Study design."),
        ("drug_form", "The drug form studied (one of them, where a study has several)."),
        ("condition", "The condition studied (one of them, where a study has several)."),
        ("population", "The population as the source describes it."),
        ("comparator", "The comparator as the source names it."),
        ("randomized", "Number randomized."),
        ("sample_size", "Number of participants the source reports."),
        ("studies_pooled", "Meta-analyses: the number of studies pooled."),
        ("registry", "Trial registry identifiers (e.g. NCT numbers), separated by semicolons."),
        ("pmid", "PubMed identifiers of the sources, separated by semicolons."),
        ("doi", "DOIs of the sources, separated by semicolons."),
        ("verified", "false if a fact of the record could not be confirmed (see the graph's note)."),
    ],
    "results": [
        ("result", "The result's identifier in the graph."),
        ("study", "The study's identifier."),
        ("study_label", "The study's short name."),
        ("printed", "The result as the explorer prints it: outcome, time, measure, value, CI, p, arms, set."),
        ("outcome", "The outcome measure or endpoint."),
        ("instrument", "For endpoints: the rating scale."),
        ("time", "The time point in words."),
        ("measure", "The effect measure or summary statistic in words."),
        ("value", "The figure as reported (percent for rate measures)."),
        ("ci_lower", "Lower confidence limit."),
        ("ci_upper", "Upper confidence limit."),
        ("ci_level", "Confidence level in percent."),
        ("p_value", "p value as reported."),
        ("p_value_relation", "equal or less-than: whether the p value was reported exactly or as a bound."),
        ("contrast", "Between-group figures: which groups, as the source names them."),
        ("arm", "Per-arm figures: the arm."),
        ("n_intervention", "Contrasts: n analysed in the intervention arm."),
        ("n_control", "Contrasts: n analysed in the control arm."),
        ("n", "Per-arm figures: n in the arm."),
        ("events", "Per-arm figures: the number with the event."),
        ("analysis_population", "The analysed population in the source's words."),
        ("contrast_order", "Between-group figures: which arm minus (or over) which, as the source computed it."),
        ("comparison", "What the drug was compared with, as a class (inert placebo, active placebo, ...)."),
        ("comparator_arm", "The comparator arm's name as the source gives it."),
        ("endpoint_role", "primary, secondary, post-hoc or not-stated."),
        ("subgroup", "The subgroup the figure is for; empty means the whole analysed population."),
        ("analysis_set", "The analysis set in standard terms (itt, mitt, per-protocol, ...)."),
        ("verified", "false if a fact of the record could not be confirmed."),
        (
            "harmonized_value",
            "Between-group figures on the pooling's one convention: drug minus comparator (differences) "
            "or drug over comparator (ratios), from contrast_order; the printed value above is unchanged.",
        ),
        ("harmonized_ci_lower", "Lower confidence limit on the same convention."),
        ("harmonized_ci_upper", "Upper confidence limit on the same convention."),
        ("favours", "drug, comparator or neither (the interval crosses no effect), from the outcome's better_when."),
        (
            "not_harmonized_because",
            "Why a between-group figure has no harmonized value (e.g. its source does not say which way it runs).",
        ),
    ],
    "pooled": [
        ("result", "The pooled estimate's identifier in the graph (a result of a meta-analysis)."),
        ("study", "The meta-analysis."),
        ("study_label", "Its short name."),
        ("studies_pooled", "The number of studies it pooled."),
        ("printed", "The estimate as the explorer prints it."),
        ("outcome", "The outcome."),
        ("measure", "The effect measure."),
        ("value", "The pooled figure as published."),
        ("ci_lower", "Lower confidence limit."),
        ("ci_upper", "Upper confidence limit."),
        ("p_value", "p value as published."),
    ],
}
SHEETS = tuple(DICTIONARY)

_CLAIM_KEYS = {
    "drug_form": "drugLabel",
    "condition": "conditionLabel",
    "evidence_level": "evidence",
    "regulatory_status": "status",
    "effect_summary": "effect",
}
_STUDY_KEYS = {
    "drug_form": "drugLabel",
    "condition": "conditionLabel",
    "sample_size": "sampleSize",
    "studies_pooled": "studiesPooled",
}
#: Result columns named for the schema's fields, and the query variables that fill them.
_RESULT_FIELD_KEYS = {
    "outcome": "outcomeLabel",
    "instrument": "instrumentLabel",
    "measure": "measureLabel",
    "ci_lower": "ciLower",
    "ci_upper": "ciUpper",
    "ci_level": "ciLevel",
    "p_value": "pValue",
    "p_value_relation": "pRelation",
    "n_intervention": "nIntervention",
    "n_control": "nControl",
    "analysis_population": "population",
    "contrast_order": "contrastOrder",
    "comparator_arm": "comparatorArm",
    "endpoint_role": "endpointRole",
    "analysis_set": "analysisSet",
}
#: ... and the columns that are not a field of a result (the study's label).
_RESULT_KEYS = {"study_label": "studyLabel", **_RESULT_FIELD_KEYS}


def _rows(sheet: str, records: Records, keys: dict[str, str]) -> Records:
    columns = [c for c, _ in DICTIONARY[sheet]]
    return [{c: r.get(keys.get(c, c), "") for c in columns} for r in records]


def _harmonized(row: dict[str, Any] | None) -> dict[str, str]:
    if row is None:
        return {}
    got = harmonized_figure(row)
    if isinstance(got, str):
        return {} if row.get("arm_role") else {"not_harmonized_because": got}
    value, lower, upper, side = got
    text = [f"{x:.6g}" if x is not None else "" for x in (value, lower, upper)]
    return {
        "harmonized_value": text[0],
        "harmonized_ci_lower": text[1],
        "harmonized_ci_upper": text[2],
        "favours": side,
    }


def _result_rows(
    records: Records,
    sheet: str = "results",
    pooled: dict[str, str] | None = None,
    inputs: dict[str, dict[str, Any]] | None = None,
) -> Records:
    out = []
    for r in records:
        row = {
            **r,
            "printed": result_text(r),
            "time": time_words(r),
            "studies_pooled": (pooled or {}).get(r["study"], ""),
            **_harmonized((inputs or {}).get(r["result"].removeprefix("kkr:"))),
        }
        out.append(row)
    return _rows(sheet, out, _RESULT_KEYS)


def tables(run: Run, inputs: Records | None = None) -> dict[str, Records]:
    """Every sheet's rows (column -> text), from ``run`` (a query's text -> its records); ``inputs`` are
    the pooling's rows (queries/inputs/pooling-inputs.rq), from which each result's harmonized figure
    is computed exactly as ``ketamine-kg pool`` computes it."""
    by_id = {str(r["id"]).removeprefix("kkr:"): normalise_row(r) for r in inputs or []}
    results = run(RESULTS_QUERY)
    pooled = {r["study"]: r["studiesPooled"] for r in run(_POOLED_STUDIES)}
    return {
        "claims": _rows("claims", run(_CLAIMS), _CLAIM_KEYS),
        "studies": _rows("studies", run(_STUDIES), _STUDY_KEYS),
        "results": _result_rows(results, inputs=by_id),
        "pooled": _result_rows([r for r in results if r["study"] in pooled and r.get("contrast")], "pooled", pooled),
    }


def _dictionary_rows() -> Records:
    return [{"sheet": s, "column": c, "meaning": m} for s, cols in DICTIONARY.items() for c, m in cols]


def _csv(rows: Records, columns: list[str]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    # UTF-8 with a byte-order mark: spreadsheet programs then read the accents and dashes right.
    return buffer.getvalue().encode("utf-8-sig")


def csv_zip(sheets: dict[str, Records]) -> bytes:
    """One CSV per sheet and ``data-dictionary.csv``, in a zip with fixed timestamps."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        files = {f"{s}.csv": _csv(rows, [c for c, _ in DICTIONARY[s]]) for s, rows in sheets.items()}
        files["data-dictionary.csv"] = _csv(_dictionary_rows(), ["sheet", "column", "meaning"])
        for name, content in files.items():
            archive.writestr(zipfile.ZipInfo(f"ketamine-kg-tables/{name}", date_time=(2026, 1, 1, 0, 0, 0)), content)
    return buffer.getvalue()


def _cell(value: str) -> str | float:
    """A number stays a number in the workbook (sortable); identifiers and text stay text."""
    try:
        return float(value)
    except ValueError:
        return value


def xlsx(sheets: dict[str, Records]) -> bytes:
    """One workbook: a sheet per table, then the data dictionary; header rows frozen and bold."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    numeric = {
        "value",
        "ci_lower",
        "ci_upper",
        "ci_level",
        "p_value",
        "n_intervention",
        "n_control",
        "n",
        "events",
        "randomized",
        "sample_size",
        "studies_pooled",
    }
    for name, rows in [*sheets.items(), ("data dictionary", _dictionary_rows())]:
        sheet = book.create_sheet(name)
        columns = [c for c, _ in DICTIONARY[name]] if name in DICTIONARY else ["sheet", "column", "meaning"]
        sheet.freeze_panes = "A2"
        bold = []
        for name_of_column in columns:
            cell = WriteOnlyCell(sheet, value=name_of_column)
            cell.font = Font(bold=True)
            bold.append(cell)
        sheet.append(bold)
        for row in rows:
            sheet.append([_cell(row[c]) if c in numeric else row[c] for c in columns])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
