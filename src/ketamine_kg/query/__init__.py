"""Answering SPARQL: the read-only guard, the named-query catalogue, parameter binding, the embedded
worker, remote endpoints and result rendering."""
