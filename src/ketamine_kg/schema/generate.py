"""Regenerate every file derived from the curated-data schema (``ontology/ketamine-kg.schema.yaml``).

    ketamine-kg schema            # say which generated files are out of date (exit 4 if any)
    ketamine-kg schema --write    # rewrite them (also: python -m ketamine_kg.schema.generate [--write])

Made here (and committed):

* ``src/ketamine_kg/schema/schema_map.py``: the schema as plain Python data, which the loader, the
  checks, the compiler, diff and export read at run time (so the build never imports LinkML);
* ``src/ketamine_kg/schema/curation_models.py``: the pydantic models the loader validates records with;
* ``ontology/shapes-generated.ttl``: SHACL shapes, by LinkML's ``gen-shacl`` plus the fixes below;
* ``graph/curated/curation.schema.json``: JSON Schema for curators' editors, by ``gen-json-schema``;
* ``ontology/data-dictionary.md``: every section, field, type, predicate and enum value.

This module needs LinkML (the ``test`` extra); nothing at run time imports it.
"""

from __future__ import annotations

import pprint
import re
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from ketamine_kg.errors import UsageError
from ketamine_kg.layout import Layout, find_layout
from ketamine_kg.schema.docs import HEADER as _HEADER
from ketamine_kg.schema.docs import data_dictionary, json_schema

__all__ = ["generate", "main", "regenerate", "stale"]

_TYPE_KIND = {
    "string": "string",
    "integer": "integer",
    "decimal": "decimal",
    "float": "decimal",
    "double": "decimal",
    "boolean": "boolean",
    "date": "date",
    "uri": "uri",
    "uriorcurie": "uri",
}


def _view(layout: Layout):
    try:
        import linkml.generators  # noqa: F401  (the generators, not only the runtime)
        from linkml_runtime.utils.schemaview import SchemaView
    except ImportError:
        raise UsageError("regenerating from the schema needs LinkML: pip install -e '.[test]'") from None
    return SchemaView(str(layout.schema))


def _annotation(element: Any, name: str) -> Any:
    annotations = getattr(element, "annotations", None)
    if not annotations or name not in annotations:
        return None
    value = annotations[name].value
    return {"true": True, "false": False}.get(value, value) if isinstance(value, str) else value


def _annotations(element: Any) -> dict[str, Any]:
    names = [k for k in (getattr(element, "annotations", None) or {}) if not k.startswith("_")]
    return {k: _annotation(element, k) for k in names}


def _default(ifabsent: str | None) -> Any:
    if ifabsent is None:
        return None
    if ifabsent in ("true", "false"):
        return ifabsent == "true"
    if ifabsent.startswith("string(") and ifabsent.endswith(")"):
        return ifabsent[len("string(") : -1]
    raise UsageError(f"schema: unsupported ifabsent {ifabsent!r}")


def _ordered_slots(sv, cls: str) -> list:
    # The class's own `slots` order first (diff shows fields in it), then what it inherits.
    induced = {s.name: s for s in sv.class_induced_slots(cls)}
    order = list(sv.get_class(cls).slots) + [n for n in induced if n not in sv.get_class(cls).slots]
    return [induced[n] for n in order]


def _range_kind(sv, entity_classes: set[str], rng: str) -> str:
    """A slot range's kind: an entity or a record class, an enum, or one of :data:`_TYPE_KIND`'s types."""
    if rng in sv.all_classes():
        return "entity" if rng in entity_classes else "record"
    if rng in sv.all_enums():
        return "enum"
    if rng in _TYPE_KIND:
        return _TYPE_KIND[rng]
    raise UsageError(f"schema: unsupported range {rng!r}")


