"""A result as one line a clinician reads first, as ClinicalTrials.gov's results tables do:
outcome and instrument, time point, the measure in words, value with CI and p, the arms and their
n, the subgroup or analysis set; per-arm rates as a small table. Never a slug.

Pure functions over query records (``dict[str, str]``): the pages, the spreadsheet and the tests
share them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from .text import entity_md, md_text

__all__ = [
    "RESULTS_QUERY",
    "SCOPES",
    "arm_table",
    "number",
    "result_line",
    "result_lines_md",
    "result_text",
    "results_query",
    "study_results_md",
    "time_words",
]

#: Every result with what a line shows; ``#SCOPE`` is replaced by one of :data:`SCOPES`.
_RESULTS = """
SELECT ?result ?study ?studyLabel ?outcomeLabel ?instrumentLabel ?measureLabel ?measureNotation ?timeValue
       ?timeUnit ?timeFrom ?contrast ?arm ?armRole ?value ?ciLower ?ciUpper ?ciLevel ?pValue ?pRelation
       ?nIntervention ?nControl ?n ?events ?population ?subgroup ?analysisSet ?endpointRole ?contrastOrder
       ?comparison ?comparatorArm ?verified WHERE {
  ?result a kk:Result ; kk:study ?study ; kk:measure ?measure .
  #SCOPE
  OPTIONAL { ?study rdfs:label ?studyLabel }
  OPTIONAL { ?result kk:outcome/rdfs:label ?outcomeLabel }
  OPTIONAL { ?result kk:instrument/rdfs:label ?instrumentLabel }
  OPTIONAL { ?measure rdfs:label ?measureLabel } OPTIONAL { ?measure skos:notation ?measureNotation }
  OPTIONAL { ?result kk:timeValue ?timeValue } OPTIONAL { ?result kk:timeUnit ?timeUnit }
  OPTIONAL { ?result kk:timeFrom ?timeFrom } OPTIONAL { ?result kk:contrast ?contrast }
  OPTIONAL { ?result kk:arm ?arm } OPTIONAL { ?result kk:armRole ?armRole }
  OPTIONAL { ?result kk:value ?value } OPTIONAL { ?result kk:ciLower ?ciLower }
  OPTIONAL { ?result kk:ciUpper ?ciUpper } OPTIONAL { ?result kk:ciLevel ?ciLevel }
  OPTIONAL { ?result kk:pValue ?pValue } OPTIONAL { ?result kk:pValueRelation ?pRelation }
  OPTIONAL { ?result kk:interventionCount ?nIntervention } OPTIONAL { ?result kk:controlCount ?nControl }
  OPTIONAL { ?result kk:armCount ?n } OPTIONAL { ?result kk:eventCount ?events }
  OPTIONAL { ?result kk:analysisPopulation ?population } OPTIONAL { ?result kk:subgroup ?subgroup }
  OPTIONAL { ?result kk:analysisSet ?analysisSet } OPTIONAL { ?result kk:endpointRole ?endpointRole }
  OPTIONAL { ?result kk:contrastOrder ?contrastOrder } OPTIONAL { ?result kk:comparisonClass ?comparison }
  OPTIONAL { ?result kk:comparatorArm ?comparatorArm } OPTIONAL { ?result kk:verified ?verified }
} ORDER BY ?studyLabel ?outcomeLabel ?timeUnit ?timeValue ?measureLabel ?result
"""

#: What restricts the results (fixed patterns, never user input): bind ?entity (a study, a result,
#: or a study's drug or condition), or ?drug and ?condition.
SCOPES = {
    "all": "",
    "study": "FILTER(?study = ?entity)",
    "result": "FILTER(?result = ?entity)",
    "pair": "?study kk:drug ?drug ; kk:condition ?condition .",
    "entity": "{ ?study kk:drug ?entity } UNION { ?study kk:condition ?entity }",
}


def results_query(scope: str = "all") -> str:
    """The results query restricted by ``scope`` (a key of :data:`SCOPES`)."""
    text = _RESULTS.replace("#SCOPE", SCOPES[scope])
    # A parameter the engine cannot bind as a VALUES row is substituted, which needs it projected.
    return text.replace("SELECT ?result", "SELECT ?entity ?result", 1) if "?entity" in SCOPES[scope] else text


#: Every result, unrestricted.
RESULTS_QUERY = results_query()

#: Measures people know by their abbreviation, said in full the first time.
_ABBREVIATIONS = {
    "odds-ratio": "OR",
    "risk-ratio": "RR",
    "hazard-ratio": "HR",
    "nnt": "NNT",
    "smd-hedges-g": "Hedges' g",
    "smd-cohens-d": "Cohen's d",
}
_RATES = ("rate", "percent")
_UNITS = {"minute": "minute", "hour": "hour", "day": "day", "week": "week", "month": "month"}
_ANALYSIS_SETS = {
    "itt": "intention to treat",
    "mitt": "modified intention to treat",
    "full-analysis-set": "full analysis set",
    "per-protocol": "per protocol",
    "completers": "completers",
    "safety-set": "safety set",
}
_P_WORDS = {"less-than": "<", "equal": "=", "greater-than": ">", "less-or-equal": "≤"}


def number(text: str | None) -> str:
    """``"14.10"`` -> ``"14.1"``, ``"3.0"`` -> ``"3"``, ``"0.001"`` stays; anything else unchanged."""
    if text is None or text == "":
        return ""
    try:
        value = float(text)
    except ValueError:
        return text
    if value == int(value) and abs(value) < 1e12:
        return str(int(value))
    return f"{value:.4g}" if abs(value) >= 0.001 else f"{value:.2g}"


def time_words(row: dict[str, str]) -> str:
    """``day 3``, ``week 6``, ``240 minutes``, ``2 hours after the last dose``; empty if none."""
    value, unit = number(row.get("timeValue")), _UNITS.get(row.get("timeUnit", ""), row.get("timeUnit", ""))
    if not value:
        return ""
    if unit in ("day", "week", "month"):
        when = f"{unit} {value}"
    else:
        when = f"{value} {unit}{'s' * (value != '1')}".strip()
    anchor = row.get("timeFrom", "")
    if anchor == "last-dose":
        when += " after the last dose"
    elif anchor == "randomization":
        when += " from randomization"
    return when


def _is_rate(row: dict[str, str]) -> bool:
    notation = row.get("measureNotation", "")
    return notation.endswith(_RATES) or notation == "event-rate"


def _measure_words(row: dict[str, str]) -> str:
    words = row.get("measureLabel") or "value"
    short = _ABBREVIATIONS.get(row.get("measureNotation", ""))
    return f"{words} ({short})" if short and short != words else words


def _value_words(row: dict[str, str]) -> str:
    """``3.7 (95% CI 1.9 to 7.3), p < 0.001``; a rate as ``46/73 (63%)``."""
    value = number(row.get("value"))
    if _is_rate(row):
        events, n = row.get("events"), row.get("n")
        text = f"{value}%" if value else ""
        if events and n:
            text = f"{events}/{n}" + (f" ({text})" if text else "")
        elif events:
            text = f"{events} with the event" + (f", {text}" if text else "")
    else:
        text = value
    low, high = number(row.get("ciLower")), number(row.get("ciUpper"))
    if low and high:
        level = number(row.get("ciLevel")) or "95"
        text += f" ({level}% CI {low} to {high})"
    p = number(row.get("pValue"))
    if p:
        text += f", p {_P_WORDS.get(row.get('pRelation', 'equal'), '=')} {p}"
    return text or "no figure recorded"


def _arms_words(row: dict[str, str]) -> str:
    if row.get("contrast"):
        text = row["contrast"]
        ni, nc = row.get("nIntervention"), row.get("nControl")
        if ni and nc:
            text += f" (n = {ni} vs {nc})"
        return text
    if row.get("arm"):
        return row["arm"] + (f" (n = {row['n']})" if row.get("n") and not _is_rate(row) else "")
    return ""


def _set_words(row: dict[str, str]) -> list[str]:
    """The subgroup, then the analysis set (standard words, else the source's), then the endpoint role."""
    out = []
    if row.get("subgroup"):
        out.append(f"subgroup: {row['subgroup']}")
    analysis = _ANALYSIS_SETS.get(row.get("analysisSet", ""), "") or row.get("population", "")
    if analysis:
        out.append(analysis)
    if row.get("endpointRole") == "primary":
        out.append("primary endpoint")
    elif row.get("endpointRole") == "post-hoc":
        out.append("post hoc")
    return out


def _outcome_words(row: dict[str, str]) -> str:
    outcome = row.get("outcomeLabel", "")
    instrument = row.get("instrumentLabel", "")
    text = outcome[:1].upper() + outcome[1:] if outcome else "Result"
    if instrument and instrument.casefold() not in outcome.casefold():
        text += f" on the {instrument}" if outcome else instrument
    when = time_words(row)
    return f"{text}, {when}" if when else text


def result_text(row: dict[str, str]) -> str:
    """The line as plain text: ``Remission (SSI), day 3: odds ratio (OR) 3.7 (95% CI 1.9 to 7.3),
    p < 0.001 · ketamine vs placebo · bipolar-disorder stratum``."""
    parts = [f"{_outcome_words(row)}: {_measure_words(row)} {_value_words(row)}"]
    arms = _arms_words(row)
    if arms:
        parts.append(arms)
    parts.extend(_set_words(row))
    text = " · ".join(parts)
    if row.get("verified") == "false":
        text += " · some details unverified"
    return text


def result_line(row: dict[str, str]) -> str:
    """The line as markdown: the data shown literally, the line a link to the result's page."""
    return entity_md(row["result"], result_text(row))


def arm_table(rows: Iterable[dict[str, str]]) -> str:
    """Per-arm rates of one study as a markdown table: one row per outcome and time point, one
    column per arm, each cell ``events/n (rate%)``; empty if the rows have no per-arm rate."""
    arms: list[str] = []
    cells: dict[str, dict[str, str]] = defaultdict(dict)
    order: list[str] = []
    for row in rows:
        if not row.get("arm") or row.get("contrast") or not _is_rate(row):
            continue
        arm = row["arm"]
        if arm not in arms:
            arms.append(arm)
        key = " · ".join(x for x in (_outcome_words(row), row.get("measureLabel", ""), *_set_words(row)) if x)
        if key not in cells:
            order.append(key)
        cells[key][arm] = _value_words({k: v for k, v in row.items() if k not in ("pValue", "ciLower", "ciUpper")})
    if not order:
        return ""
    lines = [
        "| outcome | " + " | ".join(md_text(a) for a in arms) + " |",
        "|---" * (len(arms) + 1) + "|",
    ]
    for key in order:
        lines.append(f"| {md_text(key)} | " + " | ".join(md_text(cells[key].get(a, "")) for a in arms) + " |")
    return "\n".join(lines)


def result_lines_md(rows: list[dict[str, str]], limit: int | None = None) -> str:
    """Between-group results as a bullet list, one line each (per-arm rates go in the arm table)."""
    lines = ["- " + result_line(r) for r in rows if not (r.get("arm") and not r.get("contrast") and _is_rate(r))]
    if limit is not None and len(lines) > limit:
        lines = [*lines[:limit], f"- … and {len(lines) - limit} more on the study's page"]
    return "\n".join(lines)


def study_results_md(rows: list[dict[str, str]], per_study: int | None = 12) -> list[str]:
    """Markdown blocks, one per study: its label as a link, its results as lines, its per-arm table."""
    by_study: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        by_study[row["study"]].append(row)
    blocks = []
    for study, mine in by_study.items():
        head = "**" + entity_md(study, mine[0].get("studyLabel", "a study")) + "**"
        body = [b for b in (result_lines_md(mine, per_study), arm_table(mine)) if b]
        blocks.append("\n\n".join([head, *body]) if body else head + " (no results recorded)")
    return blocks
