"""CSV loading: pandas splits the file, then every column is read in its own number format.

`read_table` parses a file into text cells and decides, per column, whether it holds dates or
numbers and in which format (rnnlab.data.dates, rnnlab.data.numbers); `load_csv` picks the target
and inputs from that table and applies the missing-value policy. Each decision is written into
the load report (`CsvTable.report_rows`, `SeriesData.notes`); every failure raises DataError with
a message that names the problem and the fix.
"""
from __future__ import annotations

import io
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from rnnlab.data import SeriesData
from rnnlab.data.dates import DateColumn, date_like_name, find_date_column, read_dates
from rnnlab.data.numbers import THOUSANDS_CHARS, ColumnNumbers, allowed_formats, parse_column
from rnnlab.data.text import decode, normalise_lines, read_bytes, sniff_delimiter
from rnnlab.errors import DataError

MAX_BAD_SHARE = 0.05  # a used column with more non-numeric cells than this share is refused
MIN_ROWS = 3  # below this a file cannot be a series at all (windowing sets the real minimum)


@dataclass
class CsvTable:
    """A parsed CSV before a target is chosen: text cells and how each column reads."""

    table: pd.DataFrame  # (rows, columns) text cells, blank rows removed
    encoding: str
    delimiter: str
    numbers: dict[str, ColumnNumbers]  # every column but the date column
    date: DateColumn | None
    warnings: list[str] = field(default_factory=list)  # loud notes: mixed encodings, ambiguity
    sep_line: bool = False  # the file began with Excel's `sep=` line (not the header)

    @property
    def columns(self) -> list[str]:
        return list(self.table.columns)

    @property
    def numeric(self) -> list[str]:
        """Columns that can be a target or an input (never the date column)."""
        return [c for c, n in self.numbers.items() if n.numeric]

    def default_target(self) -> str | None:
        """The first numeric column that is neither date-like by name nor a row counter."""
        def counter(n: ColumnNumbers) -> bool:
            v = n.values[~np.isnan(n.values)]
            return len(v) > 2 and bool(np.all(np.diff(v) == 1))
        good = [c for c in self.numeric if not date_like_name(c) and not counter(self.numbers[c])]
        return (good or self.numeric or [None])[0]

    def summary(self) -> str:
        rows, cols = self.table.shape
        return f"read {rows} rows × {cols} columns (encoding {self.encoding}, delimiter {_show(self.delimiter)})"

    def report_rows(self) -> list[dict]:
        """One row per column: how it was read, and what could not be."""
        rows = []
        if self.date is not None:
            d = self.date
            rows.append({"column": d.name, "read as": f"dates ({d.fmt})", "values": int(d.dates.notna().sum()),
                         "missing": 0, "not readable": d.bad, "examples": "", "note": d.ambiguous or ""})
        for name, n in self.numbers.items():
            kind = f"numbers ({n.seps_used})" if n.numeric else "text"
            rows.append({"column": name, "read as": kind,
                         "values": int(np.isfinite(n.values).sum()) if n.numeric else 0,
                         "missing": n.missing + n.infinite,
                         "not readable": n.bad if n.numeric else 0,
                         "examples": ", ".join(n.bad_examples) if n.numeric else "",
                         "note": _column_note(n)})
        return rows


def _column_note(n: ColumnNumbers) -> str:
    parts = []
    if n.ambiguous:
        parts.append(f"ambiguous: {n.ambiguous}; read as {n.fmt.describe()}")
    if n.infinite:
        parts.append(f"{n.infinite} infinite values treated as missing")
    if n.percent:
        parts.append("% signs removed (values kept as written)")
    return "; ".join(parts)


def _show(sep: str) -> str:
    return {"\t": "tab", ",": "comma", ";": "semicolon", ".": "point", "|": "pipe"}.get(sep, repr(sep))


