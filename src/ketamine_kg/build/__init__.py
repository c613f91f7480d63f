"""From curated YAML to the built graph: loading, compiling, reasoning, the named graphs, SSSOM and
validation."""
