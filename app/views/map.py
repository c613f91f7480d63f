"""The Evidence map, the first page: a thin script; the page lives in ketamine_kg.viewer.evidence_map."""

from ketamine_kg.viewer.evidence_map import home

home()
