"""The explorer in a real headless browser: a real ``streamlit run`` on 127.0.0.1, driven by
Playwright on Debian's Chromium (never a downloaded browser). Screenshots go to test-artifacts/.

Every page opened here fails its test on a request that leaves the machine (they are refused and
recorded) or on an error in the browser console.
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

#: Streamlit's own frontend looks for the server under a deep link's path first (GET
#: /explore/_stcore/health, then /_stcore/health): the 404s of that probe are its, not ours.
_BASE_PATH_PROBE = re.compile(r"/_stcore/(health|host-config)$")
PTSD = "kkr:post-traumatic-stress-disorder"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with streamlit_server(tmp_path_factory.mktemp("streamlit")) as url:
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


def _watched_page(browser, watch: Watch):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})

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
    unexpected = [u for u in watch.not_found if not _BASE_PATH_PROBE.search(urlparse(u).path)]
    assert unexpected == [], f"failed requests: {unexpected[:5]}"
    probe_404s = len(watch.not_found) - len(unexpected)
    errors = [e for e in watch.errors if "Failed to load resource" not in e]
    assert errors == [], f"console errors: {errors[:5]}"
    # Each "Failed to load resource" line is one of the probe's 404s, nothing else.
    assert len(watch.errors) - len(errors) <= probe_404s


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
                            mode == "map" or frame.evaluate("!!window.__kk_cy && window.__kk_cy.nodes().length > 0")):
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
    for text in ("Risks (", "Statements", "Identifiers and links"):
        assert page.get_by_text(text).first.is_visible(), text
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
    page.locator("h3").filter(has_text="ketamine").first.wait_for(timeout=30_000)
    page.get_by_text("Uses by evidence and status").first.wait_for(timeout=30_000)
    assert urlparse(page.url).path == "/entity" and "id=kkr%3Aketamine" in page.url
    assert "kkr:ketamine" in drawn(component_frame(page, "graph"))
    settle(page)
    page.locator(f"[data-testid=stMain] a[href='/entity?id={PTSD.replace(':', '%3A')}']").first.click()
    page.locator("h3").filter(has_text="post-traumatic stress disorder").first.wait_for(timeout=30_000)
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
    page.get_by_role("button", name="Expand its neighbourhood").click()
    page.get_by_role("button", name="Collapse").wait_for(timeout=20_000)
    settle(page)
    assert "expand=" in page.url
    expanded = drawn(frame)
    assert set(nodes) < set(expanded) and len(expanded) < 60
    _round_trip(browser, page)


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
    page.wait_for_function("() => { const t = document.querySelector('textarea'); return t && t.value.length > 0; }")
    settle(page)
    assert "/sparql?" in page.url and "sparql=" in page.url
    assert "AdverseEffect" in page.locator("textarea").first.input_value()
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


def test_bad_sparql_shows_where_and_what_and_the_page_keeps_working(server: str, page) -> None:
    page.goto(f"{server}/sparql")
    editor = page.locator("textarea").first
    editor.wait_for(timeout=30_000)
    editor.fill("SELECT * WHERE { ?s ?p")
    page.get_by_role("button", name="Run").click()
    page.get_by_text("malformed SPARQL").wait_for(timeout=20_000)
    assert page.get_by_text("line 1, column 23").first.is_visible()
    editor.fill("SELECT ?drug WHERE { ?drug a <https://w3id.org/ketamine-kg/ontology#Drug> }")
    page.get_by_role("button", name="Run").click()
    page.locator("[data-testid='stDataFrame']").first.wait_for(timeout=20_000)
    assert page.get_by_text("malformed SPARQL").count() == 0


# -- the evidence page's numbers ---------------------------------------------------------------------
def test_evidence_page_draws_the_forest_plot_and_the_time_course(server: str, page, browser) -> None:
    page.goto(f"{server}/evidence?f_cond=treatment-resistant-depression&f_out=madrs&f_meas=mean-difference"
              "&f_time=8%20days%20to%206%20weeks")
    page.get_by_text("Pooled effects: forest plot").first.wait_for(timeout=60_000)
    settle(page, timeout=60)
    summary = page.get_by_text(re.compile(r"mean-difference -?\d+\.\d\d \(95% CI .* k = \d+, n = ")).first
    summary.wait_for(timeout=30_000)
    charts = page.locator("[data-testid='stVegaLiteChart']")
    charts.first.wait_for(timeout=30_000)
    assert charts.count() >= 3  # forest plot, time course, response and remission by arm
    # Vega draws each chart into a canvas or an SVG with marks: a drawn chart has marks, not just axes.
    marks = page.evaluate("() => Array.from(document.querySelectorAll(\"[data-testid='stVegaLiteChart'] canvas, \""
                          " + \"[data-testid='stVegaLiteChart'] svg\")).length")
    assert marks >= 3
    _round_trip(browser, page)  # the question is in the URL: a copied link draws the same answer
    page.get_by_text("Downloads: PNG, SVG, CSV").first.click()
    for label in ("PNG", "SVG", "CSV"):  # the files are drawn when asked for: wait for them
        page.get_by_role("button", name=label).first.wait_for(timeout=60_000)
