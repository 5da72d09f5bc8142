"""CSV loader: malformed files give DataError with useful words; awkward valid files load right."""
import numpy as np
import pandas as pd
import pytest

from rnnlab.data.csv import load_csv, read_table
from rnnlab.errors import DataError
from rnnlab.windows import prepare

GOOD = b"date,sales\n2024-01-01,1\n2024-01-02,2\n2024-01-03,3\n2024-01-04,4\n"


@pytest.mark.parametrize("raw, kwargs, words", [
    (b"", {}, "empty"),
    (b"  \n\n \n", {}, "empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", {}, "not a text file"),
    (b"PK\x03\x04\x14\x00\x06\x00", {}, "not a text file"),
    (b"date,sales\n", {}, "no data rows"),
    (b"name,city\nann,paris\nbob,rome\ncid,oslo\n", {}, "no numeric column"),
    (GOOD, {"column": "revenue"}, "'revenue' is not in the file; columns are: date, sales"),
    (GOOD, {"date_column": "when"}, "date column 'when' is not in the file"),
    (b"day,x\nmon,1\ntue,2\nwed,3\n", {"date_column": "day"}, "does not look like dates"),
    (b"date,sales,city\n2024-01-01,1,a\n2024-01-02,2,b\n2024-01-03,3,c\n", {"column": "city"},
     "'city' is not numeric"),
    (GOOD, {"column": "date"}, "holds the dates"),
    (GOOD, {"inputs": ["price"]}, "input column 'price' is not in the file"),
    (GOOD, {"column": "sales", "inputs": ["sales"]}, "already the target"),
    (b"a,b\n1,2\n3,4,5,6\n7,8\n", {}, "different numbers of fields"),
    (b"a,a\n1,2\n3,4\n5,6\n", {}, "repeats the column name"),
    (b"date,sales\n2024-01-01,1\n2024-01-02,\n2024-01-03,3\n", {"missing": "refuse"}, "1 rows have missing"),
    (b"x,y\n1,n/a\n2,n/a\n3,n/a\n", {"column": "y"}, "'y' is not numeric"),
    (b"date,sales\n2024-01-01,1\n2024-01-02,2\n", {}, "only 2 usable rows"),
])
def test_malformed_inputs_raise_clear_errors(raw, kwargs, words):
    with pytest.raises(DataError, match=words.replace("(", r"\(").replace(")", r"\)")):
        load_csv(raw, **kwargs)


