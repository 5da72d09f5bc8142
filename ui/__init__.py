"""Streamlit glue shared by the pages: session state, the sidebar, job bookkeeping (UI only)."""