def _slot_data(sv, s, entity_classes: set[str]) -> dict[str, Any]:
    """One induced slot as plain data."""
    return {
        "uri": sv.expand_curie(s.slot_uri) if s.slot_uri else None,
        "range": s.range,
        "kind": _range_kind(sv, entity_classes, s.range),
        "multivalued": bool(s.multivalued),
        "required": bool(s.required),
        "default": _default(s.ifabsent),
        "pattern": s.pattern,
        "minimum": s.minimum_value,
        "maximum": s.maximum_value,
        "identifier": bool(s.identifier),
        "designates_type": bool(s.designates_type),
        "compiled_by": _annotation(s, "compiled_by"),
        "annotations": _annotations(s),
        "description": " ".join((s.description or "").split()) or None,
    }


def _enum_data(sv, name: str) -> dict[str, Any]:
    """One enum's permissible values, each with its meaning (expanded), annotations and description."""
    return {
        value: {
            "meaning": sv.expand_curie(pv.meaning) if pv.meaning else None,
            "annotations": _annotations(pv),
            "description": " ".join((pv.description or "").split()) or None,
        }
        for value, pv in sv.get_enum(name).permissible_values.items()
    }


def schema_data(sv) -> dict[str, Any]:
    """The schema as plain data: sections, classes with their induced slots, enums."""
    entity_classes = set(sv.class_descendants("Entity"))
    curation_slots = sv.class_induced_slots("Curation")
    sections = {s.name: s.range for s in curation_slots}

    classes: dict[str, Any] = {}
    for name in sv.all_classes():
        if name == "Curation":
            continue
        c = sv.get_class(name)
        slots = {s.name: _slot_data(sv, s, entity_classes) for s in _ordered_slots(sv, name)}
        classes[name] = {
            "uri": sv.get_uri(name, expand=True) if c.class_uri else None,
            "abstract": bool(c.abstract),
            "ancestors": list(sv.class_ancestors(name)),
            "entity_type": bool(_annotation(c, "entity_type")),
            "mixin": _annotation(c, "python_mixin"),
            "annotations": _annotations(c),
            "description": " ".join((c.description or "").split()) or None,
            "slots": slots,
        }
    enums = {name: _enum_data(sv, name) for name in sv.all_enums()}
    return {"version": sv.schema.version, "sections": sections, "classes": classes, "enums": enums}


# --- schema_map.py ---------------------------------------------------------------------------


def _schema_map(data: dict[str, Any]) -> str:
    def literal(name: str, value: Any) -> str:
        return f"{name} = " + pprint.pformat(value, width=110, sort_dicts=False) + "\n"

    return "\n".join(
        [
            f'"""{_HEADER}\n\nThe curated-data schema as plain data, read at run time instead of LinkML."""',
            "",
            "from typing import Any",
            "",
            literal("VERSION: str", data["version"]),
            "#: YAML section -> record class.",
            literal("SECTIONS: dict[str, str]", data["sections"]),
            "#: Class -> its IRI, ancestors (itself first) and induced slots (range, kind, predicate...).",
            literal("CLASSES: dict[str, dict[str, Any]]", data["classes"]),
            "#: Enum -> value -> its meaning (an IRI, or None: then the value is written as text).",
            literal("ENUMS: dict[str, dict[str, dict[str, Any]]]", data["enums"]),
        ]
    )


# --- curation_models.py ----------------------------------------------------------------------

_PY_TYPE = {
    "string": "Text",
    "uri": "Text",
    "entity": "Text",
    "record": "Text",
    "integer": "Integer",
    "decimal": "Number",
    "boolean": "StrictBool",
    "date": "datetime.date",
}


def _field(name: str, slot: dict[str, Any], enums: dict[str, Any], required: bool) -> str:
    line = _field_line(name, slot, enums, required)
    # A field named like one of pydantic's own attributes (`construct`, a deprecated classmethod):
    # on a record the field's value wins, but mypy sees an override of BaseModel's method.
    return line + "  # type: ignore[assignment]" if name in _BASE_MODEL_NAMES else line


#: What pydantic's BaseModel itself defines (see model_support: the warning it gives is hushed there).
_BASE_MODEL_NAMES = frozenset(name for name in dir(BaseModel) if not name.startswith("_"))


