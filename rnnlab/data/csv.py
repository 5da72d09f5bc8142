"""Robust CSV loading: sniff the dialect, parse numbers and dates, fill gaps, say what was done.

Every failure raises DataError with a message that names the problem and the fix.
"""
from __future__ import annotations

import csv as _csv
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd

from rnnlab.data import SeriesData
from rnnlab.errors import DataError

MAX_BYTES = 200 * 1024 * 1024
DATE_NAMES = re.compile(r"^(date|datetime|time|timestamp|day|month|week|year|period|ds)$", re.I)
DATE_FORMATS = ["%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%d.%m.%Y", "%d/%m/%Y",
                "%m/%d/%Y", "%Y/%m/%d", "%Y%m%d", "%b %Y", "%B %Y", "%Y-%b", "%b-%y", "%Y-%m",
                "%d %b %Y", "%d %B %Y", "%b %d, %Y", "%B %d, %Y"]
NA_TOKENS = {"", "na", "n/a", "nan", "null", "none", "-", "--", "?", "missing", "#n/a"}


def load_csv(source: str | Path | bytes, column: str | None = None, date_column: str | None = None,
             inputs: list[str] | None = None, missing: str = "interpolate") -> SeriesData:
    """Load a CSV (path or raw bytes) into SeriesData; the target is column 0 of the result."""
    raw = _read_bytes(source)
    text, encoding = _decode(raw)
    table, delimiter, decimal = _parse_table(text)
    notes = [f"read {len(table)} rows x {table.shape[1]} columns "
             f"(encoding {encoding}, delimiter {_show(delimiter)}, decimal {_show(decimal)})"]

    dates, date_name = _find_dates(table, date_column, notes)
    numeric = {c: _to_number(table[c], decimal) for c in table.columns if c != date_name}
    usable = [c for c, s in numeric.items() if s.notna().mean() >= 0.5]
    target = _pick_target(column, table, numeric, usable, date_name)
    extra = list(inputs or [])
    for name in extra:
        if name not in table.columns:
            raise DataError(f"input column {name!r} is not in the file; columns are: "
                            f"{', '.join(map(str, table.columns))}.")
        if name not in usable:
            raise DataError(f"input column {name!r} is not numeric; pick numeric columns as inputs.")
        if name == target:
            raise DataError(f"column {name!r} is already the target; do not list it as an input too.")
    frame = pd.DataFrame({c: numeric[c] for c in [target, *extra]})
    if dates is not None:
        frame.index = dates
        if not frame.index.is_monotonic_increasing:
            frame = frame.sort_index(kind="stable")
            notes.append(f"rows sorted by {date_name!r} (they were out of order)")
        if frame.index.has_duplicates:
            notes.append(f"{int(frame.index.duplicated().sum())} duplicate dates kept in file order")
    frame = _handle_missing(frame, missing, notes)
    values = frame.to_numpy(dtype=np.float64)
    if len(values) < 3:
        raise DataError(f"only {len(values)} usable rows; a series needs many more points to "
                        "learn from (at least lookback + horizon + a few dozen).")
    if np.nanstd(values[:, 0]) == 0:
        notes.append(f"column {target!r} is constant: every model and baseline will predict it exactly")
    idx = pd.DatetimeIndex(frame.index) if dates is not None else None
    return SeriesData(values=values, names=[str(target), *map(str, extra)], dates=idx, notes=notes)


def _show(sep: str) -> str:
    return {"\t": "tab", ",": "comma", ";": "semicolon", ".": "point", "|": "pipe"}.get(sep, repr(sep))


def _read_bytes(source: str | Path | bytes) -> bytes:
    if isinstance(source, (bytes, bytearray)):
        raw = bytes(source)
    else:
        path = Path(source)
        if not path.exists():
            raise DataError(f"file {str(path)!r} does not exist; check the path.")
        if path.is_dir():
            raise DataError(f"{str(path)!r} is a folder; give the path of a CSV file.")
        if path.stat().st_size > MAX_BYTES:
            raise DataError(f"file is larger than {MAX_BYTES // 2**20} MB; trim it before loading.")
        raw = path.read_bytes()
    if not raw.strip():
        raise DataError("the file is empty; upload a CSV with a header row and numeric values.")
    return raw


def _decode(raw: bytes) -> tuple[str, str]:
    if b"\x00" in raw[:4096] or raw[:4] in (b"PK\x03\x04", b"%PDF") or raw[:3] == b"\x89PN":
        raise DataError("this is not a text file (it looks binary, e.g. Excel, zip or an image); "
                        "export the sheet as CSV first.")
    for enc in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            return raw.decode(enc), {"utf-8-sig": "UTF-8"}.get(enc, enc)
        except UnicodeDecodeError:
            continue
    raise DataError("the file's text encoding could not be read; save it as UTF-8.")  # unreachable


def _sniff_delimiter(text: str) -> str:
    sample = "\n".join(text.splitlines()[:50])
    try:
        return _csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except _csv.Error:
        counts = {d: sample.count(d) for d in ",;\t|"}
        best = max(counts, key=counts.get)
        return best if counts[best] else ","


