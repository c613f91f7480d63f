"""The Ask page: a thin script; the page lives in ketamine_kg.viewer.pages.ask."""

from ketamine_kg.viewer.pages import ask

ask()
