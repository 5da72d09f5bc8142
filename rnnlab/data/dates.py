"""Dates in text cells: which column holds them and in which format, decided from the values.

Every listed format is tried on a column's distinct values; the one that reads the most wins. When
several read everything but disagree (`03/04/2024`: 3 April or 4 March?), the reading whose dates
run forward in file order, at the most regular spacing, wins; a remaining tie takes the file's
dialect (day first in decimal-comma files) and is reported as ambiguous.
"""
from __future__ import annotations

import re
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

DATE_WORDS = frozenset({"date", "datetime", "time", "timestamp", "day", "month", "week", "year",
                        "period", "ds", "datum", "fecha", "zeit", "tag", "monat", "jahr", "mois",
                        "jour", "annee", "année", "mes", "año", "dia", "día", "quarter", "hour",
                        "stamp", "dt"})
YEAR_WORDS = frozenset({"year", "jahr", "annee", "année", "año", "ano", "yr"})
FORMATS = ["ISO8601", "%d.%m.%Y", "%d.%m.%y", "%d/%m/%Y", "%m/%d/%Y", "%d-%m-%Y", "%m-%d-%Y",
           "%Y/%m/%d", "%Y.%m.%d", "%d/%m/%y", "%m/%d/%y", "%b %Y", "%B %Y", "%Y-%b", "%b-%y", "%b %y",
           "%b %d, %Y", "%B %d, %Y", "%d %b %Y", "%d %B %Y", "%d-%b-%Y", "%d-%b-%y",
           "%d.%m.%Y %H:%M", "%d.%m.%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%m/%d/%Y %H:%M",
           "%d/%m/%Y %H:%M:%S", "%m/%d/%Y %H:%M:%S", "%Y-%m-%d %H:%M"]
MIN_SHARE = 0.9  # a column is a date column when at least this share of its non-empty cells parse
SAMPLE = 2000  # distinct values used to choose the format


@dataclass
class DateColumn:
    """A column read as dates, for the load report."""

    name: str
    dates: pd.Series  # datetime64 per row, NaT where unreadable or empty
    fmt: str  # the format used, in strptime notation ('ISO8601', 'year', 'flexible')
    bad: int  # non-empty cells that are not dates in that format
    ambiguous: str | None = None  # why another reading was possible, if one was


def date_like_name(name: str) -> bool:
    """True for names such as 'Date', 'order_date', 'Datum', 'Year'."""
    return any(w in DATE_WORDS for w in re.split(r"[^a-zA-ZÀ-ÿ]+", name.lower()) if w)


def _year_like_name(name: str) -> bool:
    return any(w in YEAR_WORDS for w in re.split(r"[^a-zA-ZÀ-ÿ]+", name.lower()) if w)


def _to_datetime(values: pd.Series, fmt: str, dayfirst: bool = False) -> pd.Series:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            if fmt == "flexible":
                out = pd.to_datetime(values, format="mixed", dayfirst=dayfirst, errors="coerce")
            else:
                out = pd.to_datetime(values, format=fmt, errors="coerce")
        except (ValueError, TypeError, OverflowError):
            return pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    if isinstance(out.dtype, pd.DatetimeTZDtype):
        out = out.dt.tz_convert("UTC").dt.tz_localize(None)
    return out


def _score(parsed: pd.Series) -> tuple[float, int]:
    """(share of forward steps in file order, -number of distinct step sizes): higher is likelier.

    Step sizes count in seconds, and also in calendar months when every date falls on the same
    day of the month, so a monthly series is as regular as a daily one."""
    p = pd.DatetimeIndex(parsed.dropna())
    if len(p) < 2:
        return 0.0, 0
    steps = np.diff(p.asi8)
    distinct = len(np.unique(steps))
    if len(np.unique(p.day)) == 1 and (p.normalize() == p).all():
        distinct = min(distinct, len(np.unique(np.diff(p.year * 12 + p.month))))
    return float((steps >= 0).mean()), -distinct


def read_dates(name: str, cells: pd.Series, dayfirst: bool, must: bool = False) -> DateColumn | None:
    """The column as dates, or None when it does not look like dates (unless `must`: then the best try)."""
    text = cells.fillna("").astype(str).str.strip()
    codes, uniques = pd.factorize(text)
    uniq = pd.Series(uniques, dtype=object)
    filled = uniq[uniq != ""]
    if filled.empty:
        return None
    sample = filled.iloc[:SAMPLE]
    if sample.str.fullmatch(r"[+-]?\d+([.,]\d+)?").all():  # plain numbers are values, except:
        if sample.str.fullmatch(r"\d{8}").all():
            fmts = ["%Y%m%d"]
        elif sample.str.fullmatch(r"\d{4}").all() and (_year_like_name(name) or must):
            fmts = ["%Y"]
        else:
            return None
    else:
        fmts = FORMATS
    tries = {f: _to_datetime(sample, f) for f in fmts}
    counts = {f: int(p.notna().sum()) for f, p in tries.items()}
    best = max(counts.values())
    fmt, ambiguous = None, None
    if best >= MIN_SHARE * len(sample):
        winners = [f for f in fmts if counts[f] == best]
        distinct = [f for i, f in enumerate(winners)
                    if not any(tries[f].equals(tries[g]) for g in winners[:i])]
        ranked = sorted(distinct, key=lambda f: _score(tries[f]), reverse=True)
        top = [f for f in ranked if _score(tries[f]) == _score(tries[ranked[0]])]
        fmt = top[0]
        if len(top) > 1:
            first = [f for f in top if f.startswith("%d")] if dayfirst else \
                [f for f in top if f.startswith("%m")]
            fmt = first[0] if first else top[0]
            other = next(f for f in top if f != fmt)
            ambiguous = (f"dates like {sample.iloc[0]!r} fit both {fmt} and {other}; "
                         f"read as {fmt}")
    else:
        flexible = _to_datetime(sample, "flexible", dayfirst)
        if flexible.notna().sum() >= MIN_SHARE * len(sample) and not sample.str.fullmatch(r"[\d.,\s+-]+").all():
            fmt = "flexible"
    if fmt is None:
        if not must:
            return None
        fmt = max(counts, key=counts.get)
    per_unique = _to_datetime(uniq, fmt, dayfirst)
    dates = pd.Series(per_unique.to_numpy()[codes], index=cells.index)
    bad = int((dates.isna() & (text != "")).sum())
    return DateColumn(name, dates, "year" if fmt == "%Y" else fmt, bad, ambiguous)


def find_date_column(table: pd.DataFrame, numeric: set[str], dayfirst: bool) -> DateColumn | None:
    """The first column that reads as dates: date-like names first, then other non-numeric columns."""
    names = [c for c in table.columns if date_like_name(c)]
    names += [c for c in table.columns if c not in names and c not in numeric]
    for c in names:
        found = read_dates(c, table[c], dayfirst)
        if found is not None:
            return found
    return None
