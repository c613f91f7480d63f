"""How fast the explorer opens and answers, measured in headless Chromium against a real server.

Debian's Chromium (never a downloaded browser) is started first, as a reader's browser would
already be open. Then ``python -m ketamine_kg viewer --port P`` is started on the shipped graph
(``KETAMINE_KG_GRAPH`` if set) and the clock runs from that process start:

- server up: until ``/_stcore/health`` answers 200;
- first view: until the evidence map (the landing page) is drawn in the browser;

then each interaction, repeated ``--repeat`` times (median and max, in ms), from just before
Playwright sends the input until what it changes is on the screen:

- map cell click: until the pair's claims are listed and the script has finished;
- Explore opened as a page load (a new tab, so a new session): until the graph component has drawn;
- Explore opened from the navigation (the sidebar's link, the same session): until it has drawn;
- Explore filter change ("claim" on and off): until the component has updated its elements and
  the script has finished; the same iframe must be updated (a marker set in it must survive);
- Explore node click: until the detail panel shows the node;
- Ask question opened from the gallery, and back to the gallery;
- Entity page opened as a page load (a new tab: a new session): until its neighbourhood is drawn;
- an entity label clicked inside the app (ketamine's, above the evidence map's claims for one
  pair): until the entity page's neighbourhood is drawn, wherever the page opens (it opened in a
  new tab before in-app links); the report says whether the same document (so the same Streamlit
  session) drew it, and when the page's script had finished;
- an entity label clicked on an entity page (esketamine nasal spray's page, its condition):
  until the other entity's neighbourhood is drawn (the same frame, updated in place, or a new one).

Definitions, on the browser's clock (``Date.now()``): an interaction starts when the click's
``pointerdown`` reaches the document clicked in (the page, or a component's frame), as a user's
input does (the time from the harness's own click call, which comes earlier by Playwright's
visibility, stability and hit checks, is printed beside it); a page load starts when the
harness asks for the URL; *script done* is Streamlit's
``data-test-script-state`` on ``[data-testid=stApp]`` going back to ``notRunning`` after the
action (logged by a MutationObserver); *drawn* is the component's own ``lastUpdate`` stamp,
taken after Cytoscape.js has applied the new elements (or the map table is built).
Targets on the shipped graph: first view <= 3 s from process start, each interaction <= 300 ms.
At the end the viewer is stopped with SIGTERM and must leave no Streamlit process behind.
Last, Streamlit's own floor on this machine now: a one-button app's click, and the same app
opened in a new tab (what any new session costs before a page of ours can run).

Run: python benchmarks/viewer.py [--repeat 5] [--output benchmarks/results/viewer.txt]
"""

from __future__ import annotations

import argparse
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic",
]

#: Logs Streamlit's script state changes with their time.
_PROBE = """
(() => {
  if (window.__bench || window !== window.top) return;
  const b = window.__bench = {states: []};
  let last = null;
  const look = (records) => {
    const now = Date.now();
    // A fast run can go running -> notRunning within one batch of mutations: each record's
    // old value keeps the state in between.
    for (const r of records || []) {
      if (r.attributeName === 'data-test-script-state' && r.oldValue !== last) { last = r.oldValue; b.states.push([r.oldValue, now]); }
    }
    const app = document.querySelector('[data-testid="stApp"]');
    const state = app ? app.getAttribute('data-test-script-state') : null;
    if (state !== last) { last = state; b.states.push([state, now]); }
  };
  new MutationObserver(look).observe(document, {subtree: true, childList: true, attributes: true,
                                                 attributeOldValue: true, attributeFilter: ['data-test-script-state']});
})();
"""

#: In every frame (the page and each component's iframe): when the input reached the document. An
#: interaction is timed from there, as the user's click is; the harness's own click call comes
#: earlier by Playwright's checks that the target is visible, stable and hit (two animation frames
#: and a few protocol round trips), which the figures in brackets include.
_INPUT = """
addEventListener('pointerdown', () => { window.__bench_input = Date.now(); }, true);
"""

#: For each interaction of the current measurement, the time from the harness's click call.
_from_call: list[float] = []


