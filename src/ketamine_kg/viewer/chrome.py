"""Page chrome shared by every page: title, the not-medical-advice note, the graph's path.

Kept apart from pages.py so that the first page (the evidence map) does not import pandas.
"""

from __future__ import annotations

import json
from typing import Literal

import streamlit as st

from . import data
from .text import ENTITY_PAGE, md_text

__all__ = ["IN_APP_LINKS", "OTHER_PAGES", "condition_picker", "header", "scroll_into_view"]

#: The url paths of the pages besides the map (``/``) and the entity page (app/streamlit_app.py).
OTHER_PAGES = ("explore", "ask", "sparql", "evidence", "summary-of-findings", "ontology", "paths", "downloads")

#: Streamlit 1.67 opens every markdown link in a new tab (``target="_blank"``): a click on an
#: entity label started a whole new session, 0.7-1 s before its page was drawn. This script (run
#: once per document) sends a plain click on a link to one of the app's own pages through
#: Streamlit's own history navigation instead: the URL becomes the link's (a copied link still
#: opens the same view), and the same session runs the page, as the sidebar's links do. Streamlit
#: navigates on ``popstate`` by the URL's path and query (as the browser's Back does). A click
#: with a modifier key, or the middle button, still opens a new tab.
IN_APP_LINKS = """<script>
(() => {
  if (window.__kkInAppLinks) return;
  window.__kkInAppLinks = true;
  const pages = new Set(PAGES);
  document.addEventListener("click", (event) => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey
        || event.altKey) return;
    const link = event.target instanceof Element ? event.target.closest("a[href]") : null;
    if (!link || link.hasAttribute("download")) return;
    const url = new URL(link.href, location.href);
    // Header anchors (#...) and anything not a page of this app keep the browser's behaviour.
    if (url.origin !== location.origin || url.hash || !pages.has(url.pathname)) return;
    event.preventDefault();
    history.pushState(history.state, "", url.pathname + url.search);
    window.dispatchEvent(new PopStateEvent("popstate", {state: history.state}));
  });
})();
</script>""".replace("PAGES", json.dumps(["/", ENTITY_PAGE, *(f"/{p}" for p in OTHER_PAGES)]))
_HIDDEN = "kk-in-app-links"


def header(title: str, sidebar: Literal["auto", "expanded", "collapsed"] = "auto") -> str:
    """Set up the page and return the graph file path it should use.

    The sidebar (the navigation) starts open on a wide screen, so a first visit sees every page,
    and closed on a phone, where it would cover the page ("auto"). No Material
    icons: Streamlit fetches their font from a CDN, and the explorer works offline."""
    import time

    data.LAST_RUN[0] = time.monotonic()
    st.set_page_config(page_title=f"{title} · ketamine-kg", layout="wide", initial_sidebar_state=sidebar)
    # A title can be data (an entity's label): shown literally, never as markdown.
    st.title(md_text(title))
    st.info(data.DISCLAIMER)
    # The script's container is hidden, with the wrapper that would leave a gap, by a style that
    # takes no room itself (a style-only st.html goes to Streamlit's event container): the page
    # looks as it did without it.
    st.html(f"<style>[data-testid=stLayoutWrapper]:has(> .st-key-{_HIDDEN}) {{display: none}}</style>")
    with st.container(key=_HIDDEN):
        st.html(IN_APP_LINKS, unsafe_allow_javascript=True)
    return str(data.graph_path())


def scroll_into_view(key: str) -> None:
    """Scroll the container with ``key`` into view once it is drawn (a clicked map cell's details
    open below the map, out of sight on a laptop screen)."""
    st.html(
        "<script>(() => { let tries = 0; const go = () => {"
        f" const el = document.querySelector('.st-key-{key}');"
        " if (el) el.scrollIntoView({behavior: 'smooth', block: 'start'});"
        " else if (tries++ < 20) setTimeout(go, 100); }; setTimeout(go, 50); })();</script>",
        unsafe_allow_javascript=True,
    )


def condition_picker(path: str, key: str) -> str:
    """A condition chosen from the graph's conditions, kept in the URL's ``condition`` (TRD first
    time), as the Evidence and Summary of findings pages both ask for one."""
    choices = data.member_choices(path, "kk:MedicalCondition")
    ids = [c for c, _ in choices]
    labels = dict(choices)
    current = st.query_params.get("condition", "kkr:treatment-resistant-depression")
    condition = st.selectbox(
        "Condition",
        ids,
        index=ids.index(current) if current in ids else 0,
        format_func=lambda c: labels.get(c, c),
        key=key,
    )
    st.query_params["condition"] = condition
    return condition