def read_table(source: str | Path | bytes, decimal: str = "auto", thousands: str = "auto",
               date_column: str | None = None) -> CsvTable:
    """Parse a CSV (path or bytes) into text cells and decide how each column reads."""
    text, encoding, warning = decode(read_bytes(source))
    text = normalise_lines(text)
    delimiter, text = _excel_sep_line(text)
    sep_line = delimiter is not None
    delimiter = delimiter or sniff_delimiter(text)
    table = _split(text, delimiter)
    warnings = [warning] if warning else []
    short = _short_rows(text, delimiter, table.shape[1])
    if short:
        warnings.append(f"{len(short)} rows have fewer fields than the header (line "
                        f"{', '.join(map(str, short[:5]))}{', ...' if len(short) > 5 else ''}); "
                        "their missing cells count as missing values")
    numbers = _read_numbers(table, decimal, thousands, delimiter)
    dayfirst = delimiter == ";" or _file_decimal(numbers) == ","
    date = _read_date_column(table, date_column, set(c for c, n in numbers.items() if n.numeric), dayfirst)
    if date is not None:
        numbers.pop(date.name, None)
        if date.ambiguous:
            warnings.append(f"column {date.name!r}: {date.ambiguous}")
    for n in numbers.values():
        if n.numeric and n.ambiguous:
            warnings.append(f"column {n.name!r}: {n.ambiguous}; read as {n.fmt.describe()} "
                            "(set the decimal / thousands separators if that is wrong)")
    return CsvTable(table, encoding, delimiter, numbers, date, warnings, sep_line)


def _excel_sep_line(text: str) -> tuple[str | None, str]:
    """Excel's `sep=;` first line names the delimiter; it is not the header."""
    first, _, rest = text.partition("\n")
    m = re.fullmatch(r'"?sep=(.)"?\s*', first)
    return (m.group(1), rest) if m else (None, text)


def _short_rows(text: str, delimiter: str, n_fields: int) -> list[int]:
    """Line numbers (1-based) of rows with fewer fields than the header (pandas pads them silently)."""
    lines = pd.Series(text.split("\n"))
    filled = lines.str.strip() != ""
    if '"' in text:  # quoted fields may hold the delimiter: count with the csv module
        import csv as _csv
        counts = pd.Series([len(r) for r in _csv.reader(lines.where(filled, "").tolist(), delimiter=delimiter)])
    else:
        counts = lines.str.count(re.escape(delimiter)) + 1
    short = filled & (counts < n_fields)
    return (np.flatnonzero(short.to_numpy()) + 1).tolist()


def _split(text: str, delimiter: str) -> pd.DataFrame:
    """Cells as text; the first row names the columns. Rows longer than the header are refused."""
    try:
        raw = pd.read_csv(io.StringIO(text), sep=delimiter, header=None, dtype=str, na_filter=False,
                          skip_blank_lines=True, skipinitialspace=True, index_col=False, engine="c")
    except pd.errors.EmptyDataError:
        raise DataError("the file has no columns; it needs a header row and data rows.") from None
    except pd.errors.ParserError as e:
        q = re.search(r"EOF inside string starting at row (\d+)", str(e))
        if q:
            raise DataError(f"a quote (\") opened on line {int(q.group(1)) + 1} is never closed, so the rest "
                            "of the file reads as one cell; close or remove the quote.") from None
        m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(e))
        where = (f"line {m.group(2)} has {m.group(3)} fields but the header has {m.group(1)}" if m
                 else str(e).split("\n")[0])
        raise DataError(f"rows have different numbers of fields ({where}); fix the file so each row "
                        "has as many values as the header.") from None
    header = [str(h).strip() for h in raw.iloc[0]]
    body = raw.iloc[1:].reset_index(drop=True)
    body.columns = range(body.shape[1])
    keep = [i for i, h in enumerate(header) if h or (body[i].str.strip() != "").any()]
    names = [header[i] or f"column {i + 1}" for i in keep]
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        raise DataError(f"the header repeats the column name(s) {', '.join(map(repr, dup))}; "
                        "give every column a unique name.")
    body = body[keep]
    body.columns = names
    body = body.loc[~(body.apply(lambda s: s.str.strip()) == "").all(axis=1)].reset_index(drop=True)
    if body.empty:
        raise DataError("the file has a header but no data rows.")
    return body


def _file_decimal(numbers: dict[str, ColumnNumbers]) -> str | None:
    """The decimal mark that the file's unambiguous numeric columns actually use, if they agree."""
    votes = Counter(n.fmt.decimal for n in numbers.values()
                    if n.numeric and not n.ambiguous and "decimal" in n.seps_used)
    return votes.most_common(1)[0][0] if len(votes) == 1 else None


