"""RDF plumbing: prefixes and the one CURIE converter, the project's vocabulary, safe reading of user
files and canonical writing."""
