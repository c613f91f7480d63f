"""What the schema says, as plain Python values for the code that needs them, so nothing it holds
is typed again by hand (a hand-typed copy drifts: tests/test_schema_drift.py looks for them).

>>> MAPPING_PREDICATES["broad"]
'http://www.w3.org/2004/02/skos/core#broadMatch'
>>> "odds-ratio" in enum_values("Measure")
True
>>> enum_value("Direction", "kk:DoesNotSupport")
'does-not-support'
"""

from __future__ import annotations

from ketamine_kg.rdf.prefixes import expand_curie
from ketamine_kg.schema.schema_map import CLASSES, ENUMS

__all__ = ["MAPPING_PREDICATES", "enum_value", "enum_values", "meanings", "slot_names"]


def enum_values(enum: str) -> tuple[str, ...]:
    """The values of one of the schema's enums, in the schema's order."""
    return tuple(ENUMS[enum])


def meanings(enum: str) -> dict[str, str]:
    """Value -> the IRI it means (its ``meaning`` in the schema), for the values that have one."""
    return {value: pv["meaning"] for value, pv in ENUMS[enum].items() if pv["meaning"]}


def enum_value(enum: str, term: str) -> str | None:
    """The value of ``enum`` that an IRI (or its CURIE, as query records give it) means, the inverse
    of :func:`meanings`; None for a term the enum does not mean.

    Code that reads a value out of the graph compares this with the schema's value, never with the
    term's label (a label is the ontology's wording and may change; the value is the schema's).
    """
    try:
        iri = term if "://" in term else expand_curie(term)
    except ValueError:  # a CURIE with no known prefix means no value of ours
        return None
    return next((value for value, meaning in meanings(enum).items() if meaning == iri), None)


def slot_names(cls: str) -> tuple[str, ...]:
    """The fields of one of the schema's classes (a YAML section's model), in the schema's order."""
    return tuple(CLASSES[cls]["slots"])


#: A cross-reference's ``mapping`` -> the SKOS property it becomes (MappingKind's meanings).
MAPPING_PREDICATES: dict[str, str] = meanings("MappingKind")