def _from_input(target: Any, t0: float, end: float) -> float:
    """``end`` minus when the click reached ``target``'s document (the page, or a component's frame),
    recording ``end - t0`` (from the harness's call) beside it."""
    _from_call.append(end - t0)
    t = target.evaluate("window.__bench_input || 0")
    return end - (t if t >= t0 else t0)


def _wait_healthy(url: str, proc: subprocess.Popen, timeout: float = 120) -> None:
    """Until Streamlit at ``url`` answers its health check; a server that exits or never answers
    ends the run with its error output rather than a hang."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        if proc.poll() is not None:
            raise SystemExit(proc.stderr.read().decode() if proc.stderr else f"the server at {url} stopped")
        time.sleep(0.02)
    raise SystemExit(f"no answer from {url}/_stcore/health within {timeout:.0f} s")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Page:
    def __init__(self, page: Any) -> None:
        self.page = page

    def now(self) -> float:
        return self.page.evaluate("Date.now()")

    def script_done_after(self, t0: float, timeout: float = 3) -> float:
        """When the first script run that started after ``t0`` finished. A run too fast for the
        observer to see its "running" state still leaves a change after ``t0``: the last one then."""
        deadline = time.monotonic() + timeout
        while True:
            started, changed = False, None
            for state, t in self.page.evaluate("window.__bench ? window.__bench.states : []"):
                if t < t0 - 5:
                    continue
                if state not in ("notRunning", None, "initial"):
                    started = True
                elif state == "notRunning":
                    if started:
                        return t
                    if t >= t0:
                        changed = t
            if time.monotonic() > deadline:
                # No run seen at all: the change on the screen (waited for by the caller) is the end.
                return changed if changed is not None else 0.0
            self.page.wait_for_timeout(5)

    def component(self, mode: str, timeout: float = 60) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for frame in self.page.frames:
                if "ketamine_kg_view" in frame.url:
                    try:
                        if frame.evaluate("window.__kk_component && window.__kk_component.mode") == mode:
                            return frame
                    except Exception:
                        pass
            self.page.wait_for_timeout(10)
        raise TimeoutError(f"no {mode} component")

    def new_component_drawn(self, mode: str, t0: float, old: list[Any], timeout: float = 60) -> float:
        """When a component frame not in ``old`` drew ``mode`` at or after ``t0``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for frame in self.page.frames:
                if "ketamine_kg_view" in frame.url and frame not in old:
                    try:
                        t = frame.evaluate(
                            "(mode) => window.__kk_component && window.__kk_component.mode === mode"
                            " ? window.__kk_component.lastUpdate : 0", mode)
                    except Exception:
                        continue
                    if t and t >= t0:
                        return t
            self.page.wait_for_timeout(5)
        raise TimeoutError(f"no new {mode} component drew")

    def drawn_after(self, frame: Any, t0: float, timeout: float = 60) -> float:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            t = frame.evaluate("window.__kk_component ? window.__kk_component.lastUpdate : 0")
            if t >= t0:
                return t
            self.page.wait_for_timeout(5)
        raise TimeoutError("the component did not draw")

    def text_after(self, text: str, t0: float, timeout: float = 60) -> float:
        handle = self.page.wait_for_function(
            "(text) => document.body.innerText.includes(text) ? Date.now() : false", arg=text, polling="raf",
            timeout=timeout * 1000)
        return handle.json_value()


def _measure(repeat: int, action: Callable[[], float]) -> list[float]:
    _from_call.clear()
    return [action() for _ in range(repeat)]