def _parse_table(text: str) -> tuple[pd.DataFrame, str, str]:
    delimiter = _sniff_delimiter(text)
    header = next(_csv.reader(io.StringIO(text.lstrip("\r\n")), delimiter=delimiter), [])
    names = [h.strip() for h in header]
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        raise DataError(f"the header repeats the column name(s) {', '.join(map(repr, dup))}; "
                        "give every column a unique name.")
    try:
        table = pd.read_csv(io.StringIO(text), sep=delimiter, dtype=str, keep_default_na=False,
                            skipinitialspace=True, skip_blank_lines=True, comment=None)
    except pd.errors.EmptyDataError:
        raise DataError("the file has no columns; it needs a header row and data rows.") from None
    except pd.errors.ParserError as e:
        msg = str(e).split("\n")[0]
        raise DataError(f"rows have different numbers of fields ({msg}); fix the file so each "
                        "row has as many values as the header.") from None
    table.columns = [str(c).strip() for c in table.columns]
    if table.empty:
        raise DataError("the file has a header but no data rows.")
    table = table.loc[~(table.apply(lambda s: s.str.strip()) == "").all(axis=1)]
    body = "\n".join(text.splitlines()[1:200])
    comma_decimals = len(re.findall(r"\d,\d", body))
    decimal = "," if delimiter != "," and comma_decimals > 0 else "."
    return table.reset_index(drop=True), delimiter, decimal


def _to_number(col: pd.Series, decimal: str) -> pd.Series:
    s = col.astype(str).str.strip().str.replace("\u00a0", "", regex=False)
    s = s.where(~s.str.lower().isin(NA_TOKENS))
    s = s.str.replace(r"^[$€£]|[$€£%]$", "", regex=True).str.replace(" ", "", regex=False)
    if decimal == ",":
        s = s.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    else:
        s = s.str.replace(r"(?<=\d),(?=\d{3}(\D|$))", "", regex=True)
    return pd.to_numeric(s, errors="coerce").astype(float)


def _parse_dates(col: pd.Series) -> pd.Series | None:
    s = col.astype(str).str.strip()
    s = s[s != ""]
    if s.empty:
        return None
    if s.str.fullmatch(r"\d{8}").all():
        out = pd.to_datetime(col.astype(str).str.strip(), format="%Y%m%d", errors="coerce")
        return out if out.notna().mean() > 0.9 else None
    if s.str.fullmatch(r"[-+]?\d+(\.\d+)?").all():
        return None  # plain numbers are values, not dates
    for fmt in DATE_FORMATS:
        out = pd.to_datetime(col.astype(str).str.strip(), format=fmt, errors="coerce")
        if out.notna().mean() > 0.9:
            return out
    try:
        out = pd.to_datetime(col.astype(str).str.strip(), format="mixed", errors="coerce")
    except (ValueError, TypeError):
        return None
    return out if out.notna().mean() > 0.9 else None


def _find_dates(table: pd.DataFrame, date_column: str | None,
                notes: list[str]) -> tuple[pd.DatetimeIndex | None, str | None]:
    if date_column is not None:
        if date_column not in table.columns:
            raise DataError(f"date column {date_column!r} is not in the file; columns are: "
                            f"{', '.join(table.columns)}.")
        parsed = _parse_dates(table[date_column])
        if parsed is None:
            raise DataError(f"column {date_column!r} does not look like dates (tried ISO, "
                            "YYYYMMDD, day/month/year and month names); choose another column.")
        candidates = [date_column]
    else:
        named = [c for c in table.columns if DATE_NAMES.match(c)]
        candidates = named + [c for c in table.columns[:1] if c not in named]
        parsed = None
        for c in candidates:
            parsed = _parse_dates(table[c])
            if parsed is not None:
                candidates = [c]
                break
        if parsed is None:
            return None, None
    name = candidates[0]
    bad = int(parsed.isna().sum())
    if bad:
        notes.append(f"{bad} rows with unreadable dates in {name!r} dropped")
        keep = parsed.notna().to_numpy()
        table.drop(index=table.index[~keep], inplace=True)
        parsed = parsed[keep]
    notes.append(f"dates from column {name!r}")
    return pd.DatetimeIndex(parsed.to_numpy()), name


def _pick_target(column: str | None, table: pd.DataFrame, numeric: dict[str, pd.Series],
                 usable: list[str], date_name: str | None) -> str:
    if column is not None:
        if column not in table.columns:
            raise DataError(f"column {column!r} is not in the file; columns are: "
                            f"{', '.join(table.columns)}.")
        if column == date_name:
            raise DataError(f"column {column!r} holds the dates; choose a numeric column as target.")
        if column not in usable:
            sample = ", ".join(repr(v) for v in table[column].head(3))
            raise DataError(f"column {column!r} is not numeric (values like {sample}); "
                            "choose a column of numbers.")
        return column
    if not usable:
        raise DataError("no numeric column found; the file needs at least one column of numbers "
                        "(check the delimiter and decimal separator).")
    return usable[0]


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
    filled = frame.reset_index(drop=True).interpolate(method="linear", limit_direction="both")
    filled.index = frame.index
    if filled.isna().any().any():
        raise DataError("a column has no numeric value at all, so its gaps cannot be filled.")
    notes.append(f"{gaps} rows with missing values filled by linear interpolation")
    return filled


def peek(source: str | Path | bytes, rows: int = 8) -> tuple[pd.DataFrame, list[str], list[str]]:
    """First rows as text, all column names, and the columns that look numeric (for pickers)."""
    text, _ = _decode(_read_bytes(source))
    table, _, decimal = _parse_table(text)
    numeric = [c for c in table.columns if _to_number(table[c], decimal).notna().mean() >= 0.5]
    return table.head(rows), list(table.columns), numeric
