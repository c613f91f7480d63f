"""ketamine-kg explorer: ``streamlit run app/streamlit_app.py``. Pages live in app/pages/."""

import streamlit as st

navigation = st.navigation(
    [
        st.Page("pages/explore.py", title="Explore", icon=":material/hub:", default=True),
        st.Page("pages/ask.py", title="Ask", icon=":material/help:"),
        st.Page("pages/sparql.py", title="SPARQL", icon=":material/code:"),
        st.Page("pages/evidence.py", title="Evidence", icon=":material/bar_chart:"),
        st.Page("pages/ontology.py", title="Ontology", icon=":material/account_tree:"),
        st.Page("pages/paths.py", title="Paths", icon=":material/route:"),
        st.Page("pages/downloads.py", title="Downloads", icon=":material/download:"),
    ]
)
navigation.run()
