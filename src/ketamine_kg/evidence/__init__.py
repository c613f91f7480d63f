"""Pooling study results (pure: no RDF, no I/O)."""