def _field_line(name: str, slot: dict[str, Any], enums: dict[str, Any], required: bool) -> str:
    base = (
        f"Literal[{', '.join(repr(v) for v in enums[slot['range']])}]"
        if slot["kind"] == "enum"
        else _PY_TYPE[slot["kind"]]
    )
    constraints = []
    if slot["pattern"]:
        constraints.append(f"pattern={slot['pattern']!r}")
    if slot["minimum"] is not None:
        constraints.append(f"ge={slot['minimum']!r}")
    if slot["maximum"] is not None:
        constraints.append(f"le={slot['maximum']!r}")
    item = f"Annotated[{base}, Field({', '.join(constraints)})]" if constraints else base
    if slot["multivalued"]:
        kind = f"tuple[{item}, ...]"
        if required:
            return f"    {name}: {kind} = Field(min_length=1)"
        return f"    {name}: {kind} = ()"
    if slot["default"] is not None:
        return f"    {name}: {item} = {slot['default']!r}"
    if required:
        return f"    {name}: {item}"
    return f"    {name}: {item} | None = None"


def _entity_fields(classes: dict[str, Any], enums: dict[str, Any]) -> list[str]:
    """One model for every entity type: the fields of all types, each optional unless every entity
    needs it; which type may or must have which field is a cross-record check."""
    info = classes["Entity"]
    types = [n for n, c in classes.items() if c["entity_type"]]
    slots: dict[str, Any] = {}
    for t in types:
        for name, slot in classes[t]["slots"].items():
            slots.setdefault(name, slot)
    fields = []
    for name, slot in slots.items():
        if slot["identifier"]:
            continue
        if slot["designates_type"]:
            fields.append(f"    {name}: Literal[{', '.join(repr(t) for t in types)}]")
        else:
            base_required = name in info["slots"] and info["slots"][name]["required"]
            fields.append(_field(name, slot, enums, base_required))
    return fields


def _models(data: dict[str, Any]) -> str:
    classes, enums = data["classes"], data["enums"]
    out = [
        f'"""{_HEADER}\n\nOne pydantic model per YAML section; the loader validates each record with it."""',
        "",
        "from __future__ import annotations",
        "",
        "import datetime",
        "from dataclasses import dataclass, field",
        "from typing import Annotated, Literal",
        "",
        "from pydantic import Field, StrictBool",
        "",
        "from ketamine_kg.schema.model_support import Integer, Number, Record, Text, XrefId",
        "",
        '__all__ = ["SECTIONS", "Sections", ' + ", ".join(f'"{c}"' for c in data["sections"].values()) + "]",
    ]
    for cls in data["sections"].values():
        info = classes[cls]
        if cls == "Entity":
            fields = _entity_fields(classes, enums)
        else:
            fields = [_field(n, s, enums, s["required"]) for n, s in info["slots"].items() if not s["identifier"]]
        if "id" in info["slots"] and info["slots"]["id"]["identifier"]:
            fields.insert(0, _field("id", info["slots"]["id"], enums, True))
        bases = ", ".join(([info["mixin"]] if info["mixin"] else []) + ["Record"])
        doc = f'    """{info["description"]}"""\n' if info["description"] else ""
        out += ["", "", f"class {cls}({bases}):", doc.rstrip("\n")] if doc else ["", "", f"class {cls}({bases}):"]
        # The id, then required fields, then the rest: the model reads like the format.
        out += sorted(fields, key=lambda line: (not line.startswith("    id:"), "=" in line.split(":", 1)[1]))
    out += [
        "",
        "",
        "#: YAML section -> record model.",
        "SECTIONS: dict[str, type[Record]] = {",
        *[f'    "{section}": {cls},' for section, cls in data["sections"].items()],
        "}",
        "",
        "",
        "@dataclass",
        "class Sections:",
        '    """Every YAML section\'s records, each list typed by its section\'s model."""',
        "",
        *[f"    {section}: list[{cls}] = field(default_factory=list)" for section, cls in data["sections"].items()],
        "",
        "    def by_section(self) -> dict[str, list[Record]]:",
        '        """Section name -> its records (the lists themselves, not copies), in the schema\'s order."""',
        "        return {name: getattr(self, name) for name in SECTIONS}",
        "",
    ]
    return "\n".join(out)


