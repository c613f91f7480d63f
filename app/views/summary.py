"""The Summary of findings page: a thin script; the page lives in ketamine_kg.viewer.summary."""

from ketamine_kg.viewer.summary import summary_of_findings

summary_of_findings()