def _read_numbers(table: pd.DataFrame, decimal: str, thousands: str, delimiter: str) -> dict[str, ColumnNumbers]:
    """Each column in its own format; ambiguous columns are settled by the others' decimal mark."""
    allowed = allowed_formats(decimal, thousands)
    dialect = "," if delimiter == ";" else "."
    numbers = {c: parse_column(c, table[c], allowed, None, dialect) for c in table.columns}
    prefer = _file_decimal(numbers)
    if prefer is not None:
        for c, n in numbers.items():
            if n.ambiguous:
                numbers[c] = parse_column(c, table[c], allowed, prefer, dialect)
                if numbers[c].fmt.decimal == prefer:  # settled by the file's other columns
                    numbers[c].ambiguous = None
    return numbers


def _read_date_column(table: pd.DataFrame, date_column: str | None, numeric: set[str],
                      dayfirst: bool) -> DateColumn | None:
    if date_column == "":
        return None  # the user said: no date column
    if date_column is None:
        return find_date_column(table, numeric, dayfirst)
    if date_column not in table.columns:
        raise DataError(f"date column {date_column!r} is not in the file; columns are: "
                        f"{', '.join(table.columns)}.")
    found = read_dates(date_column, table[date_column], dayfirst, must=True)
    filled = int((table[date_column].str.strip() != "").sum())
    if found is None or found.bad > (1 - 0.9) * max(filled, 1):
        raise DataError(f"column {date_column!r} does not look like dates (tried ISO, YYYYMMDD, "
                        "day/month/year, month names and years); choose another column.")
    return found


def load_csv(source: str | Path | bytes, column: str | None = None, date_column: str | None = None,
             inputs: list[str] | None = None, missing: str = "interpolate", decimal: str = "auto",
             thousands: str = "auto") -> SeriesData:
    """Load a CSV (path or raw bytes) into SeriesData; the target is column 0 of the result.

    date_column: None detects one, "" means none. decimal / thousands: 'auto' decides per column."""
    return series_from_table(read_table(source, decimal, thousands, date_column), column, inputs, missing)


def series_from_table(t: CsvTable, column: str | None = None, inputs: list[str] | None = None,
                      missing: str = "interpolate") -> SeriesData:
    """The target (and inputs) of an already parsed table, gaps handled by the missing-value policy."""
    target = _pick_target(t, column)
    extra = _check_inputs(t, target, list(inputs or []))
    notes = [t.summary() + "; numbers: " + ", ".join(
        f"{c!r} {t.numbers[c].seps_used}" for c in [target, *extra])]
    if t.date is not None:
        notes.append(f"dates from column {t.date.name!r} ({t.date.fmt})")
    notes += [f"⚠ {w}" for w in t.warnings]
    frame = pd.DataFrame({c: _checked_values(t.numbers[c], notes) for c in [target, *extra]})
    if t.date is not None:
        frame = _index_by_dates(frame, t.date, notes)
    frame = _handle_missing(frame, missing, notes)
    values = frame.to_numpy(dtype=np.float64)
    if len(values) < MIN_ROWS:
        raise DataError(f"only {len(values)} usable rows; a series needs many more points to "
                        "learn from (at least lookback + horizon + a few dozen).")
    if np.nanmax(values[:, 0]) == np.nanmin(values[:, 0]):
        notes.append(f"column {target!r} is constant: every model and baseline will predict it exactly")
    idx = pd.DatetimeIndex(frame.index) if t.date is not None else None
    return SeriesData(values=values, names=[str(target), *map(str, extra)], dates=idx, notes=notes,
                      read_as=_read_as(t, [target, *extra]))


def _read_as(t: CsvTable, columns: list[str]) -> dict:
    """How the file was read, in plain pandas terms (rnnlab.script writes it into an exported run)."""
    formats = {str(c): (t.numbers[c].fmt.decimal, THOUSANDS_CHARS[t.numbers[c].fmt.thousands]) for c in columns}
    fmt = t.date.fmt if t.date is not None else None
    return {"sep": t.delimiter, "encoding": t.encoding, "skip": int(t.sep_line), "formats": formats,
            "date_column": t.date.name if t.date is not None else None,
            "date_format": {"year": "%Y", "flexible": None}.get(fmt, fmt),
            "dayfirst": t.delimiter == ";" or _file_decimal(t.numbers) == ","}


