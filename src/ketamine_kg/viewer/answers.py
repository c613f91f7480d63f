"""Answers people read: labels first with IRIs as links to entity pages, column names in words,
dates as dates, a one-line summary drawn from the rows, and SPARQL errors in plain words."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from ketamine_kg.query.results import QueryResult, Term, compact
from ketamine_kg.rdf.iris import PUBMED_URL

from .text import EVIDENCE_LEVELS, entity_url

if TYPE_CHECKING:
    from streamlit.elements.lib.column_types import ColumnConfig

__all__ = ["column_words", "error_place", "plain_error", "unclosed", "readable", "show_table", "summary_line"]

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
_LOCAL = ("kkr:", "kk:")


def column_words(name: str) -> str:
    """``claimConditionLabel`` -> "claim condition"; ``bestEvidenceRank`` -> "best evidence rank"."""
    if name.endswith("Label") and len(name) > 5:
        name = name[:-5]
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name).replace("_", " ").lower().strip()
    return words[:1].upper() + words[1:]


def _iri_columns(result: QueryResult) -> set[str]:
    index = {v: i for i, v in enumerate(result.variables)}
    return {
        v
        for v in result.variables
        if any(t is not None and t.kind == "iri" for t in (r[index[v]] for r in result.rows))
    }


def _link_value(term: Term, text: str | None) -> str:
    """A link cell: ``URL#text`` (the column shows the text after the last ``#``)."""
    curie = compact(term)
    if term.kind == "iri" and curie.startswith(_LOCAL):
        return f"{entity_url(curie)}#{text or curie}"
    return f"{term.value}#{text or curie}" if term.value.startswith("http") else curie


def _iri_values(
    result: QueryResult, v: str, label_col: str | None, labels: dict[str, str]
) -> tuple[list[object], bool]:
    """One IRI column as link cells, and whether any of them has a label."""
    index = {name: i for i, name in enumerate(result.variables)}
    values: list[object] = []
    any_label = False
    for row in result.rows:
        term = row[index[v]]
        if term is None:
            values.append(None)
            continue
        label = row[index[label_col]] if label_col else None
        text = label.value if label is not None else labels.get(compact(term))
        any_label = any_label or text is not None
        values.append(_link_value(term, text))
    return values, any_label


#: Columns of identifiers: kept whole as text (never numbers with separators), PMIDs as links.
_IDENTIFIER = re.compile(r"(pmid|nct|doi|registry|curie|id)$", re.IGNORECASE)
_RANK = re.compile(r"(evidence)?rank$", re.IGNORECASE)


_Column = tuple[list[object], "ColumnConfig | None", str]


def _rank_column(v: str, name: str, raw: list[str | None], present: list[str]) -> _Column | None:
    ranks = {str(k) for k in EVIDENCE_LEVELS}
    if not (_RANK.search(v) and present and set(present) <= ranks):
        return None
    heading = re.sub(r"\s*rank$", "", name, flags=re.IGNORECASE) or "Evidence"
    return [EVIDENCE_LEVELS[int(x)] if x is not None else "" for x in raw], None, heading


def _identifier_column(v: str, name: str, raw: list[str | None], present: list[str]) -> _Column | None:
    if not _IDENTIFIER.search(v):
        return None
    if v.lower().endswith("pmid"):
        links: list[object] = [PUBMED_URL.format(x) + f"#{x}" if x else None for x in raw]
        return links, st.column_config.LinkColumn(name, display_text=r"#(.*)$"), name
    return [x or "" for x in raw], st.column_config.TextColumn(name), name


def _date_column(v: str, name: str, raw: list[str | None], present: list[str]) -> _Column | None:
    if not (present and all(_DATE.match(x) for x in present)):
        return None
    values = list(pd.to_datetime(pd.Series(raw), errors="coerce"))
    return values, st.column_config.DateColumn(name, format="D MMM YYYY"), name


def _number_column(v: str, name: str, raw: list[str | None], present: list[str]) -> _Column | None:
    if not (present and all(re.fullmatch(r"-?\d+(\.\d+)?", x) for x in present)):
        return None
    return list(pd.to_numeric(pd.Series(raw))), None, name


def _boolean_column(v: str, name: str, raw: list[str | None], present: list[str]) -> _Column | None:
    if not (present and set(present) <= {"true", "false"}):
        return None
    return ["" if x is None else ("yes" if x == "true" else "no") for x in raw], None, name


