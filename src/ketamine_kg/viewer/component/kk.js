/* ketamine-kg's own Streamlit component (protocol v1, no build step, nothing fetched from a CDN).
 *
 * mode "graph": a Cytoscape.js network that is updated in place: the iframe and the Cytoscape
 *   instance live as long as the Streamlit element (the Python side gives it a key); each render
 *   adds, removes and restyles elements by id, keeps every node's position (positions come from a
 *   layout computed once in Python) and labels only the nodes whose labels fit without overlapping.
 * mode "map": the evidence map, an HTML table built with textContent (never innerHTML).
 * mode "editor": a SPARQL editor (CodeMirror 5, vendored in codemirror/, loaded by the first editor
 *   only): highlighting, bracket matching, Ctrl+Enter (or Cmd+Enter) or its Run button sends
 *   {text, n, run: true}; leaving it sends {text, n, run: false}; the place an error points at is marked.
 * A click sends {id | drug, condition, n} back; n counts clicks so the same click twice is seen.
 */
(function () {
  "use strict";
  const send = (type, extra) => window.parent.postMessage(Object.assign({isStreamlitMessage: true, type: type}, extra), "*");
  const setValue = (value) => send("streamlit:setComponentValue", {value: value, dataType: "json"});
  let lastHeight = -1;
  const setHeight = (h) => { if (h !== lastHeight) { lastHeight = h; send("streamlit:setFrameHeight", {height: h}); } };
  let clicks = 0;
  const root = document.getElementById("root");
  const tip = document.getElementById("tip");
  const kk = window.__kk_component = {renders: 0, mode: null, cy: null, lastUpdate: 0};

  function showTip(text, x, y) {
    tip.textContent = text;
    tip.style.display = "block";
    tip.style.left = Math.min(x + 12, window.innerWidth - 200) + "px";
    tip.style.top = (y + 14) + "px";
  }
  function hideTip() { tip.style.display = "none"; }

  // -- graph ------------------------------------------------------------------------------------
  const measure = document.createElement("canvas").getContext("2d");
  const FONT_PX = 12;
  measure.font = FONT_PX + "px system-ui, sans-serif";

  // Sizes are in screen pixels whatever the zoom: zooming in spreads the nodes apart (so more
  // labels fit) instead of making everything bigger.
  const z = (ele) => ele.cy().zoom();
  function style() {
    return [
      // The more important node is drawn (and hit by a click) above the less: a hub over a leaf.
      {selector: "node", style: {
        "background-color": "data(color)", "shape": "data(shape)", "z-index": "data(priority)",
        "width": (n) => n.data("size") / z(n), "height": (n) => n.data("size") / z(n),
        "label": "", "font-size": (n) => FONT_PX / z(n), "font-family": "system-ui, sans-serif", "color": "#262730",
        "text-valign": "bottom", "text-halign": "center", "text-margin-y": (n) => 3 / z(n),
        "text-background-color": "#ffffff", "text-background-opacity": 0.8, "text-background-padding": (n) => 1 / z(n),
        "border-width": (n) => 1 / z(n), "border-color": "#ffffff"}},
      {selector: "node.labelled", style: {"label": "data(label)"}},
      {selector: "node.selected", style: {"border-width": (n) => 4 / z(n), "border-color": "#262730", "z-index": 10}},
      {selector: "node.hover", style: {"border-width": (n) => 3 / z(n), "border-color": "#262730"}},
      {selector: "edge", style: {
        "width": (e) => e.data("width") / z(e), "line-color": "data(color)", "line-style": "data(line)", "curve-style": "bezier",
        "target-arrow-shape": "triangle", "target-arrow-color": "data(color)", "arrow-scale": 0.7, "opacity": 0.75}},
    ];
  }

  // Label the most important nodes first; a label is shown only if its box lies inside the frame
  // and overlaps no label already shown. Zooming in makes room for more.
  function relabel(cy) {
    const w = cy.width(), h = cy.height();
    const placed = [];
    const nodes = cy.nodes().sort((a, b) => (b.data("priority") - a.data("priority")) || (a.id() < b.id() ? -1 : 1));
    // Nodes are obstacles too: a label never covers a node at least as important as its own
    // (a hub's label may lie over a leaf, on its white background; a leaf's never over a hub).
    const bodies = cy.nodes().map((n) => {
      const p = n.renderedPosition(), r = n.data("size") / 2;
      return {id: n.id(), priority: n.data("priority"), x1: p.x - r, x2: p.x + r, y1: p.y - r, y2: p.y + r};
    });
    cy.batch(() => {
      nodes.forEach((n) => {
        const p = n.renderedPosition();
        const tw = measure.measureText(n.data("label")).width + 4;
        const top = p.y + n.data("size") / 2 + 3;
        const box = {x1: p.x - tw / 2, x2: p.x + tw / 2, y1: top, y2: top + FONT_PX + 4};
        let ok = n.data("priority") > 0 && box.x1 >= 0 && box.x2 <= w && box.y1 >= 0 && box.y2 <= h;
        for (let i = 0; ok && i < placed.length; i++) {
          const q = placed[i];
          if (box.x1 < q.x2 && q.x1 < box.x2 && box.y1 < q.y2 && q.y1 < box.y2) ok = false;
        }
        for (let i = 0; ok && i < bodies.length; i++) {
          const q = bodies[i];
          if (q.id !== n.id() && q.priority >= n.data("priority") && box.x1 < q.x2 && q.x1 < box.x2 && box.y1 < q.y2 && q.y1 < box.y2) ok = false;
        }
        if (ok) { placed.push(box); n.addClass("labelled"); } else { n.removeClass("labelled"); }
      });
    });
  }

  // Fit the node centres (not their zoom-dependent boxes) into the frame, leaving room for labels.
  function fitPositions(cy) {
    if (cy.nodes().empty()) return;
    let x1 = Infinity, x2 = -Infinity, y1 = Infinity, y2 = -Infinity;
    cy.nodes().forEach((n) => {
      const p = n.position();
      x1 = Math.min(x1, p.x); x2 = Math.max(x2, p.x); y1 = Math.min(y1, p.y); y2 = Math.max(y2, p.y);
    });
    const w = cy.width(), h = cy.height();
    // A margin for the outermost nodes' labels (a label that would still be cut is not shown).
    const padX = Math.min(60, w * 0.1), padY = Math.min(36, h * 0.08);
    const zoom = Math.min((w - 2 * padX) / Math.max(x2 - x1, 1), (h - 2 * padY) / Math.max(y2 - y1, 1), 2.5);
    cy.viewport({zoom: zoom, pan: {x: w / 2 - zoom * (x1 + x2) / 2, y: h / 2 - zoom * (y1 + y2) / 2 - 8}});
  }

  function nodeElement(n) {
    return {group: "nodes", data: n, position: {x: n.x, y: n.y}, classes: n.selected ? "selected" : ""};
  }

  function renderGraph(args) {
    const height = args.height || 620;
    let box = document.getElementById("graph");
    if (!box) {
      root.textContent = "";
      box = document.createElement("div");
      box.id = "graph";
      root.appendChild(box);
    }
    box.style.height = (height - 2) + "px";
    setHeight(height);
    let cy = kk.cy;
    if (!cy) {
      cy = kk.cy = window.__kk_cy = cytoscape({container: box, style: style(), wheelSensitivity: 0.3,
                                                 minZoom: 0.001, maxZoom: 6, boxSelectionEnabled: false});
      cy.on("tap", "node", (e) => setValue({id: e.target.id(), n: ++clicks}));
      cy.on("mouseover", "node", (e) => {
        e.target.addClass("hover");
        const o = e.originalEvent;
        showTip(e.target.data("kind") + ": " + e.target.data("full"), o.clientX, o.clientY);
      });
      cy.on("mouseout", "node", (e) => { e.target.removeClass("hover"); hideTip(); });
      cy.on("mouseover", "edge", (e) => { const o = e.originalEvent; showTip(e.target.data("relation"), o.clientX, o.clientY); });
      cy.on("mouseout", "edge", hideTip);
      // A touch screen has no hover: a tap shows the same hint (a node's kind and name, an edge's
      // relation) for a moment, where the finger was.
      const touched = (e, text) => {
        const p = e.renderedPosition || e.target.renderedPosition();
        const r = box.getBoundingClientRect();
        showTip(text, r.left + p.x, r.top + p.y);
        clearTimeout(kk.tipTimer);
        kk.tipTimer = setTimeout(hideTip, 2500);
      };
      if (window.matchMedia && window.matchMedia("(hover: none)").matches) {
        cy.on("tap", "node", (e) => touched(e, e.target.data("kind") + ": " + e.target.data("full")));
        cy.on("tap", "edge", (e) => touched(e, e.target.data("relation")));
      }
      // The frame gets its final width after the first drawing: fit again when it changes.
      window.addEventListener("resize", () => { cy.resize(); fitPositions(cy); kk.styledZoom = cy.zoom(); cy.style().update(); relabel(cy); });
      let timer = null;
      cy.on("viewport", () => {
        clearTimeout(timer);
        timer = setTimeout(() => { if (cy.zoom() !== kk.styledZoom) { kk.styledZoom = cy.zoom(); cy.style().update(); } relabel(cy); }, 60);
      });
    }
    const wantNodes = new Map(args.nodes.map((n) => [n.id, n]));
    const wantEdges = new Map(args.edges.map((e) => [e.id, e]));
    let changed = false;
    cy.batch(() => {
      cy.elements().forEach((el) => {
        if (!(el.isNode() ? wantNodes : wantEdges).has(el.id())) { el.remove(); changed = true; }
      });
      const add = [];
      wantNodes.forEach((n, id) => {
        const el = cy.getElementById(id);
        if (el.nonempty()) {
          el.data(n);  // restyle in place
          el.toggleClass("selected", !!n.selected);
          // Positions come from Python, a function of the view's anchor: the same anchor gives the
          // same place (nothing moves); a new anchor moves the node to where a permalink draws it.
          const p = el.position();
          if (Math.abs(p.x - n.x) > 0.5 || Math.abs(p.y - n.y) > 0.5) { el.position({x: n.x, y: n.y}); changed = true; }
        } else { add.push(nodeElement(n)); changed = true; }
      });
      wantEdges.forEach((e, id) => {
        const el = cy.getElementById(id);
        if (el.nonempty()) el.data(e); else add.push({group: "edges", data: e});
      });
      if (add.length) cy.add(add);
    });
    // Fit on the first drawing, or when a node now lies outside the frame; otherwise the view
    // stays put, so what was on the screen stays where it was.
    const ext = cy.extent();  // the model area on screen
    const outside = cy.nodes().some((n) => {
      const p = n.position();
      return p.x < ext.x1 || p.x > ext.x2 || p.y < ext.y1 || p.y > ext.y2;
    });
    if (kk.fitKey === undefined || args.fit !== kk.fitKey || (changed && outside)) {
      kk.fitKey = args.fit;
      cy.resize();
      fitPositions(cy);
      kk.fits = (kk.fits || 0) + 1;
    }
    if (cy.zoom() !== kk.styledZoom) { kk.styledZoom = cy.zoom(); cy.style().update(); }
    relabel(cy);
    kk.lastUpdate = Date.now();
  }

  // -- evidence map ------------------------------------------------------------------------------
  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function renderMap(args) {
    kk.cy = null;
    root.textContent = "";
    const wrap = el("div", "map-wrap");
    const table = el("table", "map");
    const head = el("tr");
    head.appendChild(el("th", "row", ""));
    args.cols.forEach((c) => {
      const th = el("th", "col");
      th.appendChild(el("span", "", c.label));
      th.title = c.label;
      head.appendChild(th);
    });
    table.appendChild(head);
    args.rows.forEach((r) => {
      const tr = el("tr");
      tr.appendChild(el("th", "row", r.label));
      args.cols.forEach((c) => {
        const cell = args.cells[r.id + "|" + c.id];
        if (!cell) { tr.appendChild(el("td", "empty", "–")); return; }
        const td = el("td", "cell" + (args.selected === r.id + "|" + c.id ? " selected" : ""));
        td.tabIndex = 0;
        td.setAttribute("role", "button");
        td.dataset.drug = r.id;
        td.dataset.condition = c.id;
        td.style.background = cell.fill;
        td.title = r.label + " for " + c.label + ": " + cell.summary;
        td.appendChild(el("span", "lvl", cell.level));
        const st = el("span", "status", cell.status);
        st.style.background = cell.statusColor;
        td.appendChild(st);
        td.appendChild(el("span", "counts", cell.counts));
        const dir = el("span", "counts");
        dir.appendChild(el("span", "up", "✓" + cell.supports));
        dir.appendChild(document.createTextNode(" "));
        dir.appendChild(el("span", "down", "✗" + cell.against));
        td.appendChild(dir);
        const pick = () => setValue({drug: r.id, condition: c.id, n: ++clicks});
        td.addEventListener("click", pick);
        td.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); pick(); } });
        tr.appendChild(td);
      });
      table.appendChild(tr);
    });
    wrap.appendChild(table);
    root.appendChild(wrap);
    const legend = el("div", "legend");
    (args.legend || []).forEach((item) => {
      const s = el("span");
      const sw = el("span", "sw");
      sw.style.background = item.fill;
      s.appendChild(sw);
      s.appendChild(document.createTextNode(item.text));
      legend.appendChild(s);
    });
    root.appendChild(legend);
    setHeight(root.scrollHeight + 8);
    kk.lastUpdate = Date.now();
  }

  // Cytoscape.js (440 kB) is loaded by the first graph only: the evidence map, the first view,
  // does not need it, and this frame shares the page's main thread, which parsing it held up.
  // Renders that arrive while it loads are not queued: the latest one is drawn.
  let waiting = null;
  function withCytoscape(draw) {
    if (window.cytoscape) { draw(); return; }
    const loading = waiting !== null;
    waiting = draw;
    if (loading) return;
    const script = document.createElement("script");
    script.src = "cytoscape.min.js";
    script.onload = () => { const latest = waiting; waiting = null; latest(); };
    document.head.appendChild(script);
  }

  // CodeMirror (400 kB) and its SPARQL mode are loaded by the first editor only, in order.
  function withCodeMirror(draw) {
    if (window.CodeMirror && window.CodeMirror.modes.sparql) { draw(); return; }
    if (kk.cmLoading) { kk.cmLoading.push(draw); return; }
    kk.cmLoading = [draw];
    const css = document.createElement("link");
    css.rel = "stylesheet"; css.href = "codemirror/codemirror.css";
    document.head.appendChild(css);
    const files = ["codemirror/codemirror.js", "codemirror/sparql.js", "codemirror/matchbrackets.js"];
    const next = () => {
      const file = files.shift();
      if (!file) { const queued = kk.cmLoading; kk.cmLoading = null; queued[queued.length - 1](); return; }
      const script = document.createElement("script");
      script.src = file; script.onload = next;
      document.head.appendChild(script);
    };
    next();
  }

  let edits = 0;
  function renderEditor(args) {
    const height = args.height || 300;
    let cm = kk.cm;
    if (!cm) {
      root.textContent = "";
      const host = el("div", "editor");
      const bar = el("div", "editor-bar");
      const run = el("button", "run", "Run");
      run.type = "button";
      run.title = "Run the query (Ctrl+Enter)";
      bar.appendChild(run);
      bar.appendChild(el("span", "hint", "Ctrl+Enter runs the query"));
      root.appendChild(host);
      root.appendChild(bar);
      cm = kk.cm = window.__kk_cm = window.CodeMirror(host, {
        value: args.text || "", mode: "sparql", lineNumbers: true, matchBrackets: true, indentUnit: 2,
        viewportMargin: Infinity,
        extraKeys: {"Ctrl-Enter": () => submit(true), "Cmd-Enter": () => submit(true)},
      });
      cm.setSize(null, height);
      const submit = (runIt) => setValue({text: cm.getValue(), n: ++edits, run: runIt});
      run.addEventListener("click", () => submit(true));
      cm.on("blur", () => { if (cm.getValue() !== kk.sentText) { kk.sentText = cm.getValue(); submit(false); } });
      kk.version = args.version;
    } else if (args.version !== kk.version) {
      kk.version = args.version;
      cm.setValue(args.text || "");
    }
    kk.sentText = cm.getValue();
    (kk.marks || []).forEach((m) => m.clear ? m.clear() : cm.removeLineClass(m, "background", "cm-kk-error"));
    kk.marks = [];
    if (args.error && args.error.line > 0) {
      const line = args.error.line - 1, ch = Math.max(0, args.error.column - 1);
      kk.marks.push(cm.addLineClass(line, "background", "cm-kk-error"));
      kk.marks.push(cm.markText({line: line, ch: ch}, {line: line, ch: ch + (args.error.length || 1)}, {className: "cm-kk-at"}));
    }
    setHeight(root.scrollHeight + 4);
    kk.lastUpdate = Date.now();
  }

  window.addEventListener("message", (event) => {
    const d = event.data;
    if (!d || d.type !== "streamlit:render") return;
    const args = d.args || {};
    kk.renders += 1;
    // The mode is set once drawn: a reader of __kk_component (the tests, the benchmark) that sees
    // "graph" also finds __kk_cy.
    const draw = () => {
      kk.mode = args.mode;
      if (args.mode === "map") renderMap(args); else if (args.mode === "editor") renderEditor(args); else renderGraph(args);
    };
    if (args.mode === "map") draw(); else if (args.mode === "editor") withCodeMirror(draw); else withCytoscape(draw);
  });
  send("streamlit:componentReady", {apiVersion: 1});
})();
