"""Numbers in text cells, decided per column: which decimal mark and thousands separator a column uses.

A column's own values decide its format; a whole-file guess never overrides values that contradict
it. Every candidate format is tried on the column's distinct values: the formats that read the most
cells win, and when several winners read some value differently (`1,234`: 1234 or 1.234?) the
column is *ambiguous* and gets the more likely reading (other columns of the file, then the shape
of the values, then the file's dialect) and a note saying so.

Cells are cleaned first: surrounding spaces, a currency sign before or after the number, a
trailing %, a sign before or after the currency (`-$5`), accounting parentheses (`(5)` is -5).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

# Thousands separators by name (names travel in configs, URLs and CLI flags).
THOUSANDS_CHARS = {"none": "", ",": ",", ".": ".", "space": " \u00a0\u202f", "'": "'\u2019"}
NA_TOKENS = frozenset({"", "na", "n/a", "n.a.", "nan", "null", "none", "-", "--", "?", "missing",
                       "#n/a", "nil", ".", "n.v.", "#nv", "k.a.", "n.d.", "nd", "s.o."})
INF_TOKENS = frozenset({"inf", "+inf", "-inf", "infinity", "+infinity", "-infinity", "∞", "-∞", "+∞"})
MAX_SAMPLE = 20_000  # distinct values used to decide a column's format (all are converted after)

_CELL = re.compile(
    r"^\s*(?P<open>\()?\s*(?P<s1>[+\-\u2212])?\s*(?P<cur1>[$€£¥])?\s*(?P<s2>[+\-\u2212])?\s*"
    r"(?P<num>[.,]?\d(?:[\d.,'\u2019 \u00a0\u202f]*\d)?[.,]?(?:[eE][+\-]?\d+)?)"
    r"\s*(?P<pct>%)?\s*(?P<cur2>[$€£¥])?\s*(?P<close>\))?\s*$")


@dataclass(frozen=True)
class NumberFormat:
    """One way of writing numbers: decimal mark '.' or ',', thousands separator by name."""

    decimal: str
    thousands: str  # a key of THOUSANDS_CHARS

    def pattern(self) -> re.Pattern:
        d = re.escape(self.decimal)
        t = "[" + re.escape(THOUSANDS_CHARS[self.thousands]) + "]" if self.thousands != "none" else None
        # with a thousands separator, integer parts of 4+ digits must be grouped (writers group all)
        whole = rf"\d{{1,3}}(?:{t}\d{{3}})*" if t else r"\d+"
        return re.compile(rf"^(?:{whole}(?:{d}\d*)?|{d}\d+)(?:[eE][+\-]?\d+)?$")

    def to_float(self, core: pd.Series) -> pd.Series:
        """Convert cores that match this format (others must be masked out before)."""
        s = core
        if self.thousands != "none":
            s = s.str.replace("[" + re.escape(THOUSANDS_CHARS[self.thousands]) + "]", "", regex=True)
        if self.decimal == ",":
            s = s.str.replace(",", ".", regex=False)
        return pd.to_numeric(s, errors="coerce").astype(float)

    def describe(self) -> str:
        dec = {".": "decimal point", ",": "decimal comma"}[self.decimal]
        th = {"none": "no thousands separator", ",": "thousands ','", ".": "thousands '.'",
              "space": "thousands space", "'": "thousands '''"}[self.thousands]
        return f"{dec}, {th}"


CANDIDATES = [NumberFormat(d, t) for d in (".", ",") for t in THOUSANDS_CHARS if t != d]


@dataclass
class ColumnNumbers:
    """How one column's cells were read as numbers, for the load report."""

    name: str
    values: np.ndarray  # (rows,) float64; NaN where missing, infinite or unparseable
    fmt: NumberFormat | None  # None: not a numeric column
    share: float  # share of non-missing cells that read as numbers
    missing: int = 0  # empty or NA-like cells
    infinite: int = 0  # inf / -inf cells (treated as missing)
    bad: int = 0  # non-empty cells that are not numbers in this column's format
    bad_examples: list[str] = field(default_factory=list)  # first few offending cells, as written
    percent: bool = False  # some cells carried a % sign (removed; values kept as written)
    ambiguous: str | None = None  # why another reading was possible, if one was
    seps_used: str = ""  # the separators actually present, in words

    @property
    def numeric(self) -> bool:
        return self.fmt is not None and self.share >= 0.5


