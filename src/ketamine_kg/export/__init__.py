"""The graph in other tools' formats: property graphs (Neo4j, GraphML, GEXF, Cytoscape), KGX, TriG."""