def _text_column(v: str, name: str, raw: list[str | None], present: list[str]) -> _Column:
    longest = max((len(x) for x in present), default=0)
    config = st.column_config.TextColumn(name, width="large") if longest > 60 else None
    # An empty cell shows nothing (not a grey "None").
    return [x if x is not None else "" for x in raw], config, name


def _literal_column(v: str, raw: list[str | None]) -> _Column:
    """One literal column for people: (values, its configuration or None, its heading); the first
    kind that fits wins: evidence ranks, identifiers, dates, numbers, yes/no, text."""
    name = column_words(v)
    present = [x for x in raw if x is not None]
    for kind in (_rank_column, _identifier_column, _date_column, _number_column, _boolean_column):
        column = kind(v, name, raw, present)
        if column is not None:
            return column
    return _text_column(v, name, raw, present)


def _merged_label_columns(variables: list[str], iri_columns: set[str]) -> set[str]:
    merged = {f"{v}Label" for v in iri_columns if f"{v}Label" in variables}
    if len(iri_columns) == 1 and "label" in variables:
        merged.add("label")
    return merged


def _without_duplicates(frame: pd.DataFrame) -> pd.DataFrame:
    """A column that shows exactly what an earlier one shows (a drug and its form) goes."""
    seen: list[pd.Series] = []
    keep = []
    for column in frame.columns:
        shown = frame[column].map(lambda x: str(x).rsplit("#", 1)[-1])
        if any(shown.equals(other) for other in seen):
            continue
        seen.append(shown)
        keep.append(column)
    return frame[keep]


def _link_column(
    result: QueryResult, v: str, label_col: str | None, labels: dict[str, str]
) -> tuple[list[object], ColumnConfig, str, bool]:
    values, any_label = _iri_values(result, v, label_col, labels)
    name = column_words(v)
    return values, st.column_config.LinkColumn(name, display_text=r"#(.*)$", width="medium"), name, any_label


def _column(
    result: QueryResult, v: str, iri_columns: set[str], merged: set[str], labels: dict[str, str]
) -> tuple[list[object], ColumnConfig | None, str, bool]:
    """One column for people: (values, configuration, heading, whether it is links without labels)."""
    index = {name: i for i, name in enumerate(result.variables)}
    if v in iri_columns:
        label_col = f"{v}Label" if f"{v}Label" in index else ("label" if "label" in merged else None)
        values, column_config, name, any_label = _link_column(result, v, label_col, labels)
        return values, column_config, name, not any_label
    raw = [t.value if t is not None else None for t in (row[index[v]] for row in result.rows)]
    values, literal_config, name = _literal_column(v, raw)
    return values, literal_config, name, False


def readable(result: QueryResult, labels: dict[str, str] | None = None) -> tuple[pd.DataFrame, dict[str, ColumnConfig]]:
    """The answer as a frame for people and its column configuration.

    Each IRI column becomes a link to its entity page showing the label (its ``xLabel`` column,
    else the graph's label, else the CURIE) and its ``xLabel`` column goes; a column of nothing
    but unlabelled IRIs moves to the end; evidence ranks become words; identifiers stay whole;
    dates become dates; empty cells stay empty; a column repeating another goes; names become words.
    """
    labels = labels or {}
    iri_columns = _iri_columns(result)
    merged = _merged_label_columns(list(result.variables), iri_columns)
    columns: dict[str, list[object]] = {}
    config: dict[str, ColumnConfig] = {}
    unlabelled: list[str] = []
    for v in (v for v in result.variables if v not in merged):
        values, column_config, name, no_label = _column(result, v, iri_columns, merged, labels)
        if no_label:
            unlabelled.append(name)
        if column_config is not None:
            config[name] = column_config
        columns[name] = values
    frame = _without_duplicates(pd.DataFrame(columns))
    order = [c for c in frame.columns if c not in unlabelled] + [c for c in unlabelled if c in frame.columns]
    return frame[order], {k: c for k, c in config.items() if k in frame.columns}


def _plural(word: str) -> str:
    if word.endswith("s"):
        return word
    return word[:-1] + "ies" if word.endswith("y") and word[-2:-1] not in "aeiou" else word + "s"


def _shown(series: pd.Series) -> pd.Series:
    """What a column shows: a link cell's text after its last ``#``."""
    return series.map(str).map(lambda x: x.rsplit("#", 1)[-1] if "/entity?" in x or x.startswith("http") else x)


def _years_of(column: str, series: pd.Series) -> list[int] | None:
    if pd.api.types.is_datetime64_any_dtype(series):
        return sorted({d.year for d in series})
    if column.lower() == "year" and pd.api.types.is_numeric_dtype(series):
        return sorted(int(y) for y in series)
    return None


