"""The curated-data schema as code: the generated models and map, and the generator that writes them
from ontology/ketamine-kg.schema.yaml."""
