"""The generated files for people: the JSON Schema curators' editors check YAML against, and the
data dictionary. Called by schema_gen, which reads the schema."""

from __future__ import annotations

import json
from typing import Any

from ketamine_kg.layout import Layout
from ketamine_kg.rdf.vocabulary import KKR

__all__ = ["HEADER", "data_dictionary", "json_schema"]

HEADER = "GENERATED from ontology/ketamine-kg.schema.yaml by `ketamine-kg schema --write`; do not edit."
_HEADER = HEADER


# --- JSON Schema -----------------------------------------------------------------------------


def json_schema(layout: Layout, data: dict[str, Any]) -> bytes:
    from linkml.generators.jsonschemagen import JsonSchemaGenerator

    schema = json.loads(JsonSchemaGenerator(str(layout.schema)).serialize())
    # The loader reads an unquoted number in a text field as text (a PMID, a phase), so the
    # editor should not flag it either.
    for name, definition in schema.get("$defs", {}).items():
        slots = data["classes"].get(name, {}).get("slots", {})
        for prop_name, prop in definition.get("properties", {}).items():
            slot = slots.get(prop_name, {})
            if slot.get("kind") not in ("string", "entity", "record") or slot.get("designates_type"):
                continue
            target = prop.get("items", prop)
            kinds = target.get("type")
            if kinds == "string":
                target["type"] = ["string", "integer"]
            elif isinstance(kinds, list) and "string" in kinds and "integer" not in kinds:
                kinds.insert(kinds.index("string") + 1, "integer")
    schema["$comment"] = _HEADER
    return (json.dumps(schema, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


# --- data dictionary -------------------------------------------------------------------------


def _curie(iri: str | None) -> str:
    from ketamine_kg.rdf.prefixes import compact_iri

    return compact_iri(iri) if iri else ""


def _cell(text: Any) -> str:
    return str(text or "").replace("|", "\\|").replace("\n", " ")


def data_dictionary(data: dict[str, Any]) -> bytes:
    """``ontology/data-dictionary.md``: each section's fields, the entity types and the enums."""
    classes = data["classes"]
    lines = [
        f"<!-- {_HEADER} -->",
        "",
        "# Data dictionary: the curated YAML format",
        "",
        "Each file under `graph/curated/` holds any of these sections, each a list of records. "
        "A field's *predicate* is what it becomes in the graph; a reference (a record or entity id) "
        f"becomes a link to `{KKR}<id>`.",
        "",
    ]
    entity_types = [n for n, c in classes.items() if c["entity_type"]]
    for section, cls in data["sections"].items():
        lines += _section_lines(section, cls, classes, entity_types)
    lines += ["## Entity types", "", "| type | class | is a |", "|---|---|---|"]
    for t in entity_types:
        parents = [a for a in classes[t]["ancestors"][1:] if a not in ("Entity", "Record")]
        lines.append(f"| `{t}` | `{_curie(classes[t]['uri'])}` | {', '.join(parents)} |")
    lines += ["", "## Enums", ""]
    for name, values in data["enums"].items():
        lines += [f"### {name}", "", "| value | meaning | description |", "|---|---|---|"]
        for value, pv in values.items():
            note = pv["description"] or ""
            if pv["annotations"]:
                note = "; ".join(p for p in [note, *(f"{k}: {v}" for k, v in pv["annotations"].items())] if p)
            lines.append(f"| `{value}` | {_curie(pv['meaning']) or '(text)'} | {_cell(note)} |")
        lines.append("")
    return ("\n".join(lines).rstrip("\n") + "\n").encode("utf-8")


def _range_text(slot: dict[str, Any]) -> str:
    r = slot["range"]
    if slot["kind"] == "enum":
        text = f"[{r}](#{r.lower()})"
    elif slot["kind"] in ("entity", "record"):
        text = f"id of a {r}" if slot["kind"] == "record" else f"id of an entity of type {r}"
    else:
        text = r
    return text + (" (list)" if slot["multivalued"] else "")


def _section_lines(section: str, cls: str, classes: dict[str, Any], entity_types: list[str]) -> list[str]:
    """One section's heading, description and table of fields (for entities: every type's fields)."""
    info = classes[cls]
    lines = [f"## `{section}` ({cls})", ""]
    if info["description"]:
        lines += [info["description"], ""]
    if info["uri"]:
        lines += [f"Each record is a `{_curie(info['uri'])}`.", ""]
    lines += ["| field | type | required | predicate | description |", "|---|---|---|---|---|"]
    slots = info["slots"]
    if cls == "Entity":
        slots = {}
        for t in entity_types:
            for name, slot in classes[t]["slots"].items():
                slots.setdefault(name, slot)
    for name, slot in slots.items():
        owners = [t for t in entity_types if name in classes[t]["slots"]] if name not in info["slots"] else []
        lines.append(_field_row(name, slot, name in info["slots"], owners, entity_types))
    lines.append("")
    return lines


def _field_row(name: str, slot: dict[str, Any], own: bool, owners: list[str], entity_types: list[str]) -> str:
    """One field's table row; ``own`` is false for an entity field that only some types have (``owners``)."""
    required = "yes" if slot["required"] and own else ""
    if slot["default"] is not None:
        required = f"default {json.dumps(slot['default'])}"
    if slot["identifier"]:
        predicate = "(the node's IRI)"
    else:
        predicate = "rdf:type" if slot["designates_type"] else _curie(slot["uri"])
    if slot["compiled_by"] == "code":
        predicate += " (special)"
    desc = "; ".join(p for p in [slot["description"] or "", *_field_notes(slot, owners, entity_types)] if p)
    return f"| `{name}` | {_cell(_range_text(slot))} | {required} | {_cell(predicate)} | {_cell(desc)} |"


def _field_notes(slot: dict[str, Any], owners: list[str], entity_types: list[str]) -> list[str]:
    """What the description column adds to a field's own description: pattern, range, owners, types."""
    extra = []
    if slot["pattern"]:
        extra.append(f"pattern `{slot['pattern']}`")
    if slot["minimum"] is not None or slot["maximum"] is not None:
        low = slot["minimum"] if slot["minimum"] is not None else ""
        high = slot["maximum"] if slot["maximum"] is not None else ""
        extra.append(f"range {low}..{high}")
    if owners:
        extra.append("only for " + ", ".join(owners))
    if slot["designates_type"]:
        extra.append("one of " + ", ".join(entity_types))
    return extra
