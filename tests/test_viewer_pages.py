"""Every explorer page, run headless with Streamlit's AppTest: it loads, and widgets change it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest.importorskip("streamlit", reason="the viewer extra is not installed")
from streamlit.testing.v1 import AppTest

APP = Path(__file__).resolve().parents[1] / "app"
PAGES = sorted(p.stem for p in (APP / "views").glob("*.py"))


def load(page: str, **query: str) -> AppTest:
    at = AppTest.from_file(str(APP / "views" / f"{page}.py"), default_timeout=90)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def headings(at: AppTest) -> list[str]:
    """Subheaders as a reader sees them (labels from the data are escaped markdown)."""
    return [s.value.replace("\\", "") for s in at.subheader]


def text_of(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [s.value for s in at.subheader]
    parts += [w.value for w in at.warning] + [e.value for e in at.error]
    return "\n".join(str(p) for p in parts)


@pytest.mark.parametrize("page", PAGES)
def test_page_loads_with_the_disclaimer(page: str) -> None:
    at = load(page)
    assert at.title[0].value
    assert any("not medical advice" in i.value for i in at.info)


def test_pages_are_all_in_the_navigation() -> None:
    entry = (APP / "streamlit_app.py").read_text(encoding="utf-8")
    for page in PAGES:
        assert f'"views/{page}.py"' in entry


def drawn_nodes(at: AppTest, index: int = 0) -> set[str]:
    """The ids of the nodes handed to the graph component."""
    import json

    args = json.loads(at.get("component_instance")[index].proto.json_args)
    return {n["id"] for n in args["nodes"]}


def test_explore_filters_change_what_is_drawn() -> None:
    at = load("explore", kinds="claim,condition,drug form")
    before = drawn_nodes(at)
    at.select_slider(key="min_rank").set_value(5).run()
    after = drawn_nodes(at)
    claims = lambda nodes: {n for n in nodes if n.startswith("kkr:claim-")}
    assert claims(after) < claims(before)  # only claims backed by a meta-analysis stay
    at.pills(key="kinds").set_value(["drug form"]).run()
    assert "5 nodes" in text_of(at)
    assert at.query_params["kinds"] in (["drug form"], "drug form")


def test_first_explore_view_is_not_a_hairball() -> None:
    at = load("explore")
    nodes = drawn_nodes(at)
    assert 10 < len(nodes) <= 60
    assert not any(n.startswith(("kkr:claim-", "kkr:src-")) for n in nodes)


def test_condition_filter_keeps_only_that_conditions_claims() -> None:
    from ketamine_kg.query.network import project
    from ketamine_kg.query.engine import QueryWorker
    from ketamine_kg.layout import find_layout

    at = load("explore", condition="kkr:post-traumatic-stress-disorder")
    nodes = drawn_nodes(at)
    projection = project(QueryWorker(find_layout().graph_file("nt")))
    claims = {n for n in nodes if projection.kind(n) == "claim"}
    assert claims, "the condition's claims are drawn"
    for claim in claims:
        about = {v for _, v, d in projection.graph.out_edges(claim, data=True) if d["relation"] == "about condition"}
        assert about == {"kkr:post-traumatic-stress-disorder"}, (claim, about)
    conditions = {n for n in nodes if projection.kind(n) == "condition"}
    assert conditions == {"kkr:post-traumatic-stress-disorder"}


def test_expand_adds_one_hop_and_lives_in_the_url() -> None:
    from ketamine_kg.query.network import project
    from ketamine_kg.query.engine import QueryWorker
    from ketamine_kg.layout import find_layout

    projection = project(QueryWorker(find_layout().graph_file("nt")))
    node = "kkr:social-anxiety-disorder"
    at = load("explore", entity=node, kinds="claim,condition,drug form,alternative")
    before = drawn_nodes(at)
    at.button(key="expand").click().run()
    assert at.query_params["expand"] in ([node], node)
    after = drawn_nodes(at)
    neighbours = set(projection.graph.successors(node)) | set(projection.graph.predecessors(node))
    assert after - before and after - before <= neighbours
    assert len(after) < 80  # not the whole graph
    at.button(key="collapse").click().run()
    assert "expand" not in at.query_params and drawn_nodes(at) == before


def test_explore_search_opens_the_detail_panel() -> None:
    at = load("explore")
    at.text_input(key="search").input("Spravato").run()
    assert not at.exception
    assert "esketamine nasal spray (Spravato)" in headings(at)
    assert at.query_params["entity"] == ["kkr:esketamine-nasal-spray"] or at.query_params["entity"] == "kkr:esketamine-nasal-spray"


def test_explore_unknown_search_says_so() -> None:
    at = load("explore")
    at.text_input(key="search").input("no-such-thing-zzz").run()
    assert any("No label or synonym" in w.value for w in at.warning)


def test_explore_link_reopens_the_entity() -> None:
    at = load("explore", entity="kkr:ketamine", kinds="drug form,condition", max="30")
    assert "ketamine" in headings(at)
    assert at.pills(key="kinds").value == ["drug form", "condition"]


def test_ask_answers_and_parameters_change_the_answer() -> None:
    at = load("ask", question="risks-of-drug")
    first = at.dataframe[0].value
    assert len(first) > 0
    at.selectbox(key="param-risks-of-drug-drug").set_value("kkr:ketamine").run()
    second = at.dataframe[0].value
    assert set(second["Risk"]) != set(first["Risk"])
    # ketamine's answer has forms other than itself, so its Form column stays; a column showing
    # exactly what Drug shows (a drug form asked about itself) goes
    assert "Form" in second.columns
    assert not any(first[c].map(str).equals(first["Drug"].map(str)) for c in first.columns if c != "Drug")


def test_ask_opens_on_a_gallery_grouped_by_topic() -> None:
    at = load("ask")
    headings = [s.value for s in at.subheader]
    assert {"Uses and evidence", "Regulation", "Safety"} <= set(headings)
    at.button(key="open-approved-uses").click().run()
    assert at.query_params["question"] in (["approved-uses"], "approved-uses")


def test_ask_switch_drops_the_last_questions_parameters() -> None:
    at = load("ask", question="risks-of-drug", **{"p.drug": "kkr:ketamine"})
    at.selectbox(key="question").set_value("approved-uses").run()
    assert not [k for k in at.query_params if k.startswith("p.")]


def test_ask_answers_read_as_words_and_links() -> None:
    at = load("ask", question="approved-uses")
    frame = at.dataframe[0].value
    assert "drugLabel" not in frame.columns and "Drug" in frame.columns
    assert frame["Drug"].iloc[0].startswith("/entity?id=kkr:")  # a link to its entity page, shown by its label
    assert str(frame["Date"].dtype).startswith("datetime64")
    assert any("Spravato" in m.value and "since 2019" in m.value for m in at.markdown)


def test_ask_chart_for_evidence_question() -> None:
    at = load("ask", question="evidence-by-condition")
    assert at.dataframe and len(at.dataframe[0].value) > 5
    assert at.get("plotly_chart")


def test_sparql_error_is_shown_inline_and_the_page_keeps_working() -> None:
    at = load("sparql")
    at.text_area(key="sparql-editor").input("SELECT * WHERE { ?s ?p").run()
    at.button(key="run").click().run()
    assert any("malformed SPARQL" in e.value for e in at.error)
    at.text_area(key="sparql-editor").input("SELECT ?s WHERE { ?s a <https://w3id.org/ketamine-kg/ontology#Drug> }").run()
    at.button(key="run").click().run()
    assert not at.error and len(at.dataframe[0].value) >= 5


def test_sparql_refuses_updates_and_service() -> None:
    at = load("sparql")
    at.text_area(key="sparql-editor").input("INSERT DATA { <urn:a> <urn:b> <urn:c> }").run()
    at.button(key="run").click().run()
    assert any("refused" in e.value for e in at.error)


def test_sparql_link_runs_its_query() -> None:
    at = load("sparql", sparql="ASK { ?s ?p ?o }")
    assert any(m.value == "yes" for m in at.metric)


def test_evidence_condition_changes_both_columns() -> None:
    at = load("evidence")
    first = [len(d.value) for d in at.dataframe]
    at.selectbox(key="evidence-condition").set_value("kkr:post-traumatic-stress-disorder").run()
    second = [len(d.value) for d in at.dataframe]
    assert first != second


def test_ontology_shows_the_hierarchy_and_properties() -> None:
    at = load("ontology")
    body = text_of(at)
    assert "therapeutic\\-use claim" in body and "approved\\-use claim" in body
    assert any(v.startswith("/entity?id=kk:drug#") for v in at.dataframe[0].value["Property"])
    assert {"Classes (", "Individuals ("} <= {s.value[:9] for s in at.subheader} | {s.value[:13] for s in at.subheader}


def test_paths_change_with_the_endpoints() -> None:
    at = load("paths")
    before = text_of(at)
    at.selectbox(key="to").set_value("kkr:alcohol-use-disorder").run()
    after = text_of(at)
    assert before != after and "alcohol use disorder" in after


def test_downloads_offer_every_format() -> None:
    at = load("downloads")
    labels = [b.label for b in at.get("download_button")]
    for name in ("ketamine-kg.nt", "ketamine-kg.ttl", "ketamine-kg.owl", "ketamine-kg.jsonld"):
        assert any(name in label for label in labels)


@pytest.mark.parametrize("question", ["regulatory-timeline", "evidence-by-condition"])
def test_ask_draws_a_chart_where_it_fits(question: str) -> None:
    at = load("ask", question=question)
    assert at.get("plotly_chart"), f"{question} has no chart"


def test_condition_hierarchy_is_a_tree() -> None:
    at = load("ask", question="condition-hierarchy")
    tree = next(m.value for m in at.markdown if m.value.startswith("- [mental disorder]"))
    assert "\n    - [" in tree and "\n        - [" in tree  # nested, not a force layout
    assert not at.get("component_instance")


@pytest.mark.parametrize("question", ["treats-edges", "entity-neighbourhood"])
def test_ask_draws_a_graph_where_it_fits(question: str) -> None:
    at = load("ask", question=question)
    drawn = at.get("component_instance")  # the graph component; table-only questions have none
    assert len(drawn) == 1, f"{question} has no graph"
    assert '"nodes": [{' in drawn[0].proto.json_args, "the graph has no nodes"


def test_ask_table_question_draws_no_graph() -> None:
    assert not load("ask", question="approved-uses").get("component_instance")


def test_downloads_offer_the_exports_for_other_tools() -> None:
    at = load("downloads")
    at.button(key="prepare-exports").click().run()
    labels = [b.label for b in at.get("download_button")]
    for name in ("ketamine-kg.trig", "ketamine-kg.nq", "ketamine-kg.graphml", "ketamine-kg.gexf",
                 "ketamine-kg-neo4j.zip", "ketamine-kg-kgx.zip"):
        assert any(name in label for label in labels), name


def test_downloads_offer_the_clinicians_tables() -> None:
    at = load("downloads")
    labels = [b.label for b in at.get("download_button")]
    assert any("ketamine-kg-tables.xlsx" in label for label in labels)
    assert any("ketamine-kg-tables.zip" in label for label in labels)


def test_evidence_map_lists_a_pairs_claims_with_citations() -> None:
    at = load("map", drug="kkr:ketamine", condition="kkr:post-traumatic-stress-disorder")
    assert "ketamine for post-traumatic stress disorder" in headings(at)
    body = text_of(at)
    assert "pubmed.ncbi.nlm.nih.gov" in body and "/entity?id=kkr%3Aclaim-" in body
    # the pair's studies with their results as lines: a measure in words and a CI, no slug
    assert "Studies and results" in body and "95% CI" in body and "mean-difference" not in body
    import json

    args = json.loads(at.get("component_instance")[0].proto.json_args)
    cell = args["cells"]["kkr:esketamine-nasal-spray|kkr:treatment-resistant-depression"]
    assert cell["status"] == "approved" and cell["supports"] >= 1
    assert args["selected"] == "kkr:ketamine|kkr:post-traumatic-stress-disorder"


def test_evidence_map_cells_follow_the_study_base_and_list_pairs_without_a_claim(worker) -> None:
    """Issue 17: the map's level is the strongest design among the pair's studies (not a claim's
    hand-given level), every pair with studies has a cell, and the cell agrees with
    evidence-by-condition's own-condition row."""
    import json

    from ketamine_kg.query.catalogue import load_catalogue
    from ketamine_kg.query.run import run_named

    at = load("map")
    cells = json.loads(at.get("component_instance")[0].proto.json_args)["cells"]
    question = load_catalogue(Path(__file__).resolve().parents[1] / "queries")["evidence-by-condition"]
    rows = {
        (r["drug"], r["condition"]): r for r in run_named(worker, question).records() if r["scope"] == "own condition"
    }
    assert rows and set(rows) <= {tuple(key.split("|")) for key in cells}  # every pair with studies or claims
    # racemic ketamine in TRD: one claim graded "single randomized trial", studies led by meta-analyses
    trd = cells["kkr:ketamine|kkr:treatment-resistant-depression"]
    assert trd["level"] == "meta-analysis"
    assert trd["level"] == rows[("kkr:ketamine", "kkr:treatment-resistant-depression")]["strongestDesign"]
    assert "best claim level one RCT" in trd["summary"]  # the claim's own level is still said, as the claim's
    # esketamine in perinatal depression: studies, no claim
    perinatal = cells["kkr:esketamine|kkr:perinatal-depression"]
    assert perinatal["counts"].startswith("0 claims") and perinatal["status"] == "no claim"
    assert perinatal["level"] == "meta-analysis"


