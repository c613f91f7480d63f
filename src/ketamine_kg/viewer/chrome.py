"""Page chrome shared by every page: title, the not-medical-advice note, the graph's path.

Kept apart from pages.py so that the first page (the evidence map) does not import pandas.
"""

from __future__ import annotations

from typing import Literal

import streamlit as st

from . import data

__all__ = ["header"]


def header(title: str, sidebar: Literal["auto", "expanded", "collapsed"] = "auto") -> str:
    """Set up the page and return the graph file path it should use.

    No Material icons: Streamlit fetches their font from a CDN, and the explorer works offline."""
    import time

    data.LAST_RUN[0] = time.monotonic()
    st.set_page_config(page_title=f"{title} · ketamine-kg", layout="wide", initial_sidebar_state=sidebar)
    st.title(title)
    st.info(data.DISCLAIMER)
    return str(data.graph_path())
