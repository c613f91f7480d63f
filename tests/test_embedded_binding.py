"""Parameters on the embedded store: a VALUES row where proven equal to substitution; same answers."""

from __future__ import annotations

import collections

import pytest

from ketamine_kg.query.catalogue import load_catalogue
from ketamine_kg.query.engine import Limits, QueryWorker, bind_parameters, execute, load_store
from ketamine_kg.layout import find_layout
from ketamine_kg.query.results import Term

CATALOGUE = load_catalogue(find_layout().queries)
LABEL_QUERY = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?s ?label WHERE { ?s rdfs:label ?label }"""
HOSTILE = ['x" } ?s ?p ?o . { "', "x\\\" } } INSERT DATA { <a:b> <a:b> <a:b> } #", "a\\u0022 } ?s ?p ?o {",
           "}\n}\nLIMIT 1"]


@pytest.fixture(scope="module")
def store(worker: QueryWorker):
    return load_store(worker.graph)


@pytest.mark.parametrize("name", sorted(n for n, q in CATALOGUE.items() if q.parameters))
def test_named_query_parameters_go_as_values_and_answer_as_substitution(name: str, store) -> None:
    q = CATALOGUE[name]
    bindings = q.bindings()
    text, substitutions = bind_parameters(q.text, bindings)
    assert substitutions == {} and "VALUES" in text, f"{name}: parameters were not bound by VALUES"
    by_values = execute(store, text)
    by_substitution = execute(store, q.text, bindings)
    assert by_values.variables == by_substitution.variables
    assert collections.Counter(by_values.rows) == collections.Counter(by_substitution.rows)
    assert by_values.rows


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_literal_is_one_term(value: str, worker: QueryWorker) -> None:
    text, substitutions = bind_parameters(LABEL_QUERY, {"label": Term.literal(value)})
    assert substitutions == {}  # it went into the query text, escaped
    result = worker.run(LABEL_QUERY, {"label": Term.literal(value)})
    assert result.rows == []  # no label is that text; nothing was read as SPARQL


def test_literal_parameter_matches_as_substitution_does(worker: QueryWorker, store) -> None:
    label = execute(store, LABEL_QUERY + " LIMIT 1").rows[0][1]
    assert label is not None
    got = worker.run(LABEL_QUERY, {"label": label})
    assert got.rows and all(row[1] == label for row in got.rows)
    assert collections.Counter(got.rows) == collections.Counter(execute(store, LABEL_QUERY, {"label": label}).rows)


def test_unprovable_binding_falls_back_to_substitution(worker: QueryWorker) -> None:
    # ?x only in a FILTER: a VALUES join and substitution differ there, so substitution is kept.
    query = "SELECT ?x ?s WHERE { ?s ?p ?o FILTER(?o = ?x) } LIMIT 3"
    bindings = {"x": Term.iri("https://w3id.org/ketamine-kg/ontology#Drug")}
    text, substitutions = bind_parameters(query, bindings)
    assert text == query and substitutions == bindings
    result = worker.run(query, bindings, Limits(max_rows=3))
    assert result.rows and all(row[0] == bindings["x"] for row in result.rows)


def test_the_proofs_verdict_is_kept_on_disk(tmp_path, monkeypatch) -> None:
    # The proof needs rdflib (hundreds of ms to import); a second command must not pay for it again.
    import json

    import pytest as _pytest

    from ketamine_kg.query import binding
    from ketamine_kg.errors import QueryError

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    binding._verdict.cache_clear()
    proven, refused = "SELECT ?s WHERE { ?s ?p ?o }", "SELECT ?s WHERE { ?s ?p ?o FILTER(?o = ?x) }"
    binding.check_prebinding(proven, ("s",))
    with _pytest.raises(QueryError, match="without always binding"):
        binding.check_prebinding(refused, ("x",))
    kept = json.loads((tmp_path / "ketamine-kg" / "prebinding-verdicts.json").read_text())
    assert sorted(kept.values())[0] == "" and "without always binding" in sorted(kept.values())[1]
    binding._verdict.cache_clear()
    monkeypatch.setattr(binding, "_prove", lambda *args: _pytest.fail("the proof ran again"))
    binding.check_prebinding(proven, ("s",))
    with _pytest.raises(QueryError, match="without always binding"):
        binding.check_prebinding(refused, ("x",))
    binding._verdict.cache_clear()