# --- SHACL -----------------------------------------------------------------------------------


def _shapes(layout: Layout, data: dict[str, Any]) -> bytes:
    from linkml.generators.shaclgen import ShaclGenerator
    from rdflib import Graph

    from ketamine_kg.rdf.canonical import canonical_bytes

    # Open shapes: statements carry labels the compiler builds and types the reasoner adds.
    g = Graph().parse(data=ShaclGenerator(str(layout.schema), closed=False).serialize(), format="turtle")
    _fit_generated_shapes(g, data)
    _add_curie_patterns(g)
    body = canonical_bytes(g, "turtle")
    return (f"# {_HEADER}\n# Hand-written shapes that cannot be generated are in shapes.ttl.\n").encode() + body


def _fit_generated_shapes(g: Any, data: dict[str, Any]) -> None:
    """Make gen-shacl's shapes say what the compiler writes (each step says why)."""
    from rdflib import BNode, URIRef
    from rdflib.namespace import RDF
    from rdflib.term import Node

    from ketamine_kg.rdf.vocabulary import KKR, SH

    def drop(node: Node) -> None:
        for _, _, o in list(g.triples((node, None, None))):
            g.remove((node, None, o))
            if isinstance(o, BNode):
                drop(o)

    # Shapes of the abstract containers, which never have instances in the graph.
    for name in ("Curation", "Record"):
        drop(KKR[name])
    # Generated for closed shapes only; ours are open.
    for shape, lst in list(g.subject_objects(SH.ignoredProperties)):
        g.remove((shape, SH.ignoredProperties, lst))
        drop(lst)
    # Properties that are not written as the generator assumes: the id is the node's IRI, an
    # entity's type and a source's kind are its rdf:type among others, and slots the compiler
    # writes by hand (condition parents as rdfs:subClassOf) are checked by the hand shapes.
    special = {RDF.type, KKR.id, KKR.type}
    for cls in data["classes"].values():
        for slot in cls["slots"].values():
            if slot["compiled_by"] == "code" and slot["uri"]:
                special.add(URIRef(slot["uri"]))
    for shape, prop in list(g.subject_objects(SH.property)):
        if g.value(prop, SH.path) in special:
            g.remove((shape, SH.property, prop))
            drop(prop)
    _retype_page_addresses(g, data)
    _retype_dates(g, data)
    # A range with no class of its own in the ontology (Entity: any entity type) can only say
    # that the value is an IRI.
    for prop, cls_iri in list(g.subject_objects(SH["class"])):
        if str(cls_iri).startswith(str(KKR)):
            g.remove((prop, SH["class"], cls_iri))
    # sh:order and sh:defaultValue only matter to form generators.
    for p in (SH.order, SH.defaultValue):
        g.remove((None, p, None))


def _retype_dates(g: Any, data: dict[str, Any]) -> None:
    """A date is written as the xsd:dateTime of its midnight: the graph files are the OWL release,
    and the OWL 2 datatype map has no xsd:date (build/compile.py, date_literal)."""
    from rdflib import URIRef
    from rdflib.namespace import XSD

    from ketamine_kg.rdf.vocabulary import SH

    for cls in data["classes"].values():
        for slot in cls["slots"].values():
            if slot["kind"] == "date" and slot["uri"]:
                for prop in g.subjects(SH.path, URIRef(slot["uri"])):
                    g.set((prop, SH.datatype, XSD.dateTime))


