"""Widgets keep their places (delta paths) when the first run appears: a widget at a new place is a
new element to the browser, which keeps the old one, stale, beside it until the script ends (two
Train and two Stop buttons were seen after the first Train click on a fresh page)."""
from app_kit import open_page, train_tiny

KEYS = ["train_button", "pause_button", "stop_button", "w_model_hidden", "w_train_epochs"]


def paths(at) -> dict[str, tuple[int, ...]]:
    """Each KEYS widget's place in the main area: the child indices from the root down."""
    found = {}

    def walk(node, path):
        if getattr(node, "key", None) in KEYS:
            found[node.key] = path
        for i, child in getattr(node, "children", {}).items():
            walk(child, (*path, i))

    walk(at._tree[0], ())
    return found


def test_the_train_pages_widgets_keep_their_places_when_the_first_run_appears(app):
    open_page(app, "train")
    before = paths(app)
    assert set(before) == set(KEYS)
    train_tiny(app)
    after = paths(app)
    assert after == before


def chart_paths(at) -> list[tuple[int, ...]]:
    """The places of the main area's Plotly charts."""
    found = []

    def walk(node, path):
        if getattr(node, "type", None) == "plotly_chart":
            found.append(path)
        for i, child in getattr(node, "children", {}).items():
            walk(child, (*path, i))

    walk(at._tree[0], ())
    return found


def test_the_live_charts_stand_before_the_first_run_and_keep_their_places(app):
    """A session's first Train click updates the empty loss and gradient-norm charts in place: building
    the columns and the charts anew made its first point twice as slow (0.8-0.9 s, not 0.4-0.5 s)."""
    open_page(app, "train")
    before = chart_paths(app)
    assert len(before) == 2  # the loss chart and the gradient norm chart, empty
    train_tiny(app)
    assert set(before) <= set(chart_paths(app))
