"""The explorer in a real headless browser: a real ``streamlit run`` on 127.0.0.1, driven by
Playwright on Debian's Chromium (never a downloaded browser). Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterator

import pytest

from .support import ARTIFACTS, chromium, require_chromium, streamlit_server

require_chromium(module_level=True)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with streamlit_server(tmp_path_factory.mktemp("streamlit")) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium() as b:
        yield b


@pytest.fixture()
def page(browser, request):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    yield pg
    ARTIFACTS.mkdir(exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"))
    context.close()


def _graph_canvas(page):
    frame = page.frame_locator("iframe[title*='agraph']").first
    canvas = frame.locator("canvas").first
    canvas.wait_for(state="visible", timeout=30_000)
    return canvas


def _settled_png(canvas) -> bytes:
    # vis.js stabilises over a few frames; wait until two screenshots agree.
    previous = b""
    for _ in range(20):
        shot = canvas.screenshot()
        if shot == previous:
            return shot
        previous = shot
        time.sleep(0.4)
    return previous


def _pixels(png: bytes):
    from PIL import Image

    return Image.open(io.BytesIO(png)).convert("RGB")


def test_graph_is_drawn_and_a_node_click_shows_its_details(server: str, page) -> None:
    page.goto(f"{server}/?kinds=claim,condition,drug form&max=60")
    canvas = _graph_canvas(page)
    image = _pixels(_settled_png(canvas))
    background = image.getpixel((1, 1))
    drawn = sum(1 for px in image.getdata() if px != background)
    assert drawn > 2_000, "the graph canvas is blank"
    # Claims are the only orange shapes (#ffa421): click the middle of one.
    orange = [(x, y) for y in range(0, image.height, 2) for x in range(0, image.width, 2)
              if abs(image.getpixel((x, y))[0] - 0xFF) < 12 and abs(image.getpixel((x, y))[1] - 0xA4) < 14 and image.getpixel((x, y))[2] < 70]
    assert orange, "no claim node visible"
    x, y = sorted(orange)[len(orange) // 2]
    canvas.click(position={"x": x, "y": y})
    # A claim's panel lists the sources it cites, with links out.
    page.get_by_text("Sources (").first.wait_for(timeout=20_000)
    page.get_by_role("button", name="Expand its neighbourhood").wait_for(timeout=20_000)
    assert "entity=kkr%3Aclaim-" in page.url or "entity=kkr:claim-" in page.url


def test_named_question_shows_a_table(server: str, page) -> None:
    page.goto(f"{server}/ask?question=approved-uses")
    page.locator("[data-testid='stDataFrame']").first.wait_for(timeout=30_000)
    assert page.get_by_text("For which conditions is each ketamine form approved").is_visible()


def test_bad_sparql_shows_an_error_and_the_page_keeps_working(server: str, page) -> None:
    page.goto(f"{server}/sparql")
    editor = page.locator("textarea").first
    editor.wait_for(timeout=30_000)
    editor.fill("SELECT * WHERE { ?s ?p")
    page.get_by_role("button", name="Run").click()
    page.get_by_text("malformed SPARQL").wait_for(timeout=20_000)
    editor.fill("SELECT ?drug WHERE { ?drug a <https://w3id.org/ketamine-kg/ontology#Drug> }")
    page.get_by_role("button", name="Run").click()
    page.locator("[data-testid='stDataFrame']").first.wait_for(timeout=20_000)
    assert page.get_by_text("malformed SPARQL").count() == 0


def test_every_page_shows_the_disclaimer(server: str, page) -> None:
    for path in ("", "ask", "sparql", "evidence", "ontology", "paths", "downloads"):
        page.goto(f"{server}/{path}")
        page.get_by_text("not medical advice").first.wait_for(timeout=30_000)
