"""The schema is the one source: an enum value or field name typed in src/ must be one it holds.

The code reads the schema's values through ``schema_map`` (``ketamine_kg.schema.facts``), but a
value typed by hand can slip in and drift when the schema changes (the alcohol use disorder page
once showed its ICD broad matches twice: a hand-typed list of mapping kinds). This test reads every
module under src/ketamine_kg (the generated ones aside) and finds the strings that stand for schema
values, in two shapes:

* a comparison with a field whose range is an enum: ``r.measure == "odds-ratio"``,
  ``row["design"] in ("rct", ...)``, ``x.get("mapping") != "exact"``: each string must be a value
  of that field's enum;
* a collection (list, tuple, set, dict keys) of at least three strings, two thirds of which are
  values of one enum (or fields of one class): the rest must be values of that enum (or fields).

Hits in modules that other branches are changing (viewer/, evidence/) are listed in ``ELSEWHERE``
and expected to fail until those branches derive them; a hit anywhere else fails now.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from ketamine_kg.schema.schema_map import CLASSES, ENUMS

from .conftest import ROOT

SRC = ROOT / "src" / "ketamine_kg"
GENERATED = {"schema/schema_map.py", "schema/curation_models.py"}

#: Field name -> the values its enum ranges allow (a name used by several classes: all of them).
ENUM_FIELDS: dict[str, set[str]] = {}
for _cls in CLASSES.values():
    for _name, _slot in _cls["slots"].items():
        if _slot["kind"] == "enum":
            ENUM_FIELDS.setdefault(_name, set()).update(ENUMS[_slot["range"]])
# Names too common to mean the schema's field: a term's or a slot's `kind`, a node's `type`.
for _generic in ("kind", "type"):
    ENUM_FIELDS.pop(_generic, None)
ALL_FIELDS = {name for c in CLASSES.values() for name in c["slots"]}


def _strings(node: ast.AST) -> list[str] | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)) and node.elts and all(
        isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.elts
    ):
        return [e.value for e in node.elts]  # type: ignore[attr-defined]
    return None


def _field_of(node: ast.AST) -> str | None:
    """The field a comparison's side reads: ``x.field``, ``x["field"]``, ``x.get("field")``."""
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str):
        return node.slice.value
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get"
            and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
        return node.args[0].value
    return None


def _comparison_drift(tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Compare):
            continue
        sides = [node.left, *node.comparators]
        for a, b in zip(sides, sides[1:]):
            for field_side, value_side in ((a, b), (b, a)):
                field = _field_of(field_side)
                values = _strings(value_side)
                if field in ENUM_FIELDS and values:
                    found += [f"{node.lineno}: {field} {v!r}" for v in values if v not in ENUM_FIELDS[field]]
    return found


def _collection_drift(tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        items: list[str] | None = None
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            items = [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
        elif isinstance(node, ast.Dict):
            items = [k.value for k in node.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)]
        if not items or len(set(items)) < 3:
            continue
        distinct = set(items)
        # Values of an enum: two thirds of the strings are, so all must be (of it or of another
        # enum that holds three or more of them: study designs and source designs overlap).
        enums = [set(v) for v in ENUMS.values() if len(distinct & set(v)) >= 3]
        if enums and max(len(distinct & e) for e in enums) * 3 >= len(distinct) * 2:
            found += [f"{node.lineno}: {v!r} is in no enum beside the others" for v in sorted(distinct - set().union(*enums))]
            continue
        # Fields of a class: four fifths are (a chart's columns mix fields with computed ones).
        for name, c in CLASSES.items():
            inside = distinct & set(c["slots"])
            if len(inside) >= 3 and len(inside) * 5 >= len(distinct) * 4:
                found += [f"{node.lineno}: {v!r} is not a field of {name} or any class" for v in sorted(distinct - ALL_FIELDS)]
                break
    return found


def drift(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return sorted(set(_comparison_drift(tree) + _collection_drift(tree)))


MODULES = sorted(str(p.relative_to(SRC)) for p in SRC.rglob("*.py") if str(p.relative_to(SRC)) not in GENERATED)

#: Modules changed on other branches, whose hand-typed schema values those branches derive.
ELSEWHERE: dict[str, str] = {
    "viewer/evidence_map.py": "viewer/evidence_map.py compares a claim's direction with 'does not support', the label "
    "typed by hand, where the schema's Direction value is 'does-not-support' (h-explorer's viewer/)",
    "viewer/graphview.py": "viewer/graphview.py compares a direction with 'does not support', typed by hand "
    "(Direction's value is 'does-not-support'; h-explorer's viewer/)",
}


@pytest.mark.parametrize(
    "module",
    [pytest.param(m, marks=pytest.mark.xfail(strict=True, reason=ELSEWHERE[m])) if m in ELSEWHERE else m
     for m in MODULES],
)
def test_no_schema_value_typed_by_hand_drifts(module: str) -> None:
    assert drift(SRC / module) == []


def test_the_finder_catches_drift(tmp_path: Path) -> None:
    """Each shape the test reads is caught when a value is not the schema's (so the test can fail)."""
    probe = tmp_path / "probe.py"
    probe.write_text(
        "ok = r.measure == 'odds-ratio'\n"
        "bad = r.measure == 'odds-ratios'\n"
        "bad2 = row['mapping'] in ('exact', 'broadish')\n"
        "kinds = ('exact', 'close', 'broad', 'narrow', 'nearly')\n",
        encoding="utf-8",
    )
    found = drift(probe)
    assert any("'odds-ratios'" in f for f in found) and any("'broadish'" in f for f in found)
    assert any("'nearly'" in f for f in found)
    assert not any("'odds-ratio'" in f and "'odds-ratios'" not in f for f in found)