def _clean(uniques: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Cleaned numeric cores, a sign (+1/-1) and a %-flag per distinct value; core NaN if no match."""
    parts = uniques.str.extract(_CELL)
    paren = parts["open"].notna() & parts["close"].notna()
    unbalanced = parts["open"].notna() ^ parts["close"].notna()
    two_signs = parts["s1"].notna() & parts["s2"].notna()
    two_cur = parts["cur1"].notna() & parts["cur2"].notna()
    core = parts["num"].where(~(unbalanced | two_signs | two_cur | (paren & parts["s1"].notna())))
    neg = parts["s1"].isin(["-", "\u2212"]) | parts["s2"].isin(["-", "\u2212"]) | paren
    return core, pd.Series(np.where(neg, -1.0, 1.0), index=uniques.index), parts["pct"].notna()


def _read(fmt: NumberFormat, core: pd.Series) -> pd.Series:
    """Values of the cores this format reads; NaN elsewhere."""
    ok = core.notna() & core.str.match(fmt.pattern())
    out = pd.Series(np.nan, index=core.index)
    if ok.any():
        out[ok] = fmt.to_float(core[ok])
    return out


def _used(fmt: NumberFormat, core: pd.Series) -> str:
    seps = []
    if core.str.contains(re.escape(fmt.decimal), regex=True).any():
        seps.append({".": "decimal point", ",": "decimal comma"}[fmt.decimal])
    if fmt.thousands != "none" and core.str.contains(
            "[" + re.escape(THOUSANDS_CHARS[fmt.thousands]) + "]", regex=True).any():
        seps.append(f"thousands {'space' if fmt.thousands == 'space' else repr(fmt.thousands)}")
    return ", ".join(seps) or "plain digits"


def detect_format(core: pd.Series, allowed: list[NumberFormat], prefer_decimal: str | None,
                  dialect_decimal: str) -> tuple[NumberFormat | None, int, str | None]:
    """Best format for a column's distinct cleaned cores: (format, cells read, ambiguity note)."""
    sample = core.dropna()
    sample = sample.iloc[:MAX_SAMPLE]
    if sample.empty:
        return None, 0, None
    readings = {f: _read(f, sample) for f in allowed}
    counts = {f: int(r.notna().sum()) for f, r in readings.items()}
    best = max(counts.values())
    if best == 0:
        return None, 0, None
    winners = [f for f in allowed if counts[f] == best]
    groups: list[list[NumberFormat]] = []
    for f in winners:  # formats that read every value alike are one reading
        for g in groups:
            if readings[f].equals(readings[g[0]]):
                g.append(f)
                break
        else:
            groups.append([f])
    if len(groups) == 1:
        return _simplest(groups[0], sample), best, None
    return _resolve(groups, readings, sample, prefer_decimal, dialect_decimal), best, _why(groups, readings)


def _simplest(group: list[NumberFormat], sample: pd.Series) -> NumberFormat:
    """Among formats giving identical values, the one whose separators actually occur."""
    def used(f: NumberFormat) -> tuple[int, int]:
        th = f.thousands != "none" and sample.str.contains(
            "[" + re.escape(THOUSANDS_CHARS[f.thousands]) + "]", regex=True).any()
        dec = sample.str.contains(re.escape(f.decimal), regex=True).any()
        return (-int(th) - int(dec), 0 if f.decimal == "." else 1)
    return min(group, key=used)


def _resolve(groups, readings, sample, prefer_decimal, dialect_decimal) -> NumberFormat:
    """The more likely of several readings: other columns' decimal mark, then the values' shape."""
    if prefer_decimal is not None:
        for g in groups:
            if any(f.decimal == prefer_decimal for f in g):
                return next(f for f in g if f.decimal == prefer_decimal)
    # `1,234` and `12`: if every separated value has exactly three digits after its only separator
    # and some values are short plain integers, the separator groups thousands
    grouped = sample.str.fullmatch(r"\d{1,3}[.,]\d{3}")
    plain_short = sample.str.fullmatch(r"\d{1,3}")
    if bool((grouped | plain_short).all() and grouped.any() and plain_short.any()):
        for g in groups:
            for f in g:
                if f.thousands in (",", "."):
                    return f
    for g in groups:
        if any(f.decimal == dialect_decimal for f in g):
            return next(f for f in g if f.decimal == dialect_decimal)
    return groups[0][0]


def _why(groups, readings) -> str:
    a, b = readings[groups[0][0]], readings[groups[1][0]]
    differs = (a != b) & a.notna()
    i = differs.idxmax()  # the index holds the cells as written
    return f"values like {str(i).strip()!r} could mean {a[i]:g} or {b[i]:g}"


def allowed_formats(decimal: str = "auto", thousands: str = "auto") -> list[NumberFormat]:
    """The candidate formats left by the user's overrides ('auto' leaves every candidate)."""
    return [f for f in CANDIDATES
            if (decimal == "auto" or f.decimal == decimal) and (thousands == "auto" or f.thousands == thousands)]


def parse_column(name: str, cells: pd.Series, allowed: list[NumberFormat] | None = None,
                 prefer_decimal: str | None = None, dialect_decimal: str = ".") -> ColumnNumbers:
    """Read one text column as numbers in its own format (among `allowed`); count what failed.

    The format is decided on up to MAX_SAMPLE distinct values; a column that is not numeric there
    is not converted further (date and text columns cost only the sample). Plain numbers in a
    decimal-point column go through pandas' C parser; only the other cells take the regex path."""
    cells = cells.fillna("").astype(str)
    codes, uniques = pd.factorize(cells, sort=False)
    uniq = pd.Series(uniques, dtype=object).astype(str)
    lowered = uniq.str.strip().str.lower()
    is_na, is_inf = lowered.isin(NA_TOKENS).to_numpy(), lowered.isin(INF_TOKENS).to_numpy()
    usable = uniq[~(is_na | is_inf)]
    sample = usable.iloc[:MAX_SAMPLE]
    core_s, _, _ = _clean(sample)
    fmt, read, ambiguous = detect_format(pd.Series(core_s.to_numpy(), index=sample.to_numpy()),
                                         allowed or CANDIDATES, prefer_decimal, dialect_decimal)
    counts = np.bincount(codes, minlength=len(uniq)) if len(uniq) else np.zeros(0, int)
    if fmt is None or read < 0.5 * len(sample):  # text or dates: no full conversion
        return ColumnNumbers(name=name, values=np.full(len(cells), np.nan), fmt=fmt,
                             share=read / len(sample) if len(sample) else 0.0,
                             missing=int(counts[is_na].sum()), infinite=int(counts[is_inf].sum()))
    per_unique = np.full(len(uniq), np.nan)
    per_unique[usable.index] = _convert(fmt, usable)
    overflow = np.isinf(per_unique)  # e.g. 1e400: past float64's range, so no usable number
    is_inf = is_inf | overflow
    per_unique[overflow] = np.nan
    bad_u = ~(is_na | is_inf) & np.isnan(per_unique)
    n_value = int(counts[~(is_na | is_inf)].sum())
    n_bad = int(counts[bad_u].sum())
    values = per_unique[codes] if len(codes) else np.zeros(0)
    _, _, pct = _clean(uniq[~np.isnan(per_unique)].iloc[:MAX_SAMPLE])
    return ColumnNumbers(
        name=name, values=values.astype(np.float64), fmt=fmt,
        share=(n_value - n_bad) / n_value if n_value else 0.0,
        missing=int(counts[is_na].sum()), infinite=int(counts[is_inf].sum()),
        bad=n_bad, bad_examples=[str(v).strip() for v in uniq[bad_u].head(3)], percent=bool(pct.any()),
        ambiguous=ambiguous, seps_used=_used(fmt, core_s.dropna()))


def _convert(fmt: NumberFormat, cells: pd.Series) -> np.ndarray:
    """Values of distinct cells in one format; NaN where a cell does not read in it."""
    out = np.full(len(cells), np.nan)
    todo = np.ones(len(cells), bool)
    if fmt.decimal == ".":  # plain numbers (no separator, no sign dressing) via pandas' C parser
        fast = pd.to_numeric(cells, errors="coerce").to_numpy(dtype=float)
        todo = np.isnan(fast)
        out[~todo] = fast[~todo]
    if todo.any():
        rest = cells[todo]
        core, sign, _ = _clean(rest)
        out[todo] = (_read(fmt, core) * sign).to_numpy()
    return out