def _pick_target(t: CsvTable, column: str | None) -> str:
    if column is None:
        target = t.default_target()
        if target is None:
            raise DataError("no numeric column found; the file needs at least one column of numbers "
                            "(check the delimiter and decimal separator).")
        return target
    if column not in t.columns:
        raise DataError(f"column {column!r} is not in the file; columns are: {', '.join(t.columns)}.")
    if t.date is not None and column == t.date.name:
        raise DataError(f"column {column!r} holds the dates; choose a numeric column as target.")
    if column not in t.numeric:
        sample = ", ".join(repr(v) for v in t.table[column].head(3))
        raise DataError(f"column {column!r} is not numeric (values like {sample}); choose a column of numbers.")
    return column


def _check_inputs(t: CsvTable, target: str, extra: list[str]) -> list[str]:
    for name in extra:
        if name not in t.columns:
            raise DataError(f"input column {name!r} is not in the file; columns are: {', '.join(t.columns)}.")
        if name == target:
            raise DataError(f"column {name!r} is already the target; do not list it as an input too.")
        if name not in t.numeric:
            raise DataError(f"input column {name!r} is not numeric; pick numeric columns as inputs.")
    return extra


def _checked_values(n: ColumnNumbers, notes: list[str]) -> np.ndarray:
    """The column's values; too many unreadable cells refuse the file, a few become gaps (noted)."""
    rows = len(n.values)
    examples = ", ".join(repr(v) for v in n.bad_examples)
    if n.bad > MAX_BAD_SHARE * rows:
        raise DataError(f"column {n.name!r} has {n.bad} of {rows} cells that are not numbers in its "
                        f"format ({n.fmt.describe()}), e.g. {examples}; fix those cells, or set the "
                        "decimal / thousands separators if they were guessed wrong.")
    if n.missing + n.infinite > 0.5 * rows:
        raise DataError(f"column {n.name!r} has {n.missing + n.infinite} of {rows} cells missing or infinite; "
                        "filling that many gaps would invent most of the series. Choose another column "
                        "or fill the file.")
    if n.bad:
        notes.append(f"⚠ {n.bad} cells of {n.name!r} are not numbers (e.g. {examples}) and were "
                     "treated as missing")
    if n.infinite:
        notes.append(f"{n.infinite} infinite values in {n.name!r} treated as missing")
    if n.percent:
        notes.append(f"% signs removed from {n.name!r}; values kept as written (5% reads as 5)")
    return n.values


def _index_by_dates(frame: pd.DataFrame, date: DateColumn, notes: list[str]) -> pd.DataFrame:
    keep = date.dates.notna().to_numpy()
    if not keep.all():
        bad = int((~keep).sum())
        notes.append(f"⚠ {bad} rows without a readable date in {date.name!r} dropped")
        frame = frame.loc[keep]
    frame.index = pd.DatetimeIndex(date.dates[keep].to_numpy())
    if not frame.index.is_monotonic_increasing:
        frame = frame.sort_index(kind="stable")
        notes.append(f"rows sorted by {date.name!r} (they were out of order)")
    if frame.index.has_duplicates:
        notes.append(f"{int(frame.index.duplicated().sum())} duplicate dates kept in file order")
    return frame


def _handle_missing(frame: pd.DataFrame, policy: str, notes: list[str]) -> pd.DataFrame:
    gaps = int(frame.isna().any(axis=1).sum())
    if not gaps:
        return frame
    if policy == "refuse":
        raise DataError(f"{gaps} rows have missing or non-numeric values; fill them in the file, "
                        "or choose 'interpolate' or 'drop'.")
    if policy == "drop":
        notes.append(f"{gaps} rows with missing values dropped")
        return frame.dropna()
    empty = [c for c in frame.columns if frame[c].isna().all()]
    if empty:
        raise DataError(f"column {empty[0]!r} has no numeric value at all, so its gaps cannot be filled.")
    filled = frame.reset_index(drop=True).interpolate(method="linear", limit_direction="both")
    filled.index = frame.index
    notes.append(f"{gaps} rows with missing values filled by linear interpolation")
    return filled
