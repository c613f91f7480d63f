"""One entity's page (/entity?id=kkr:ketamine): a thin script; the page lives in ketamine_kg.viewer.entity."""

from ketamine_kg.viewer.entity import entity_page

entity_page()