def run(repeat: int) -> list[str]:
    from playwright.sync_api import sync_playwright

    lines: list[str] = []
    graph = os.environ.get("KETAMINE_KG_GRAPH") or str(ROOT / "graph" / "ketamine-kg.nt")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        context.add_init_script(_PROBE)
        context.add_init_script(_INPUT)
        port = _free_port()
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
        started = time.time() * 1000
        proc = subprocess.Popen([sys.executable, "-m", "ketamine_kg", "viewer", "--port", str(port)], cwd=ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            url = f"http://127.0.0.1:{port}"
            _wait_healthy(url, proc)
            up = time.time() * 1000
            page = context.new_page()
            pg = Page(page)
            page.goto(url)
            first = pg.drawn_after(pg.component("map"), 0)
            lines.append(f"server up (health 200) after process start: {up - started:,.0f} ms")
            lines.append(f"first view (evidence map drawn) after process start: {first - started:,.0f} ms  [target 3,000]")
            results: dict[str, list[float]] = {}

            def map_click() -> float:
                page.goto(url)
                frame = pg.component("map")
                pg.drawn_after(frame, 0)
                pg.script_done_after(0)
                t0 = pg.now()
                frame.locator("td.cell[data-drug='kkr:ketamine'][data-condition='kkr:post-traumatic-stress-disorder']").click()
                end = max(pg.text_after("ketamine for post-traumatic stress disorder", t0), pg.script_done_after(t0))
                return _from_input(frame, t0, end)

            def open_explore() -> float:
                fresh = context.new_page()
                fp = Page(fresh)
                t0 = fp.now()
                fresh.goto(f"{url}/explore")
                end = fp.drawn_after(fp.component("graph"), t0)
                fresh.close()
                return end - t0

            page.goto(f"{url}/explore")
            graph_frame = pg.component("graph")
            pg.drawn_after(graph_frame, 0)
            pg.script_done_after(0)
            graph_frame.evaluate("window.__bench_marker = 1")
            pill = page.locator("[data-testid='stSidebar'] button").filter(has_text="claim").first

            def filter_change() -> float:
                t0 = pg.now()
                pill.click()
                end = max(pg.drawn_after(graph_frame, t0), pg.script_done_after(t0))
                assert graph_frame.evaluate("window.__bench_marker") == 1, "a new iframe was built"
                return _from_input(page, t0, end)

            def node_click() -> float:
                page.goto(f"{url}/explore")
                frame = pg.component("graph")
                pg.drawn_after(frame, 0)
                pg.script_done_after(0)
                x, y = frame.evaluate("(() => { const p = window.__kk_cy.getElementById('kkr:arketamine').renderedPosition(); return [p.x, p.y]; })()")
                t0 = pg.now()
                frame.locator("#graph").click(position={"x": x, "y": y})
                end = max(pg.text_after("Open its page", t0), pg.script_done_after(t0))
                return _from_input(frame, t0, end)

            def ask_open() -> float:
                page.goto(f"{url}/ask")
                page.get_by_role("button", name="Ask").first.wait_for()
                pg.script_done_after(0)
                t0 = pg.now()
                page.locator("[data-testid='stVerticalBlock']").filter(has_text="Approved uses").last.get_by_role("button", name="Ask").click()
                end = max(pg.text_after("For which conditions is each ketamine form approved", t0), pg.script_done_after(t0))
                page.locator("[data-testid='stDataFrame']").first.wait_for()
                return _from_input(page, t0, end)

            def ask_back() -> float:
                t0 = pg.now()
                page.get_by_role("button", name="← All questions").click()
                end = max(pg.text_after("Regulation", t0), pg.script_done_after(t0))
                return _from_input(page, t0, end)

            def open_entity() -> float:
                fresh = context.new_page()
                fp = Page(fresh)
                t0 = fp.now()
                fresh.goto(f"{url}/entity?id=kkr:ketamine")
                end = fp.drawn_after(fp.component("graph"), t0)
                fresh.close()
                return end - t0

            def explore_from_nav() -> float:
                page.goto(f"{url}/ask")
                page.get_by_role("button", name="Ask").first.wait_for()
                pg.script_done_after(0)
                page.evaluate("window.__bench_doc = 1")
                old = list(page.frames)
                t0 = pg.now()
                page.locator("[data-testid='stSidebarNav'] a").filter(has_text="Explore").click()
                end = pg.new_component_drawn("graph", t0, old)
                assert page.evaluate("window.__bench_doc") == 1, "the navigation reloaded the page"
                return _from_input(page, t0, end)

            in_app: dict[str, list[Any]] = {"done": [], "same": []}

            def click_label(href: str, frame: Any = None) -> tuple[float, float, bool]:
                """Click the label linking to ``href`` on the page open now; return when a graph was
                drawn for it (a new frame, or ``frame`` updated in place), when the script finished
                and whether the same document did it. Before in-app links the page opened in a new tab."""
                page.evaluate("window.__bench_doc = 1")
                old, tabs = list(page.frames), list(context.pages)
                link = page.locator(f"[data-testid='stMain'] a[href='{href}']").first
                t0 = pg.now()
                link.click()
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline:
                    opened = [t for t in context.pages if t not in tabs]
                    target = Page(opened[0]) if opened else pg
                    try:
                        if frame is not None and not opened and (t := frame.evaluate(
                                "window.__kk_component.lastUpdate")) >= t0:
                            end = t
                            break
                    except Exception:
                        pass  # the frame was replaced: the new one is looked for below
                    try:
                        end = target.new_component_drawn("graph", t0, old, timeout=0.01)
                        break
                    except TimeoutError:
                        pass
                else:
                    raise TimeoutError(f"nothing was drawn for {href}")
                done = max(end, target.script_done_after(t0))
                same = not opened and page.evaluate("window.__bench_doc") == 1
                drawn = _from_input(page, t0, end)
                for tab in opened:
                    tab.close()
                return drawn, done - (end - drawn), same

            def entity_from_label() -> float:
                page.goto(f"{url}/?drug=kkr:ketamine&condition=kkr:post-traumatic-stress-disorder")
                pg.drawn_after(pg.component("map"), 0)
                pg.text_after("ketamine for post-traumatic stress disorder", 0)
                pg.script_done_after(0)
                drawn, done, same = click_label("/entity?id=kkr%3Aketamine")
                in_app["done"].append(done)
                in_app["same"].append(same)
                return drawn

            def entity_to_entity() -> float:
                page.goto(f"{url}/entity?id=kkr:esketamine-nasal-spray")
                frame = pg.component("graph")
                pg.drawn_after(frame, 0)
                pg.script_done_after(0)
                return click_label("/entity?id=kkr%3Atreatment-resistant-depression", frame)[0]

            calls: dict[str, list[float]] = {}

            def measure(name: str, n: int, action: Callable[[], float]) -> None:
                results[name] = _measure(n, action)
                calls[name] = list(_from_call)

            measure("map cell click -> pair's claims listed", repeat, map_click)
            measure("Explore opened as a page load (new tab, new session) -> graph drawn", repeat, open_explore)
            measure("Explore opened from the navigation (same session) -> graph drawn", repeat, explore_from_nav)
            page.goto(f"{url}/explore")
            graph_frame = pg.component("graph")
            pg.drawn_after(graph_frame, 0)
            pg.script_done_after(0)
            graph_frame.evaluate("window.__bench_marker = 1")
            pill = page.locator("[data-testid='stSidebar'] button").filter(has_text="claim").first
            measure("Explore filter change -> graph updated in place", 2 * repeat, filter_change)
            measure("Explore node click -> detail panel", repeat, node_click)
            ask, back = "Ask question opened from the gallery -> table", "Ask back to the gallery"
            results[ask], results[back], calls[ask], calls[back] = [], [], [], []
            for _ in range(repeat):
                for name, action in ((ask, ask_open), (back, ask_back)):
                    _from_call.clear()
                    results[name].append(action())
                    calls[name] += _from_call
            measure("Entity page opened as a page load (new tab, new session) -> neighbourhood drawn", repeat,
                    open_entity)
            label = "entity label clicked inside the app -> entity page's neighbourhood drawn"
            measure(label, repeat, entity_from_label)
            measure("entity label clicked on an entity page -> that entity's neighbourhood drawn", repeat,
                    entity_to_entity)
            for name, values in results.items():
                flag = "ok" if statistics.median(values) <= 300 else "over 300 ms"
                call = (f"; from the harness's click call: median {statistics.median(calls[name]):,.0f} ms"
                        if calls.get(name) else "")
                lines.append(f"{name}: median {statistics.median(values):,.0f} ms, max {max(values):,.0f} ms "
                             f"(n={len(values)}) [{flag}]{call}")
                if name == label:
                    same = sum(in_app["same"])
                    lines.append(f"  (same document, so the same session: {same} of {len(in_app['same'])}; "
                                 f"its script finished: median {statistics.median(in_app['done']):,.0f} ms, "
                                 f"max {max(in_app['done']):,.0f} ms)")
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                code = proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                code = "killed after 30 s"
            left = _left_running(port)
            lines.append(f"SIGTERM: viewer exited with {code}; Streamlit processes left running: {len(left)}")
            browser.close()
    lines.insert(0, f"graph: {Path(graph).relative_to(ROOT) if Path(graph).is_relative_to(ROOT) else graph}")
    return lines


_FLOOR_APP = """
import streamlit as st
st.session_state.setdefault("n", 0)
st.button("Click", on_click=lambda: st.session_state.update(n=st.session_state.n + 1))
st.markdown(f"count {st.session_state.n}")
"""


def floor(repeat: int) -> str:
    """Streamlit's own round trip on this machine now: a one-button app, click until its text
    changes. No page of ours can answer faster than this."""
    import tempfile

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        app = Path(tmp) / "floor.py"
        app.write_text(_FLOOR_APP, encoding="utf-8")
        port = _free_port()
        proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(app), "--server.port", str(port),
                                 "--server.headless", "true", "--browser.gatherUsageStats", "false"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            url = f"http://127.0.0.1:{port}"
            _wait_healthy(url, proc)
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
                floor_context = browser.new_context()
                floor_context.add_init_script(_INPUT)
                page = floor_context.new_page()
                pg = Page(page)
                page.goto(url)
                page.get_by_text("count 0").wait_for()
                times = []
                _from_call.clear()
                for i in range(1, 2 * repeat + 1):
                    t0 = pg.now()
                    page.get_by_role("button", name="Click").click()
                    times.append(_from_input(page, t0, pg.text_after(f"count {i}", t0)))
                call_median = statistics.median(_from_call)
                # A new session (a new tab) loads Streamlit's own frontend first: no page of ours
                # opened in a new session can be drawn sooner than this.
                opens = []
                for _ in range(repeat):
                    fresh = page.context.new_page()  # warm cache, as the Explore and Entity opens
                    fp = Page(fresh)
                    t0 = fp.now()
                    fresh.goto(url)
                    opens.append(fp.text_after("count 0", t0) - t0)
                    fresh.close()
                browser.close()
        finally:
            proc.terminate()
            proc.wait(15)
    return (f"Streamlit's floor (a one-button app, click -> text): median {statistics.median(times):,.0f} ms, "
            f"max {max(times):,.0f} ms (n={len(times)}); from the harness's click call: median {call_median:,.0f} ms\n"
            f"Streamlit's floor for a new session (the same app opened in a new tab -> text): "
            f"median {statistics.median(opens):,.0f} ms, max {max(opens):,.0f} ms (n={len(opens)})")


def _left_running(port: int) -> list[int]:
    marker = f"--server.port {port}".encode()
    left = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker in (entry / "cmdline").read_bytes().replace(b"\0", b" "):
                    left.append(int(entry.name))
            except OSError:
                pass
    return left


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--output", type=Path, help="also write the report here")
    args = parser.parse_args()
    header = [
        f"ketamine-kg viewer benchmark, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
        f"command: python benchmarks/viewer.py --repeat {args.repeat}",
        (f"machine: {platform.machine()}, {os.cpu_count()} cores (shared), Python {platform.python_version()}, "
         f"Chromium {CHROMIUM} headless"),
    ]
    load_before = os.getloadavg()[0]
    lines = run(args.repeat) + [floor(args.repeat)]
    header.append(f"load average (1 min) at start / end: {load_before:.1f} / {os.getloadavg()[0]:.1f} "
                  "(other work shares these cores: figures are from a busy machine when these exceed 2)")
    report = "\n".join(header + lines) + "\n"
    print(report, end="")
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(report, encoding="utf-8")


if __name__ == "__main__":
    from _record import recorded

    with recorded("viewer"):
        main()
