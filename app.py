"""rnnlab entry point: `python app.py` (or `streamlit run app.py`). Navigation over views/, shared
state and sidebar. Run with python, it starts Streamlit itself on this file after starting the
training forkserver's warm-up (ui/launch.py); Streamlit then runs it once per page, as __main__
with a script context, and `main()` draws the page.

The page scripts live in views/, not pages/: a folder named pages/ next to the entry point
switches Streamlit (AppTest in particular) to its legacy multipage mode, which runs a page
script without this file, so the shared state and sidebar would be skipped.

Everything runs under `if __name__ == "__main__"`, multiprocessing's rule for a main module:
Streamlit runs this file as __main__, and each training child (rnnlab/worker.py) re-imports the
main module as __mp_main__, which must then do nothing (no Streamlit calls, no imports to pay).
"""


def main() -> None:
    import streamlit as st

    from ui import jobs, links, patches, present, settings, sidebar

    patches.keep_navigation()  # a link clicked while a live chart polls is not undone by its tick
    patches.skip_bare_run_check()  # we run under `streamlit run`: no stack walk on the first page
    st.set_page_config(page_title="rnnlab", page_icon=":material/autorenew:", layout="wide",
                       initial_sidebar_state="collapsed" if present.on() else "auto")
    present.style()
    jobs.warm_up_torch()  # once per server: the training forkserver starts in the background
    jobs.heartbeat()
    settings.init()
    links.restore()  # a shared link's settings, before any widget is drawn
    links.note()
    pages = [
        st.Page("views/home.py", title="Home", icon=":material/home:", default=True),
        st.Page("views/data.py", title="Data", icon=":material/show_chart:"),
        st.Page("views/train.py", title="Train", icon=":material/model_training:"),
        st.Page("views/predict.py", title="Predict", icon=":material/target:"),
        st.Page("views/inspect.py", title="Inspect", icon=":material/visibility:"),
        st.Page("views/compare.py", title="Compare", icon=":material/leaderboard:"),
        st.Page("views/tune.py", title="Tune", icon=":material/tune:"),
    ]
    page = st.navigation(pages)
    slots = sidebar.placeholders()  # drawn first, filled after the page so they show its changes
    page.run()
    sidebar.render(slots, poll=page.url_path != "train")
    links.sync()  # the settings into the URL: a reload or a copied link restores them
    jobs.page_drawn()


def run_by_streamlit() -> bool:
    """Whether Streamlit is running this file (else `python app.py`: Streamlit is to be started). Asks
    Streamlit only when it is loaded already: `python app.py` starts the training forkserver before
    importing it (0.4-0.7 s on 2 cores), so the forkserver's preload begins that much sooner."""
    import sys

    if "streamlit" not in sys.modules:
        return False
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    return get_script_run_ctx(suppress_warning=True) is not None


if __name__ == "__main__":
    if run_by_streamlit():
        main()
    else:
        import sys

        from ui.launch import serve
        serve(sys.argv[1:])
