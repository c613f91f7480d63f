"""ketamine-kg explorer: ``streamlit run app/streamlit_app.py``. Pages live in app/views/: not in
pages/, which Streamlit would run without this navigation on a fresh server's first deep link.

No page icons: Material icons come from a font Streamlit loads from a CDN, emoji need a colour
font the machine may lack, and the explorer must work offline and look the same everywhere.
"""

import streamlit as st

navigation = st.navigation(
    [
        st.Page("views/map.py", title="Evidence map", default=True),
        st.Page("views/explore.py", title="Explore"),
        st.Page("views/entity.py", title="Entity", url_path="entity"),
        st.Page("views/ask.py", title="Ask"),
        st.Page("views/sparql.py", title="SPARQL"),
        st.Page("views/evidence.py", title="Evidence"),
        st.Page("views/summary.py", title="Summary of findings", url_path="summary-of-findings"),
        st.Page("views/ontology.py", title="Ontology"),
        st.Page("views/paths.py", title="Paths"),
        st.Page("views/downloads.py", title="Downloads"),
    ]
)
navigation.run()
