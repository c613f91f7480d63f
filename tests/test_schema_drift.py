"""The schema is the one source: an enum value or field name typed in src/ must be one it holds.

The code reads the schema's values through ``schema_map`` (``ketamine_kg.schema.facts``), but a
value typed by hand can slip in and drift when the schema changes (the alcohol use disorder page
once showed its ICD broad matches twice: a hand-typed list of mapping kinds). This test reads every
module under src/ketamine_kg (the generated ones aside) and finds the strings that stand for schema
values, in two shapes:

* a comparison with a field whose range is an enum: ``r.measure == "odds-ratio"``,
  ``row["design"] in ("rct", ...)``, ``x.get("mapping") != "exact"``, or with the value a term
  means, ``enum_value("Direction", row["direction"]) == "supports"``: each string must be a value
  of that enum;
* a collection (list, tuple, set, dict keys) of at least three strings, two thirds of which are
  values of one enum (or fields of one class): the rest must be values of that enum (or fields).

A hit fails its module's test. (The last two, the viewer comparing a claim's direction with its
label "does not support", now read the schema's value through ``enum_value``.)
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


def _allowed(node: ast.AST) -> tuple[str, set[str]] | None:
    """What a comparison's side reads and the values it may be compared with: a field whose range
    is an enum, or ``enum_value("Enum", term)`` (``ketamine_kg.schema.facts``), the value a term means."""
    if (isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == "enum_value"
            and node.args and isinstance(node.args[0], ast.Constant) and node.args[0].value in ENUMS):
        return node.args[0].value, set(ENUMS[node.args[0].value])
    field = _field_of(node)
    return (field, ENUM_FIELDS[field]) if field in ENUM_FIELDS else None


def _comparison_drift(tree: ast.AST) -> list[str]:
    found = []
    # A name bound to what enum_value returns (``direction = enum_value("Direction", ...)``) is
    # compared like the call itself.
    bound = {
        t.id: node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign) and _allowed(node.value) and not _field_of(node.value)
        for t in node.targets
        if isinstance(t, ast.Name)
    }
    for node in ast.walk(tree):
        if not isinstance(node, ast.Compare):
            continue
        sides = [bound.get(s.id, s) if isinstance(s, ast.Name) else s for s in [node.left, *node.comparators]]
        for a, b in zip(sides, sides[1:]):
            for field_side, value_side in ((a, b), (b, a)):
                allowed = _allowed(field_side)
                values = _strings(value_side)
                if allowed and values:
                    found += [f"{node.lineno}: {allowed[0]} {v!r}" for v in values if v not in allowed[1]]
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

@pytest.mark.parametrize("module", MODULES)
def test_no_schema_value_typed_by_hand_drifts(module: str) -> None:
    assert drift(SRC / module) == []


def test_the_finder_catches_drift(tmp_path: Path) -> None:
    """Each shape the test reads is caught when a value is not the schema's (so the test can fail)."""
    probe = tmp_path / "probe.py"
    probe.write_text(
        "ok = r.measure == 'odds-ratio'\n"
        "bad = r.measure == 'odds-ratios'\n"
        "bad2 = row['mapping'] in ('exact', 'broadish')\n"
        "kinds = ('exact', 'close', 'broad', 'narrow', 'nearly')\n"
        "label = enum_value('Direction', row['direction']) == 'does not support'\n"
        "direction = enum_value('Direction', row['direction'])\n"
        "against = direction == 'against'\n"
        "fine = direction == 'does-not-support'\n",
        encoding="utf-8",
    )
    found = drift(probe)
    assert any("'odds-ratios'" in f for f in found) and any("'broadish'" in f for f in found)
    assert any("'nearly'" in f for f in found)
    assert any("Direction 'does not support'" in f for f in found) and any("Direction 'against'" in f for f in found)
    assert not any("'does-not-support'" in f for f in found)
    assert not any("'odds-ratio'" in f and "'odds-ratios'" not in f for f in found)