def _is_textual(series: pd.Series, texts: pd.Series) -> bool:
    return not pd.api.types.is_numeric_dtype(series) and not set(texts) <= {"yes", "no", ""}


def _described(frame: pd.DataFrame) -> tuple[str, list[str], list[int]]:
    """What the rows share (a subject), what they count, and the years they span."""
    subject = ""
    counts: list[str] = []
    years: list[int] = []
    for column in frame.columns:
        series = frame[column].dropna()
        series = series[series.map(str) != ""]
        found = _years_of(column, series) if not series.empty else None
        if found is not None:
            years = found
            continue
        texts = _shown(series)
        if series.empty or not _is_textual(series, texts):
            continue
        distinct = texts.nunique()
        if distinct == 1 and len(frame) > 1 and not subject and len(texts.iloc[0]) < 50:
            subject = texts.iloc[0]
        elif 1 < distinct < len(frame) + 1 and len(counts) < 3 and texts.str.len().max() < 80:
            counts.append(f"{distinct} {_plural(column.lower())}")
    return subject, counts, years


def summary_line(frame: pd.DataFrame) -> str:
    """One plain sentence from the rows: what they share, what they count, the years they span."""
    if frame.empty:
        return "No answers."
    subject, counts, years = _described(frame)
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


_PAIRS = {")": "(", "}": "{", "]": "["}
_NAMES = {"(": "bracket", "{": "brace", "[": "square bracket"}


def _skip(text: str, i: int) -> int:
    """The index after a comment, string or IRI starting at ``i`` (brackets in them do not count)."""
    c = text[i]
    if c == "#":
        end = text.find("\n", i)
        return len(text) if end < 0 else end
    if c in "\"'":
        j = i + 1
        while j < len(text) and text[j] != c and text[j] != "\n":
            j += 2 if text[j] == "\\" else 1
        return j + 1
    if c == "<" and re.match(r"<[^\s<>]*>", text[i:]):
        return i + text[i:].index(">") + 1
    return i + 1


def unclosed(text: str) -> tuple[int, int, str] | None:
    """The innermost bracket or brace left open (line, column, the word and bracket: ``FILTER(``),
    or None: a closer that does not match, or the end of the text, shows which one it is."""
    stack: list[int] = []
    i = 0
    while i < len(text):
        c = text[i]
        if c in "#\"'<":
            i = _skip(text, i)
            continue
        if c in "({[":
            stack.append(i)
        elif c in _PAIRS:
            if not stack or text[stack[-1]] != _PAIRS[c]:
                break
            stack.pop()
        i += 1
    if not stack:
        return None
    at = stack[-1]
    line_no = text.count("\n", 0, at) + 1
    col_no = at - (text.rfind("\n", 0, at) + 1) + 1
    word = re.search(r"[A-Za-z_]*[ \t]*$", text[:at])
    start = word.start() if word and word[0].strip() else at
    return line_no, col_no, text[start : at + 1]


def _open_construct(text: str) -> tuple[str, str] | None:
    found = unclosed(text)
    if found is None:
        return None
    line_no, col_no, construct = found
    line = (text.splitlines() or [""])[line_no - 1]
    what = (
        f"“{construct}” on line {line_no}, column {col_no} is never closed: "
        f"its closing {_NAMES[construct[-1]]} is missing or comes after something that does not belong inside it."
    )
    return "malformed SPARQL. " + what, f"{line}\n{' ' * (col_no - 1)}^ opened here"


def error_place(message: str, text: str) -> dict[str, int] | None:
    """Where the editor marks a parser error: the construct left open if there is one, else the
    parser's own place; None if the message names no place."""
    found = _WHERE.search(message)
    if not found:
        return None
    left_open = unclosed(text)
    if left_open is not None:
        return {"line": left_open[0], "column": left_open[1], "length": 1}
    return {"line": int(found[1]), "column": int(found[2]), "length": 1}


def plain_error(message: str, text: str) -> tuple[str, str | None]:
    """A parser error in words, and the offending line with a marker under the place (or None).

    Where a bracket or brace was left open (``FILTER(`` without its ``)``) the parser stops later,
    at a closing brace or the end; the message points at the construct left open instead."""
    found = _WHERE.search(message)
    if not found:
        return " ".join(message.split()), None
    left_open = _open_construct(text)
    if left_open is not None:
        return left_open
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