def test_entity_page_groups_statements_and_cites_sources() -> None:
    at = load("entity", id="kkr:ketamine")
    body = text_of(at)
    assert at.title[0].value == "ketamine"  # the page is titled with the entity's label
    for section in ("Uses by evidence and status", "Risks (", "Statements"):
        assert section in body, section
    assert "rdf:type" not in body and "owl:NamedIndividual" not in body
    claim = load("entity", id="kkr:claim-ptsd-almeida-2024-meta-analysis")
    assert "Sources (1)" in text_of(claim) and "pubmed.ncbi.nlm.nih.gov" in text_of(claim)


def test_entity_page_for_an_unknown_id_says_so() -> None:
    at = load("entity", id="kkr:no-such-thing")
    assert any("Nothing in the graph" in w.value for w in at.warning)
    # ... and offers the search an /entity without an id shows
    assert at.selectbox(key="entity-search").options


def test_explore_panel_names_each_outside_page_once_by_its_identifier() -> None:
    """Issue 19, identifiers "twice (CURIE and URL)": the detail panel's links for PTSD list each
    page once, by its CURIE, never the bare URL a mapping also points at."""
    at = load("explore", entity="kkr:post-traumatic-stress-disorder")
    links = next(m.value for m in at.markdown if str(m.value).startswith("**Links:**"))
    shown = re.findall(r"\[([^\]]+)\]\(([^)]+)\)", links)
    assert any(t.replace("\\", "") == "MESH:D013313" for t, _ in shown), shown
    urls = [u for _, u in shown]
    assert len(urls) == len(set(urls)), urls
    assert not any(t.startswith("http") for t, _ in shown), shown
