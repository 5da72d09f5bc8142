"""Home: what rnnlab is, and one button to the classic demo."""
import streamlit as st

from ui import settings


def main() -> None:
    st.title("rnnlab")
    st.markdown(
        "#### A playground for recurrent neural networks on time series.\n"
        "Generate a series or upload a CSV, train a vanilla RNN, LSTM or GRU live, and look inside: "
        "loss curves, honest baselines, hidden states and the gradient at every time step.")
    st.info("The classic Keras tutorial trains SimpleRNN(50) on 1,000 random walks **without scaling** "
            "and reaches a test MSE near 1,400 — while repeating the last value scores about 0.085. "
            "rnnlab scales by default and shows both numbers side by side.")
    if st.button("Load the classic random-walk demo", icon=":material/play_arrow:", type="primary", key="demo_button"):
        settings.apply_preset("keras-classic")
        st.switch_page("views/train.py")
    st.caption("Or start from the **Data** page with any generator or your own CSV.")


main()