def test_missing_path_and_folder(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        load_csv(tmp_path / "nope.csv")
    with pytest.raises(DataError, match="is a folder"):
        load_csv(tmp_path)


def test_too_short_for_lookback():
    data = load_csv(GOOD)
    with pytest.raises(DataError, match="lookback 50"):
        prepare(data, lookback=50, horizon=1, scaler="auto", val_fraction=0.1, test_fraction=0.2)


def test_semicolon_decimal_comma_thousands():
    raw = "Datum;Umsatz;Preis\n01.03.2024;1.234,5;2,5\n02.03.2024;1.300,25;2,75\n03.03.2024;999,0;3\n"
    d = load_csv(raw.encode(), inputs=["Preis"])
    np.testing.assert_allclose(d.values, [[1234.5, 2.5], [1300.25, 2.75], [999.0, 3.0]])
    assert d.names == ["Umsatz", "Preis"] and d.dates[0].month == 3
    assert any("semicolon" in n and "decimal comma" in n for n in d.notes)


def test_latin1_header():
    raw = "Größe;Temp\xe9rature\n1;2\n3;4\n5;6\n".encode("latin-1")
    d = load_csv(raw, column="Température")
    np.testing.assert_allclose(d.values[:, 0], [2, 4, 6])


def test_utf8_bom_and_tab_delimiter():
    d = load_csv("\ufeffdate\tvalue\n2024-01-01\t1.5\n2024-01-02\t2.5\n2024-01-03\t3.5\n".encode("utf-8"))
    assert d.names == ["value"] and d.dates is not None
    np.testing.assert_allclose(d.target, [1.5, 2.5, 3.5])


def test_gaps_are_interpolated_or_dropped():
    raw = b"t,v\n1,1\n2,\n3,3\n4,NA\n5,5\n"
    d = load_csv(raw, column="v")
    np.testing.assert_allclose(d.target, [1, 2, 3, 4, 5])
    assert any("interpolation" in n for n in d.notes)
    dropped = load_csv(raw, column="v", missing="drop")
    np.testing.assert_allclose(dropped.target, [1, 3, 5])


def test_unsorted_dates_are_sorted():
    raw = b"date,v\n2024-01-03,3\n2024-01-01,1\n2024-01-02,2\n2024-01-04,4\n"
    d = load_csv(raw)
    np.testing.assert_allclose(d.target, [1, 2, 3, 4])
    assert d.dates.is_monotonic_increasing and any("sorted" in n for n in d.notes)


def test_constant_column_loads_and_scales_without_nan():
    d = load_csv(b"v\n" + b"5\n" * 60)
    assert (d.target == 5).all() and any("constant" in n for n in d.notes)
    for scaler in ("auto", "zscore", "minmax", "last", "diff"):
        p = prepare(d, lookback=5, horizon=2, scaler=scaler, val_fraction=0.1, test_fraction=0.2)
        assert np.isfinite(p.train.x).all() and np.isfinite(p.test.y).all()


@pytest.mark.parametrize("dates, first", [
    ("20240105\n20240106\n20240107", "2024-01-05"),
    ("Jan 2020\nFeb 2020\nMar 2020", "2020-01-01"),
    ("March 2021\nApril 2021\nMay 2021", "2021-03-01"),
    ("2022-01-01T00:00:00\n2022-01-01T01:00:00\n2022-01-01T02:00:00", "2022-01-01"),
])
def test_date_formats(dates, first):
    rows = "\n".join(f"{d},{i}" for i, d in enumerate(dates.split("\n")))
    d = load_csv(f"month,v\n{rows}\n".encode())
    assert str(d.dates[0].date()) == first


def test_quoted_thousands_with_comma_delimiter():
    d = load_csv(b'date,v\n2024-01-01,"1,234.5"\n2024-01-02,"2,000"\n2024-01-03,7\n')
    np.testing.assert_allclose(d.target, [1234.5, 2000, 7])


from malformed import MALFORMED  # noqa: E402


@pytest.mark.parametrize("raw, words", [(raw, words) for _, raw, words in MALFORMED],
                         ids=[name for name, _, _ in MALFORMED])
def test_malformed_files_raise_data_error(raw, words):
    """The shared suite of malformed files (also run through the CLI and the Data page)."""
    with pytest.raises(DataError, match=words):
        data = load_csv(raw)
        prepare(data, lookback=3, horizon=1, scaler="auto", val_fraction=0.1, test_fraction=0.2)


def test_malformed_suite_is_big_enough():
    assert len(MALFORMED) >= 30


# Regressions of issue 7: each of these loaded a wrong number without a word before.

def test_tab_file_with_comma_thousands_and_point_decimals():
    d = load_csv(b"date\tv\n2024-01-01\t1,001.50\n2024-01-02\t999.00\n2024-01-03\t12\n")
    np.testing.assert_array_equal(d.target, [1001.5, 999.0, 12.0])


def test_text_cell_with_a_comma_does_not_turn_point_decimals_into_thousands():
    raw = b"date;v;note\n2024-01-01;1.5;size 3,4\n2024-01-02;2.25;ok\n2024-01-03;3;ok\n"
    d = load_csv(raw, column="v")
    np.testing.assert_array_equal(d.target, [1.5, 2.25, 3.0])


def test_negative_currency_and_accounting_brackets():
    d = load_csv("date,v\n2024-01-01,-$5\n2024-01-02,$7.50\n2024-01-03,(3)\n2024-01-04,€ -2\n".encode())
    np.testing.assert_array_equal(d.target, [-5, 7.5, -3, -2])
    assert not any("interpolation" in n for n in d.notes)


def test_ddmmyyyy_date_column_is_never_the_target():
    raw = "Datum;Umsatz\n01.03.2024;1.234,5\n02.03.2024;1.300,25\n03.03.2024;999,0\n".encode()
    d = load_csv(raw)
    assert d.names == ["Umsatz"] and d.dates[1] == pd.Timestamp("2024-03-02")
    with pytest.raises(DataError, match="holds the dates"):
        load_csv(raw, column="Datum")


def test_comma_delimited_with_quoted_decimal_comma():
    d = load_csv(b'date,v\n2024-01-01,"1.234,5"\n2024-01-02,"2,5"\n2024-01-03,7\n')
    np.testing.assert_array_equal(d.target, [1234.5, 2.5, 7.0])


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_files_load(encoding):
    d = load_csv("Größe;v\n1;2,5\n2;3,5\n3;4,5\n".encode(encoding), column="v")
    np.testing.assert_array_equal(d.target, [2.5, 3.5, 4.5])


def test_mixed_encoding_is_read_per_byte_and_flagged():
    raw = "Größe;x\n1;2\n3;4\n".encode("utf-8") + "Café;6\n".encode("cp1252")
    t = read_table(raw)
    assert t.columns == ["Größe", "x"] and t.table["Größe"].iloc[2] == "Café"
    assert any("mixes UTF-8" in w for w in t.warnings)


def test_unparseable_cells_below_the_share_are_counted_and_named():
    cells = [str(i) for i in range(40)]
    cells[7] = "n.v.x"
    d = load_csv(("v\n" + "\n".join(cells) + "\n").encode())
    assert d.target[7] == 7.0  # interpolated between 6 and 8
    assert any("1 cells of 'v' are not numbers (e.g. 'n.v.x')" in n for n in d.notes)


def test_infinite_values_are_missing_with_a_count():
    d = load_csv(b"v\n1\ninf\n3\n-Infinity\n5\n6\n")
    np.testing.assert_array_equal(d.target, [1, 2, 3, 4, 5, 6])
    assert any("2 infinite values" in n for n in d.notes)


def test_row_counter_and_year_columns_are_not_the_default_target():
    d = load_csv(b"id,year,sales\n0,2001,5.5\n1,2002,6.5\n2,2003,7.25\n3,2004,8\n")
    assert d.names == ["sales"] and d.dates[0].year == 2001


def test_short_rows_are_flagged():
    d = load_csv(b"a;b\n1;2\n3\n5;6\n7;8\n", column="a")
    assert any("fewer fields than the header (line 3)" in n for n in d.notes)


def test_excel_sep_line_names_the_delimiter():
    d = load_csv(b"sep=;\na;b\n1,5;2\n3,5;4\n5,5;6\n")
    np.testing.assert_array_equal(d.target, [1.5, 3.5, 5.5])


def test_ambiguous_month_day_order_is_flagged():
    d = load_csv(b"date,v\n01/02/2024,1\n01/03/2024,2\n01/04/2024,3\n")
    assert any("fit both" in n for n in d.notes)


@pytest.mark.slow
def test_endless_device_is_refused_by_size_while_reading():
    import time
    t = time.perf_counter()
    with pytest.raises(DataError, match="larger than 200 MB"):
        load_csv("/dev/zero")
    assert time.perf_counter() - t < 10


@pytest.mark.slow
def test_fifo_without_writer_is_refused(tmp_path, monkeypatch):
    import os

    import rnnlab.data.text as text
    monkeypatch.setattr(text, "STREAM_IDLE_S", 0.5)
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    with pytest.raises(DataError, match="nothing arrived .* for 0.5 s"):
        load_csv(fifo)


def test_fifo_with_a_writer_loads(tmp_path):
    import os
    import threading
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    body = "v\n" + "\n".join(str(i) for i in range(50)) + "\n"
    writer = threading.Thread(target=lambda: fifo.write_text(body))
    writer.start()
    import time
    time.sleep(0.2)  # the writer is blocked in open() until we open the other end
    d = load_csv(fifo)
    writer.join(5)
    np.testing.assert_array_equal(d.target, np.arange(50))


def test_two_gigabyte_file_is_refused_quickly(tmp_path):
    import time
    big = tmp_path / "big.csv"
    with big.open("wb") as fh:  # sparse: no disk used
        fh.truncate(2 * 2**30)
    t = time.perf_counter()
    with pytest.raises(DataError, match="larger than 200 MB"):
        load_csv(big)
    assert time.perf_counter() - t < 10
