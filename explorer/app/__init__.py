"""What the Streamlit pages share and can test without a server: URL state, lessons, caches. No streamlit here."""
