"""Injection through the data: labels, synonyms, definitions and comments that hold HTML, script
and markdown tricks are shown as the text they are, in AppTest and in a real headless Chromium
(Debian's, never a downloaded browser) on a real ``streamlit run``. No script of theirs runs.
"""

from __future__ import annotations

import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("streamlit", reason="the viewer extra is not installed")
from streamlit.testing.v1 import AppTest

from .support import ARTIFACTS, chromium, require_chromium, streamlit_server

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app"
FIXTURE = Path(__file__).parent / "fixtures" / "hostile-triples.nt"
ENTITY = "kkr:hostile-drug"
# The graph component copies each node's tooltip into a div with innerHTML, where an <img onerror>
# (unlike a <script>) does run: the label carries both.
LABEL = '<script>window.__pwned=1</script> Hostile **bold** drug <img src=x onerror="window.__pwned=1">'
SCRIPT = "<script>window.__pwned=1</script>"
HOSTILE_SPARQL = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?p ?text WHERE { <https://w3id.org/ketamine-kg/resource/hostile-drug> ?p ?text FILTER(isLiteral(?text)) }"""


@pytest.fixture(scope="module")
def hostile_graph(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("hostile") / "hostile.nt"
    path.write_bytes((ROOT / "graph" / "ketamine-kg.nt").read_bytes() + FIXTURE.read_bytes())
    return path


# -- AppTest -------------------------------------------------------------------------------------
def load(page: str, graph: Path, monkeypatch: pytest.MonkeyPatch, **query: str) -> AppTest:
    monkeypatch.setenv("KETAMINE_KG_GRAPH", str(graph))
    at = AppTest.from_file(str(APP / "views" / f"{page}.py"), default_timeout=90)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _frames_text(at: AppTest) -> str:
    return "\n".join(df.value.to_csv() for df in at.dataframe)


def test_explore_detail_panel_shows_the_hostile_strings_literally(hostile_graph: Path, monkeypatch) -> None:
    at = load("explore", hostile_graph, monkeypatch, entity=ENTITY)
    headings = [s.value for s in at.subheader]
    # A heading is markdown: it must come out as the label's own characters, escaped.
    assert any(SCRIPT in h.replace("\\", "") and "**bold**" in h.replace("\\", "") for h in headings), headings
    _markdown_holds_the_strings_as_text(at)


def test_entity_page_shows_the_hostile_strings_literally(hostile_graph: Path, monkeypatch) -> None:
    at = load("entity", hostile_graph, monkeypatch, id=ENTITY)
    shown = _markdown_holds_the_strings_as_text(at)
    assert '<img src=x onerror="window.__pwned=1">' in shown and "[x](javascript:window.__pwned=1)" in shown
    assert "[click me](javascript:window.__pwned=1)" in shown and "<svg onload" in shown


def _markdown_holds_the_strings_as_text(at: AppTest) -> str:
    """Every markdown block escapes what would be markup: no tag, no link to javascript:. Returns
    the text as a reader sees it (escapes removed)."""
    blocks = [m.value for m in at.markdown] + [s.value for s in at.subheader] + [c.value for c in at.caption]
    blocks += [t.value for t in at.title]  # an entity page is titled with its label
    import re

    for block in blocks:  # a "<" or "]" that is not escaped would be markup
        assert not re.search(r"(?<!\\)<(script|img|svg|iframe|b )", block), block
        assert not re.search(r"(?<!\\)\]\(javascript:", block), block
    shown = "\n".join(b.replace("\\", "") for b in blocks)
    assert SCRIPT in shown
    return shown


def test_ask_and_sparql_tables_hold_the_hostile_strings_as_text(hostile_graph: Path, monkeypatch) -> None:
    at = load("ask", hostile_graph, monkeypatch, question="entity-neighbourhood", **{"p.entity": ENTITY})
    assert SCRIPT in _frames_text(at)
    at = load("sparql", hostile_graph, monkeypatch, sparql=HOSTILE_SPARQL)
    if not at.dataframe:
        at.button[0].click().run()
    text = _frames_text(at)
    assert SCRIPT in text and "javascript:window.__pwned=1" in text


# -- a real browser ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def server(hostile_graph: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    require_chromium()
    with streamlit_server(tmp_path_factory.mktemp("streamlit-hostile"), {"KETAMINE_KG_GRAPH": str(hostile_graph)}) as url:
        yield url


@pytest.fixture(scope="module")
def browser(server: str) -> Iterator[object]:
    with chromium() as b:
        yield b


@pytest.fixture()
def page(browser, request):
    context = browser.new_context(viewport={"width": 1400, "height": 1100})
    pg = context.new_page()
    dialogs: list[str] = []
    pg.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    pg.dialogs = dialogs  # type: ignore[attr-defined]
    yield pg
    ARTIFACTS.mkdir(exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


def _assert_not_pwned(page) -> None:
    time.sleep(1.0)  # let late components (the graph iframe) load and run whatever they would run
    for frame in page.frames:
        try:
            state = frame.evaluate("typeof window.__pwned")
        except Exception as exc:  # a frame that navigated away mid-check
            if "detached" in str(exc).lower() or "navigat" in str(exc).lower():
                continue
            raise
        assert state == "undefined", f"script from the data ran in frame {frame.url}"
    assert not page.dialogs  # type: ignore[attr-defined]


def _visible_text(page, text: str) -> bool:
    return page.get_by_text(text, exact=False).first.is_visible()


@pytest.mark.browser
def test_explore_with_the_hostile_entity_selected(server: str, page) -> None:
    page.goto(f"{server}/explore?entity={urllib.parse.quote(ENTITY)}")
    page.get_by_text("Hostile", exact=False).first.wait_for(timeout=60_000)
    page.locator("iframe").first.wait_for(timeout=60_000)
    assert _visible_text(page, SCRIPT), "the label's <script> is not shown as text"
    _assert_not_pwned(page)


@pytest.mark.browser
def test_sparql_page_returning_the_hostile_labels(server: str, page) -> None:
    # The query goes in through the link (the editor itself is a CodeMirror frame).
    page.goto(f"{server}/sparql?sparql={urllib.parse.quote(HOSTILE_SPARQL)}")
    page.locator("[data-testid='stDataFrame']").first.wait_for(timeout=60_000)
    _assert_not_pwned(page)


@pytest.mark.browser
def test_entity_page_of_the_hostile_entity(server: str, page) -> None:
    page.goto(f"{server}/entity?id={urllib.parse.quote(ENTITY)}")
    page.get_by_text("Hostile", exact=False).first.wait_for(timeout=60_000)
    assert _visible_text(page, SCRIPT), "the label's <script> is not shown as text"
    _assert_not_pwned(page)


@pytest.mark.browser
def test_ask_page_on_the_hostile_entity(server: str, page) -> None:
    page.goto(f"{server}/ask?question=entity-neighbourhood&p.entity={urllib.parse.quote(ENTITY)}")
    page.locator("[data-testid='stDataFrame'], iframe").first.wait_for(timeout=60_000)
    _assert_not_pwned(page)
    page.goto(f"{server}/ask?question=risks-of-drug&p.drug={urllib.parse.quote(ENTITY)}")
    page.locator("[data-testid='stDataFrame']").first.wait_for(timeout=60_000)
    time.sleep(1.0)
    # The drug picker shows the hostile label as its own characters.
    shown = page.locator("[data-testid='stSelectbox']").all_inner_texts() + [page.locator("body").inner_text()]
    shown += [v for v in page.locator("input").evaluate_all("els => els.map(e => e.value)")]
    assert any(SCRIPT in text for text in shown), shown
    _assert_not_pwned(page)
