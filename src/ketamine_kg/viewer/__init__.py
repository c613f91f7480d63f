"""The Streamlit explorer: cached loaders and page functions; ``app/`` holds thin page scripts."""

__all__: list[str] = []
