"""How fast the explorer opens and answers, measured in headless Chromium against a real server.

For each graph (the shipped one and, unless ``--skip-large``, one ``--factor`` times larger made
with benchmarks/generate.py in a temporary folder) this starts ``streamlit run`` on 127.0.0.1 on
a free port with ``KETAMINE_KG_GRAPH`` pointing at the graph, drives Debian's Chromium with
Playwright (never a downloaded browser) and prints:

- server start: process start until ``/_stcore/health`` answers 200;
- first page (cold): navigation to the Explore view until it is *fully drawn* (below); this run
  pays for loading the graph into the query worker and projecting it into networkx;
- second page (warm): the same in a fresh browser context (a new Streamlit session) on the same
  server, repeated;
- Explore filter changes: removing and re-adding "claim" in the "Node types" multiselect, and
  moving "Minimum evidence level" to its top and back with the keyboard (End, Home), each until
  fully drawn again (each change alters what is drawn, so the graph is always redrawn);
- Ask: opening ``/ask?question=…`` in a new session, and switching the "Question" selectbox,
  until the new question's table is shown.

Definitions, all on the browser's clock (``Date.now()``, the same wall clock as this script's):

- *script done*: the app root ``[data-testid=stApp]`` carries ``data-test-script-state``;
  a MutationObserver logs each change. A run is done when the state has left ``notRunning``
  after the action and come back to it (that is Streamlit's own "Running…" indicator).
- *canvas frames*: an init script wraps the 2D canvas calls ``clearRect``, ``fillRect``,
  ``fillText`` and ``drawImage`` in every frame and logs the millisecond of each call. vis-network
  (in the streamlit-agraph iframe) clears and repaints its canvas on every redraw, and
  Streamlit's data grid paints its cells on a canvas too. *First frame* is the first paint after
  the action.
- *fully drawn* (Explore): script done, the agraph iframe has drawn at least one frame after
  the action, and then drew nothing for ``--quiet-ms`` (500 ms: vis.js redraws every animation
  frame while physics moves nodes, so half a second without a frame means the layout has come
  to rest). The figure is the time of the *last* frame before that quiet spell, not the end of
  the waiting. This is stricter and cheaper than comparing screenshots. (In practice vis.js
  stabilises the capped graph off-screen and paints the finished layout in 2-5 frames.)
- *new graph iframe created* / *graph handed to the iframe*: Streamlit replaces the agraph
  iframe whenever its arguments change; the init script notes when the new iframe's document
  starts and when it receives Streamlit's ``streamlit:render`` message with the graph.
- *table shown* (Ask): script done, the question's own text is on the page and a
  ``stDataFrame`` is visible; then the last canvas frame of the data grid in the page (it too
  draws on a canvas) before ``--quiet-ms`` of quiet.

Interaction times start just before Playwright sends the input event, so each includes one
Playwright round trip (a few ms). Every interaction is repeated ``--repeat`` times and reported
as median and max. Targets on the shipped graph: first full render <= 3 s, each interaction
<= 300 ms. ``--profile`` also times the server-side steps in-process (graph load, projection,
per-rerun filtering) to show where the time goes.

Run: python benchmarks/viewer.py [--repeat 5] [--factor 100] [--skip-large] [--profile]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic",
]

#: Runs in every frame before its own scripts: logs Streamlit's script state and canvas frames.
_PROBE = """
(() => {
  if (window.__kk) return;
  const kk = window.__kk = {draws: [], states: [], born: Date.now()};
  const proto = CanvasRenderingContext2D.prototype;
  for (const name of ['clearRect', 'fillRect', 'fillText', 'drawImage']) {
    const original = proto[name];
    proto[name] = function (...args) {
      const t = Date.now();
      if (kk.draws[kk.draws.length - 1] !== t) kk.draws.push(t);
      if (kk.draws.length > 20000) kk.draws.splice(0, 10000);
      return original.apply(this, args);
    };
  }
  if (window !== window.top) {
    // A component iframe: note when Streamlit hands it its arguments (the graph to draw).
    window.addEventListener('message', (e) => {
      if (e.data && e.data.type === 'streamlit:render' && !kk.args) kk.args = Date.now();
    });
    return;
  }
  let last = null;
  const look = () => {
    const app = document.querySelector('[data-testid="stApp"]');
    const state = app ? app.getAttribute('data-test-script-state') : null;
    if (state !== last) { last = state; kk.states.push([state, Date.now()]); }
  };
  new MutationObserver(look).observe(document, {subtree: true, childList: true, attributes: true,
                                                 attributeFilter: ['data-test-script-state']});
})();
"""


def _now_ms() -> float:
    return time.time() * 1000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def _server(graph: Path | None, log: Path) -> Iterator[tuple[str, float, float]]:
    """A ``streamlit run`` on 127.0.0.1; yields (url, process start ms, health answered ms)."""
    port = _free_port()
    env = dict(os.environ)
    if graph is None:
        env.pop("KETAMINE_KG_GRAPH", None)
    else:
        env["KETAMINE_KG_GRAPH"] = str(graph)
    with open(log, "wb") as out:
        started = _now_ms()
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(ROOT / "app" / "streamlit_app.py"),
             "--server.address", "127.0.0.1", "--server.port", str(port), "--server.headless", "true",
             "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=env,
        )
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                        if r.status == 200:
                            break
                except OSError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"streamlit did not start: {log.read_text(errors='replace')[-2000:]}")
                time.sleep(0.02)
            yield f"http://127.0.0.1:{port}", started, _now_ms()
        finally:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


class Probe:
    """Reads what the init script logged in one page and its frames."""

    def __init__(self, page: Any, quiet_ms: float, timeout_s: float = 300) -> None:
        self.page = page
        self.quiet_ms = quiet_ms
        self.timeout_s = timeout_s

    def _draws(self, frame_filter) -> list[float]:
        out: list[float] = []
        for frame in self.page.frames:
            if not frame_filter(frame):
                continue
            try:
                out.extend(frame.evaluate("window.__kk ? window.__kk.draws : []"))
            except Exception:  # a frame replaced while we asked: its successor is read next time
                continue
        return out

    def _born(self, frame_filter) -> list[tuple[float, float]]:
        out = []
        for frame in self.page.frames:
            if frame_filter(frame) and frame is not self.page.main_frame:
                try:
                    times = frame.evaluate("window.__kk ? [window.__kk.born, window.__kk.args || 0] : [0, 0]")
                    out.append(tuple(times))
                except Exception:
                    continue
        return out

    def script_done_after(self, t0: float) -> float | None:
        """When the first run that started after ``t0`` finished, or None while it has not."""
        states = self.page.evaluate("window.__kk ? window.__kk.states : []")
        started = False
        for state, t in states:
            if t < t0 - 5:
                continue
            if state not in ("notRunning", None, "initial"):
                started = True
            elif started and state == "notRunning":
                return t
        return None

    def attempt(self, t0: float, frames: str, ready=None) -> dict[str, float] | None:
        """:meth:`wait` with a 20 s limit; None (counted as missed) if nothing settled."""
        limit, self.timeout_s = self.timeout_s, 20
        try:
            return self.wait(t0, frames, ready)
        except TimeoutError:
            return None
        finally:
            self.timeout_s = limit

    def wait(self, t0: float, frames: str, ready=None) -> dict[str, float]:
        """Wait until the script is done, ``ready()`` holds and ``frames`` ("agraph" or "main")
        have drawn after ``t0`` and then stayed quiet; return times in ms since ``t0``."""
        if frames == "agraph":
            frame_filter = lambda f: "agraph" in f.url  # noqa: E731
        else:
            frame_filter = lambda f: f is self.page.main_frame  # noqa: E731
        deadline = time.monotonic() + self.timeout_s
        done = None
        while time.monotonic() < deadline:
            done = done or self.script_done_after(t0)
            if done is not None and (ready is None or ready()):
                draws = [t for t in self._draws(frame_filter) if t >= t0]
                now = self.page.evaluate("Date.now()")
                if draws and now - max(draws) >= self.quiet_ms:
                    born = sorted(b for b in self._born(frame_filter) if b[0] >= t0)
                    return {"done": done - t0, "first_draw": min(draws) - t0, "settled": max(max(draws), done) - t0,
                            "frames": len(draws), "iframe": (born[-1][0] - t0) if born else None,
                            "args": (born[-1][1] - t0) if born and born[-1][1] else None}
            time.sleep(0.03)
        raise TimeoutError(f"nothing settled within {self.timeout_s:.0f} s (script done: {done is not None})")


def _ms(values: list[float]) -> str:
    return f"median {statistics.median(values):7.0f} ms   max {max(values):7.0f} ms   (n={len(values)})"


def _caption(page: Any) -> str:
    loc = page.get_by_text("most connected of").or_(page.get_by_text(" nodes, ")).first
    try:
        return " ".join(loc.inner_text(timeout=2000).split())
    except Exception:
        return "(no caption found)"


def _multiselect(page: Any, label: str) -> Any:
    return page.locator("[data-testid='stMultiSelect']").filter(has_text=label).first


def measure_graph(browser: Any, name: str, graph: Path | None, args: argparse.Namespace, shots: Path) -> dict[str, Any]:
    from ketamine_kg.catalogue import load_catalogue
    from ketamine_kg.layout import find_layout

    catalogue = load_catalogue(find_layout().queries)
    figures: dict[str, Any] = {}
    log = shots / f"server-{name}.log"
    with _server(graph, log) as (url, started, healthy):
        figures["server start"] = healthy - started

        def session() -> tuple[Any, Any, Probe]:
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            context.add_init_script(_PROBE)
            page = context.new_page()
            return context, page, Probe(page, args.quiet_ms)

        # -- first page (cold) and second pages (warm) -----------------------------------------
        context, page, probe = session()
        t0 = _now_ms()
        page.goto(url + "/", wait_until="load")
        loaded = _now_ms() - t0
        cold = probe.wait(t0, "agraph")
        figures["cold"] = {"loaded": loaded, **cold}
        figures["start to drawn"] = t0 + cold["settled"] - started
        page.screenshot(path=str(shots / f"explore-first-open-{name}.png"))
        figures["caption"] = _caption(page)
        context.close()
        warm = []
        for _ in range(args.repeat):
            context, page, probe = session()
            t0 = _now_ms()
            page.goto(url + "/", wait_until="load")
            warm.append(probe.wait(t0, "agraph"))
            context.close()
        figures["warm"] = warm

        # -- Explore filter changes ------------------------------------------------------------
        context, page, probe = session()
        t0 = _now_ms()
        page.goto(url + "/", wait_until="load")
        probe.wait(t0, "agraph")
        kinds = _multiselect(page, "Node types")
        removes, adds = [], []
        chip = kinds.locator("button[aria-label='Remove claim']")
        for _ in range(args.repeat):
            if chip.count():
                t0 = _now_ms()
                chip.click()
                removes.append(probe.attempt(t0, "agraph"))
            if chip.count():
                continue  # the removal did not take; try again
            kinds.locator("input").first.click()
            option = page.get_by_role("option", name="claim", exact=True)
            option.wait_for()
            t0 = _now_ms()
            option.click()
            adds.append(probe.attempt(t0, "agraph"))
            # Close the list by clicking the page title: while it is open the multiselect holds
            # back the next change until it closes.
            page.locator("h1").first.click()
            page.get_by_role("listbox").wait_for(state="hidden")
        figures["remove claim"], figures["add claim"] = removes, adds
        slider = page.locator("[data-testid='stSlider']").filter(has_text="Minimum evidence level")
        thumb = slider.get_by_role("slider").first
        ups, downs = [], []
        for _ in range(args.repeat):
            thumb.focus()
            t0 = _now_ms()
            page.keyboard.press("End")
            ups.append(probe.attempt(t0, "agraph"))
            t0 = _now_ms()
            page.keyboard.press("Home")
            downs.append(probe.attempt(t0, "agraph"))
        figures["evidence up"], figures["evidence down"] = ups, downs
        context.close()

        # -- Ask -------------------------------------------------------------------------------
        cycle = [n for n in args.questions.split(",") if n in catalogue]
        opens = []
        for i in range(args.repeat):
            q = catalogue[cycle[i % len(cycle)]]
            context, page, probe = session()
            t0 = _now_ms()
            page.goto(f"{url}/ask?question={q.name}", wait_until="load")
            opens.append(probe.wait(t0, "main", _shows(page, q.question)))
            if i == 0:
                page.screenshot(path=str(shots / f"ask-{name}.png"))
            context.close()
        figures["ask open"] = opens
        context, page, probe = session()
        t0 = _now_ms()
        page.goto(f"{url}/ask?question={cycle[0]}", wait_until="load")
        probe.wait(t0, "main", _shows(page, catalogue[cycle[0]].question))
        switches = []
        for i in range(1, args.repeat * 2 + 1):
            q = catalogue[cycle[i % len(cycle)]]
            page.locator("[data-testid='stSelectbox']").filter(has_text="Question").first.click()
            option = page.get_by_role("option", name=q.title, exact=True)
            option.wait_for()
            t0 = _now_ms()
            option.click()
            switches.append(probe.attempt(t0, "main", _shows(page, q.question)))
        figures["ask switch"] = switches
        context.close()
    return figures


def _shows(page: Any, question: str):
    def ready() -> bool:
        shown = page.get_by_text(question, exact=True).count() > 0
        return shown and page.locator("[data-testid='stDataFrame']").count() > 0
    return ready


def report(name: str, triples: int, f: dict[str, Any]) -> None:
    print(f"\n== {name}: {triples:,} triples")
    c = f["cold"]
    print(f"server start (process -> /_stcore/health 200)      {f['server start']:7.0f} ms")
    print(f"first page, cold (navigate -> fully drawn)          {c['settled']:7.0f} ms   "
          f"[load event {c['loaded']:.0f}, script done {c['done']:.0f}, graph iframe created {c['iframe'] or 0:.0f}, "
          f"first canvas frame {c['first_draw']:.0f}]")
    print(f"process start -> first page fully drawn             {f['start to drawn']:7.0f} ms")
    for label, key in (("second page, warm (navigate -> fully drawn)", "warm"),
                       ("Explore: remove 'claim' from Node types", "remove claim"),
                       ("Explore: add 'claim' back", "add claim"),
                       ("Explore: Minimum evidence level to meta-analysis", "evidence up"),
                       ("Explore: Minimum evidence level back to any", "evidence down"),
                       ("Ask: open a question (new session)", "ask open"),
                       ("Ask: switch the question", "ask switch")):
        runs = [r for r in f[key] if r is not None]
        if len(runs) < len(f[key]):
            print(f"{label:<50}  {len(f[key]) - len(runs)} of {len(f[key])} runs never settled (input missed?)")
        if not runs:
            continue
        print(f"{label:<50}  {_ms([r['settled'] for r in runs])}")
        print(f"{'  script done':<50}  {_ms([r['done'] for r in runs])}")
        iframes = [r["iframe"] for r in runs if r.get("iframe") is not None]
        if iframes:
            print(f"{'  new graph iframe created':<50}  {_ms(iframes)}")
        handed = [r["args"] for r in runs if r.get("args") is not None]
        if handed:
            print(f"{'  graph handed to the iframe':<50}  {_ms(handed)}")
        print(f"{'  first canvas frame':<50}  {_ms([r['first_draw'] for r in runs])}")
    print(f"Explore caption on first open: {f['caption']}")


def profile(graph: Path) -> None:
    """Server-side steps in this process, without Streamlit or the browser."""
    from ketamine_kg.analysis import project, subgraph
    from ketamine_kg.engine import QueryWorker

    t = time.perf_counter()
    worker = QueryWorker(graph)
    worker.run("ASK {}")
    load = time.perf_counter() - t
    try:
        t = time.perf_counter()
        projection = project(worker)
        proj = time.perf_counter() - t
        g = projection.graph
        samples = []
        for _ in range(3):
            t = time.perf_counter()
            kinds = sorted({projection.kind(n) for n in g})
            relations = sorted({d["relation"] for *_, d in g.edges(data=True)})
            sorted((n for n in g if projection.kind(n) == "condition"), key=projection.labels.get)
            lists = time.perf_counter() - t
            t = time.perf_counter()
            view, matched = subgraph(projection, kinds=set(kinds) - {"source"}, relations=set(relations), max_nodes=80)
            samples.append((lists, time.perf_counter() - t))
        payload = _payload_bytes(view)
    finally:
        worker.close()
    print(f"  profile: worker start + graph load {load * 1000:,.0f} ms; projection {proj * 1000:,.0f} ms "
          f"({g.number_of_nodes():,} nodes, {g.number_of_edges():,} edges)")
    print(f"  profile, per Explore rerun: filter lists {statistics.median(s[0] for s in samples) * 1000:,.1f} ms, "
          f"subgraph {statistics.median(s[1] for s in samples) * 1000:,.1f} ms "
          f"({matched:,} matched, {view.number_of_nodes()} drawn); agraph payload {payload / 1024:,.1f} KiB")


def _payload_bytes(view: Any) -> int:
    import streamlit_agraph

    from ketamine_kg.viewer import graphview

    captured: dict[str, Any] = {}
    original = streamlit_agraph.agraph

    def fake(nodes, edges, config):
        payload = {"nodes": [n.to_dict() for n in nodes], "edges": [e.to_dict() for e in edges]}
        captured["size"] = len(json.dumps(payload))

    streamlit_agraph.agraph = fake
    try:
        graphview.draw(view)
    finally:
        streamlit_agraph.agraph = original
    return captured.get("size", 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs of each interaction (default 5)")
    parser.add_argument("--factor", type=int, default=100, help="size of the large graph (default 100)")
    parser.add_argument("--skip-large", action="store_true", help="measure the shipped graph only")
    parser.add_argument("--skip-shipped", action="store_true", help="measure the large graph only")
    parser.add_argument("--quiet-ms", type=float, default=500, help="no canvas frame for this long = settled")
    parser.add_argument("--questions", default="approved-uses,risks-of-drug,landmark-trials",
                        help="named questions the Ask figures cycle through")
    parser.add_argument("--profile", action="store_true", help="also time the server-side steps in-process")
    parser.add_argument("--out", type=Path, default=None,
                        help="folder for screenshots and server logs (default: a temp dir, removed at the end)")
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        raise SystemExit("needs Debian's chromium: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    from ketamine_kg.layout import find_layout

    with tempfile.TemporaryDirectory(prefix="kk-viewer-bench-") as tmp:
        shots = args.out or Path(tmp)
        shots.mkdir(parents=True, exist_ok=True)
        shipped = find_layout().graph_file("nt")
        graphs: list[tuple[str, Path | None, Path]] = [] if args.skip_shipped else [("shipped", None, shipped)]
        if not args.skip_large:
            large = Path(tmp) / f"kk-x{args.factor}.nt"
            subprocess.run([sys.executable, str(ROOT / "benchmarks" / "generate.py"), "--factor", str(args.factor),
                            "--output", str(large)], check=True, stdout=subprocess.DEVNULL)
            graphs.append((f"x{args.factor}", large, large))
        print(f"machine: {os.cpu_count()} cpu, {platform.machine()}, Python {platform.python_version()}; "
              f"{args.repeat} runs per interaction; settled = {args.quiet_ms:.0f} ms without a canvas frame; "
              f"load average at start {os.getloadavg()[0]:.1f}")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
            try:
                for name, env_graph, file in graphs:
                    triples = sum(1 for line in file.open("rb") if line.strip())
                    figures = measure_graph(browser, name, env_graph, args, shots)
                    report(name, triples, figures)
                    if args.profile:
                        profile(file)
            finally:
                browser.close()
        if args.out:
            print(f"\nscreenshots and server logs: {shots}")


if __name__ == "__main__":
    from _record import recorded

    with recorded("viewer"):
        main()