def _retype_page_addresses(g: Any, data: dict[str, Any]) -> None:
    """gen-shacl takes range `uri` for an IRI node; the compiler writes an xsd:anyURI literal
    (a page address is a value read off a record, not a node of the graph)."""
    from rdflib import Literal, URIRef
    from rdflib.namespace import XSD

    from ketamine_kg.rdf.vocabulary import SH

    for cls in data["classes"].values():
        for slot in cls["slots"].values():
            if slot["kind"] == "uri" and slot["uri"]:
                for prop in g.subjects(SH.path, URIRef(slot["uri"])):
                    g.set((prop, SH.nodeKind, SH.Literal))
                    g.set((prop, SH.datatype, XSD.anyURI))
                    if slot["pattern"]:
                        g.set((prop, SH.pattern, Literal(slot["pattern"])))


def _add_curie_patterns(g: Any) -> None:
    """The CURIE patterns are the Bioregistry's, copied to prefixes.json (the Python check reads them too)."""
    from rdflib import BNode, Literal, URIRef
    from rdflib.namespace import RDF, RDFS

    from ketamine_kg.rdf.iris import SHAPES_NAMESPACE
    from ketamine_kg.rdf.prefixes import xref_prefixes
    from ketamine_kg.rdf.vocabulary import KK, OBOINOWL, SH

    curie = (
        "^("
        + "|".join(
            f"{re.escape(p.prefix)}:({p.pattern.removeprefix('^').removesuffix('$') or '.+'})"
            for p in xref_prefixes().values()
        )
        + ")$"
    )
    for prop in g.subjects(SH.path, KK.curie):
        g.add((prop, SH.pattern, Literal(curie)))
    dbxref = URIRef(SHAPES_NAMESPACE + "DbXrefShape")
    prop = BNode()
    g.add((dbxref, RDF.type, SH.NodeShape))
    g.add((dbxref, SH.targetSubjectsOf, OBOINOWL.hasDbXref))
    g.add((dbxref, SH.property, prop))
    g.add((prop, SH.path, OBOINOWL.hasDbXref))
    g.add((prop, SH.pattern, Literal(curie)))
    g.add((prop, SH.message, Literal("identifier does not match its registry's pattern")))
    g.add((dbxref, RDFS.comment, Literal("Every database cross-reference on an entity fits its registry's pattern.")))


# --- entry points ----------------------------------------------------------------------------


def generate(layout: Layout) -> dict[Path, bytes]:
    """Every generated file's path and content."""
    sv = _view(layout)
    data = schema_data(sv)
    package = layout.root / "src" / "ketamine_kg" / "schema"
    return {
        package / "schema_map.py": _schema_map(data).encode("utf-8"),
        package / "curation_models.py": _models(data).encode("utf-8"),
        layout.generated_shapes: _shapes(layout, data),
        layout.curated / "curation.schema.json": json_schema(layout, data),
        layout.ontology_dir / "data-dictionary.md": data_dictionary(data),
    }


def stale(layout: Layout) -> list[Path]:
    """Generated files whose content differs from what the schema gives now."""
    return regenerate(layout, write=False)


def regenerate(layout: Layout, *, write: bool) -> list[Path]:
    """The generated files that differ from what the schema gives; rewritten when ``write``."""
    files = generate(layout)
    changed = [p for p, d in files.items() if not p.is_file() or p.read_bytes() != d]
    if write:
        for path in changed:
            path.write_bytes(files[path])
    return changed


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args not in ([], ["--write"]):
        print("usage: python -m ketamine_kg.schema.generate [--write]", file=sys.stderr)
        return 2
    try:
        changed = regenerate(find_layout(), write=bool(args))
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    if args:
        print("\n".join(f"wrote {p}" for p in changed) or "every generated file is up to date")
        return 0
    if changed:
        print(
            "out of date (run python -m ketamine_kg.schema.generate --write):\n" + "\n".join(f"  {p}" for p in changed)
        )
        return 4
    print("every generated file is up to date")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
