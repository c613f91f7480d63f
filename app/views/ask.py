"""The Ask page: a thin script; the page lives in ketamine_kg.viewer.ask."""

from ketamine_kg.viewer.ask import ask

ask()
