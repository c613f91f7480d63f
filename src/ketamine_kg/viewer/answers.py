"""Answers people read: labels first with IRIs as links to entity pages, column names in words,
dates as dates, a one-line summary drawn from the rows, and SPARQL errors in plain words."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from ketamine_kg.query.results import QueryResult, compact

from .text import entity_url

if TYPE_CHECKING:
    from streamlit.elements.lib.column_types import ColumnConfig

__all__ = ["column_words", "plain_error", "readable", "show_table", "summary_line"]

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
_LOCAL = ("kkr:", "kk:")


def column_words(name: str) -> str:
    """``claimConditionLabel`` -> "claim condition"; ``bestEvidenceRank`` -> "best evidence rank"."""
    if name.endswith("Label") and len(name) > 5:
        name = name[:-5]
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name).replace("_", " ").lower().strip()
    return words[:1].upper() + words[1:]


def readable(result: QueryResult, labels: dict[str, str] | None = None) -> tuple[pd.DataFrame, dict[str, ColumnConfig]]:
    """The answer as a frame for people and its column configuration.

    Each IRI column becomes a link to its entity page showing the label (its ``xLabel`` column,
    else the graph's label, else the CURIE) and its ``xLabel`` column goes; a column of nothing
    but unlabelled IRIs moves to the end; dates become dates; names become words.
    """
    labels = labels or {}
    variables = list(result.variables)
    index = {v: i for i, v in enumerate(variables)}
    iri_columns = {
        v for v in variables if any(t is not None and t.kind == "iri" for t in (r[index[v]] for r in result.rows))
    }
    merged = {f"{v}Label" for v in iri_columns if f"{v}Label" in index} | (
        {"label"} if len(iri_columns) == 1 and "label" in index else set()
    )
    columns: dict[str, list[object]] = {}
    config: dict[str, ColumnConfig] = {}
    unlabelled: list[str] = []
    for v in variables:
        if v in merged:
            continue
        values: list[object] = []
        if v in iri_columns:
            label_col = f"{v}Label" if f"{v}Label" in index else ("label" if "label" in merged else None)
            any_label = False
            for row in result.rows:
                term = row[index[v]]
                if term is None:
                    values.append(None)
                    continue
                curie = compact(term)
                label = row[index[label_col]] if label_col else None
                text = label.value if label is not None else labels.get(curie)
                any_label = any_label or text is not None
                if term.kind == "iri" and curie.startswith(_LOCAL):
                    values.append(f"{entity_url(curie)}#{text or curie}")
                else:
                    values.append(f"{term.value}#{text or curie}" if term.value.startswith("http") else curie)
            name = column_words(v)
            config[name] = st.column_config.LinkColumn(name, display_text=r"#(.*)$", width="medium")
            if not any_label:
                unlabelled.append(name)
        else:
            raw = [t.value if t is not None else None for t in (row[index[v]] for row in result.rows)]
            name = column_words(v)
            present = [x for x in raw if x is not None]
            if present and all(_DATE.match(x) for x in present):
                values = list(pd.to_datetime(pd.Series(raw), errors="coerce"))
                config[name] = st.column_config.DateColumn(name, format="D MMM YYYY")
            elif present and all(re.fullmatch(r"-?\d+(\.\d+)?", x) for x in present):
                values = list(pd.to_numeric(pd.Series(raw)))
            elif present and set(present) <= {"true", "false"}:
                values = [None if x is None else ("yes" if x == "true" else "no") for x in raw]
            else:
                values = list(raw)  # a list[object] of its own (list is invariant)
                longest = max((len(x) for x in present), default=0)
                if longest > 60:
                    config[name] = st.column_config.TextColumn(name, width="large")
        columns[column_words(v)] = values
    frame = pd.DataFrame(columns)
    order = [c for c in frame.columns if c not in unlabelled] + unlabelled
    return frame[order], config


def _plural(word: str) -> str:
    if word.endswith("s"):
        return word
    return word[:-1] + "ies" if word.endswith("y") and word[-2:-1] not in "aeiou" else word + "s"


def summary_line(frame: pd.DataFrame) -> str:
    """One plain sentence from the rows: what they share, what they count, the years they span."""
    if frame.empty:
        return "No answers."
    subject = ""
    counts: list[str] = []
    years: list[int] = []
    for column in frame.columns:
        series = frame[column].dropna()
        if series.empty:
            continue
        if pd.api.types.is_datetime64_any_dtype(series):
            years = sorted({d.year for d in series})
            continue
        texts = series.astype(str).map(lambda x: x.rsplit("#", 1)[-1] if "/entity?" in x or x.startswith("http") else x)
        distinct = texts.nunique()
        if column.lower() in ("year",) and pd.api.types.is_numeric_dtype(series):
            years = sorted(int(y) for y in series)
            continue
        textual = not pd.api.types.is_numeric_dtype(series) and not set(texts) <= {"yes", "no"}
        if distinct == 1 and len(frame) > 1 and not subject and textual and len(texts.iloc[0]) < 50:
            subject = texts.iloc[0]
        elif 1 < distinct < len(frame) + 1 and textual and len(counts) < 3 and texts.str.len().max() < 80:
            counts.append(f"{distinct} {_plural(column.lower())}")
    parts = [f"{len(frame)} row{'s' * (len(frame) != 1)}"] + counts
    if years:
        parts.append(f"since {years[0]}" if years[0] != years[-1] else f"in {years[0]}")
    return (f"{subject}: " if subject else "") + ", ".join(parts)


def show_table(result: QueryResult, labels: dict[str, str] | None = None, key: str = "table") -> pd.DataFrame:
    frame, config = readable(result, labels)
    st.markdown(f"**{summary_line(frame)}**")
    st.dataframe(frame, hide_index=True, width="stretch", column_config=config, key=f"{key}-frame")
    return frame


_TOKEN_WORDS = {
    "?": "a variable",
    "$": "a variable",
    "<": "an IRI",
    ":": "a prefixed name",
    '"': "a literal",
    "'": "a literal",
    "(": "a bracket",
    "[": "a blank node",
    ".": "a full stop",
    "}": "a closing brace",
    "{": "an opening brace",
    "_:": "a blank node",
    "true": "true or false",
}


def _expected_words(expected: str) -> str:
    """The parser's list of expected tokens as a few words: "a variable, an IRI, a literal or GRAPH"."""
    words: list[str] = []
    for quoted, keyword in re.findall(
        r'"((?:[^"\\]|\\.)+)"|\b([A-Z]{2,})\b',
        expected.split("[", 1)[0] if "[" in expected and '"["' not in expected else expected,
    ):
        token = (quoted or keyword).replace('\\"', '"')
        word = _TOKEN_WORDS.get(
            token, _TOKEN_WORDS.get(token[:1]) if not keyword and token[:1] in "?$<\"'" else None
        ) or (keyword and keyword)
        if word and word not in words:
            words.append(word)
    if not words:
        return ""
    words = words[:6]
    return " It expected " + (", ".join(words[:-1]) + " or " + words[-1] if len(words) > 1 else words[0]) + "."


_WHERE = re.compile(r"error at (\d+):(\d+): (.*)", re.DOTALL)


def plain_error(message: str, text: str) -> tuple[str, str | None]:
    """A parser error in words, and the offending line with a marker under the place (or None)."""
    found = _WHERE.search(message)
    if not found:
        return " ".join(message.split()), None
    line_no, col_no, expected = int(found[1]), int(found[2]), found[3]
    lines = text.splitlines() or [""]
    line = lines[line_no - 1] if 0 < line_no <= len(lines) else ""
    rest = line[col_no - 1 :].strip()
    at_end = not rest and all(not later.strip() or later.strip().startswith("#") for later in lines[line_no:])
    hint = _expected_words(expected)
    if at_end:
        what = (
            f"The query stops before it is complete (line {line_no}, column {col_no}, its end): something is missing "
            f"or wrong before there, such as a closing brace or the rest of a pattern.{hint}"
        )
    else:
        what = f"Line {line_no}, column {col_no}: the query cannot go on with “{rest[:20]}” there.{hint}"
    marker = f"{line}\n{' ' * (col_no - 1)}^ here"
    return "malformed SPARQL. " + what, marker
