"""rnnlab entry point: `streamlit run app.py`. Navigation over pages/, shared state and sidebar."""
import streamlit as st

from ui import sidebar, state

st.set_page_config(page_title="rnnlab", page_icon="🔁", layout="wide")
state.init_state()

PAGES = [
    st.Page("pages/home.py", title="Home", icon="🏠", default=True),
    st.Page("pages/data.py", title="Data", icon="📈"),
    st.Page("pages/train.py", title="Train", icon="🏋️"),
    st.Page("pages/predict.py", title="Predict", icon="🎯"),
]
page = st.navigation(PAGES)
sidebar.render()
page.run()
state.remember()
