"""The project's own Streamlit component: a Cytoscape.js graph that updates in place, and the
evidence map. Its files (component/: index.html, kk.js, kk.css and Cytoscape.js 3.35, MIT) ship in
the wheel and are served by Streamlit itself: nothing is fetched from anywhere else.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["ASSETS", "component"]

ASSETS = Path(__file__).with_name("component")
_declared: Any = None


def component(**kwargs: Any) -> Any:
    """Mount the component (declared once per process); keyword arguments go to the browser."""
    global _declared
    if _declared is None:
        import streamlit.components.v1 as components

        _declared = components.declare_component("ketamine_kg_view", path=str(ASSETS))
    return _declared(**kwargs)
