"""What the generated record models (``curation_models.py``) build on: the record base class and
the value types whose errors a curator can act on."""

from __future__ import annotations

import re
import warnings
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict

__all__ = ["Integer", "Number", "Record", "Text", "XrefId"]


# The schema's `construct` field (what an outcome measures) shares its name with pydantic's deprecated
# BaseModel.construct. On a record the field wins (its value is in the instance's __dict__), but
# pydantic warns when the generated models are defined, and that warning reached the command line's
# stderr (two extra lines on every `validate`). Only that one warning, about that one name, is hushed.
warnings.filterwarnings(
    "ignore", message=r'Field name "construct" in "\w+" shadows an attribute in parent "Record"', category=UserWarning
)


class Record(BaseModel):
    # Unknown keys are an error: a misspelt field would otherwise drop a fact silently.
    model_config = ConfigDict(extra="forbid", frozen=True)

    if TYPE_CHECKING:  # every section's record has an id: a field, or made (XrefId) for cross-references

        @property
        def id(self) -> str: ...


def _text(value: Any) -> Any:
    # YAML reads an unquoted PMID, phase or schedule as a number; the field is text, so keep it as text.
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


def _number(value: Any) -> Any:
    # A quoted figure ("4.0") is a curation slip, not a number to guess at; say so in one line.
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"expected a number, got {type(value).__name__} {value!r}")
    return value


def _integer(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"expected a whole number, got {type(value).__name__} {value!r}")
    return value


Text = Annotated[str, BeforeValidator(_text)]
Number = Annotated[float, BeforeValidator(_number)]
Integer = Annotated[int, BeforeValidator(_integer)]


class XrefId:
    """A cross-reference has no id of its own in the YAML; it is named by its entity and CURIE."""

    entity: str
    curie: str

    @property
    def id(self) -> str:
        prefix, _, local = self.curie.partition(":")
        return "xref-" + self.entity + "-" + re.sub(r"[^a-z0-9]+", "-", f"{prefix}-{local}".lower()).strip("-")
