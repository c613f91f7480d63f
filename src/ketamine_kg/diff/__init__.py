"""What changed between two builds of the graph."""
