"""The guarded SPARQL server and loading into one."""
