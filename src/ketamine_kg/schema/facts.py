"""What the schema says, as plain Python values for the code that needs them, so nothing it holds
is typed again by hand (a hand-typed copy drifts: tests/test_schema_drift.py looks for them).

>>> MAPPING_PREDICATES["broad"]
'http://www.w3.org/2004/02/skos/core#broadMatch'
>>> "odds-ratio" in enum_values("Measure")
True
"""

from __future__ import annotations

from ketamine_kg.schema.schema_map import CLASSES, ENUMS

__all__ = ["MAPPING_PREDICATES", "enum_values", "meanings", "slot_names"]


def enum_values(enum: str) -> tuple[str, ...]:
    """The values of one of the schema's enums, in the schema's order."""
    return tuple(ENUMS[enum])


def meanings(enum: str) -> dict[str, str]:
    """Value -> the IRI it means (its ``meaning`` in the schema), for the values that have one."""
    return {value: pv["meaning"] for value, pv in ENUMS[enum].items() if pv["meaning"]}


def slot_names(cls: str) -> tuple[str, ...]:
    """The fields of one of the schema's classes (a YAML section's model), in the schema's order."""
    return tuple(CLASSES[cls]["slots"])


#: A cross-reference's ``mapping`` -> the SKOS property it becomes (MappingKind's meanings).
MAPPING_PREDICATES: dict[str, str] = meanings("MappingKind")
