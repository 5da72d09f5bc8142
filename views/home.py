"""Home: what rnnlab is, the classic demo (one click trains it) and the lessons."""
import streamlit as st

from rnnlab.lessons import LESSONS
from ui import lessons, present


def main() -> None:
    st.title("rnnlab")
    st.markdown(
        "#### A playground for recurrent neural networks on time series.\n"
        "Generate a series or upload a CSV, train a vanilla RNN, LSTM or GRU live, and look inside: "
        "loss curves, honest baselines, hidden states and the gradient at every time step.")
    st.info("The classic Keras tutorial trains SimpleRNN(50) on 1,000 random walks **without scaling** "
            "and reaches a test MSE near 1,400 — while repeating the last value scores about 0.085. "
            "rnnlab scales by default and shows both numbers side by side.",
            icon=":material/info:")  # named: else Streamlit loads its emoji catalogue (0.2 s) to look for one
    if st.button("Train the classic random-walk demo", icon=":material/play_arrow:", type="primary",
                 key="demo_button", on_click=lessons.start_demo) and not st.session_state.get("train_error"):
        st.switch_page("views/train.py")
    st.caption("Or start from the **Data** page with any generator or your own CSV.")
    st.subheader("Lessons")
    st.caption("Each button sets the data, the model and the training, starts at once and opens the page to watch.")
    slugs, per_row = list(LESSONS), 1 if present.on() else 2  # presenting: one wide card per row
    for row in range(0, len(slugs), per_row):
        for col, slug in zip(st.columns(per_row), slugs[row:row + per_row]):
            with col:
                lessons.card(slug)


main()
