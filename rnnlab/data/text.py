"""From bytes to text: a bounded read, the encoding, line endings and the delimiter.

Nothing here guesses silently: the encoding and delimiter chosen are returned for the load
report, and a file that mixes encodings is read byte by byte and flagged.
"""
from __future__ import annotations

import codecs
import csv as _csv
import io
import os
import re
import select
from pathlib import Path

from rnnlab.errors import DataError

MAX_BYTES = 200 * 1024 * 1024  # larger files are refused while reading (devices and pipes too)
STREAM_IDLE_S = 10.0  # a pipe that sends nothing for this long is refused
DELIMITERS = (",", ";", "\t", "|")
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


_CP1252_UNDEFINED = {0x81, 0x8D, 0x8F, 0x90, 0x9D}


def _cp1252_fallback(err: UnicodeDecodeError) -> tuple[str, int]:
    """Decode the bytes UTF-8 rejected as cp1252 (latin-1 for the five bytes cp1252 leaves undefined)."""
    bad = err.object[err.start:err.end]
    return "".join(chr(b) if b in _CP1252_UNDEFINED else bytes([b]).decode("cp1252") for b in bad), err.end


codecs.register_error("rnnlab-cp1252", _cp1252_fallback)


def read_bytes(source: str | Path | bytes, limit: int = MAX_BYTES) -> bytes:
    """The raw bytes of a path or upload, refusing more than `limit` bytes while reading."""
    if isinstance(source, (bytes, bytearray)):
        raw = bytes(source)
        if len(raw) > limit:
            raise DataError(f"the file is larger than {limit // 2**20} MB; trim it before loading.")
    else:
        if str(source).strip() == "":
            raise DataError("the CSV path is empty; give the path of a CSV file.")
        path = Path(source)
        if not path.exists():
            raise DataError(f"file {str(path)!r} does not exist; check the path.")
        if path.is_dir():
            raise DataError(f"{str(path)!r} is a folder; give the path of a CSV file.")
        raw = _read_file(path, limit) if path.is_file() else _read_stream(path, limit)
        if len(raw) > limit:
            raise DataError(f"the file is larger than {limit // 2**20} MB; trim it before loading.")
    if not raw.strip():
        raise DataError("the file is empty; upload a CSV with a header row and numeric values.")
    return raw


def _read_file(path: Path, limit: int) -> bytes:
    with path.open("rb") as fh:  # at most limit + 1 bytes, whatever the file's size
        return fh.read(limit + 1)


def _read_stream(path: Path, limit: int, idle_s: float | None = None) -> bytes:
    """A pipe or device, read without blocking: at most limit + 1 bytes (/dev/zero stops there),
    and refused when nothing arrives for idle_s seconds (a FIFO whose writer never comes)."""
    idle_s = idle_s or STREAM_IDLE_S
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    chunks, size = [], 0
    try:
        while size <= limit:
            ready, _, _ = select.select([fd], [], [], idle_s)
            if not ready:
                raise DataError(f"nothing arrived from {str(path)!r} for {idle_s:g} s (a pipe without a "
                                "writer?); give the path of a CSV file.")
            try:
                chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            except BlockingIOError:
                continue
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    finally:
        os.close(fd)
    return b"".join(chunks)


def decode(raw: bytes) -> tuple[str, str, str | None]:
    """(text, encoding name, warning or None). UTF-16 and UTF-8 by BOM or pattern, else cp1252."""
    if raw[:4] in (b"PK\x03\x04", b"%PDF", b"\x89PNG", b"\xd0\xcf\x11\xe0"):
        raise DataError("this is not a text file (it looks like Excel, zip, PDF or an image); "
                        "export the sheet as CSV first.")
    if raw[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        return _strict(raw, "utf-16"), "UTF-16", None
    head = raw[:4096]
    odd, even = head[1::2], head[0::2]  # UTF-16 text of mostly ASCII has a NUL in every other byte
    if len(head) >= 8 and odd.count(0) > 0.7 * len(odd) and even.count(0) == 0:
        return _strict(raw, "utf-16-le"), "UTF-16 LE", None
    if len(head) >= 8 and even.count(0) > 0.7 * len(even) and odd.count(0) == 0:
        return _strict(raw, "utf-16-be"), "UTF-16 BE", None
    if b"\x00" in head:
        raise DataError("this is not a text file (it looks binary, e.g. Excel, zip or an image); "
                        "export the sheet as CSV first.")
    if raw[:3] == codecs.BOM_UTF8:
        raw = raw[3:]
    try:
        return raw.decode("utf-8"), "UTF-8", None
    except UnicodeDecodeError:
        pass
    if _UTF8_MULTIBYTE.search(raw):  # real UTF-8 characters next to bytes UTF-8 cannot hold
        text = raw.decode("utf-8", errors="rnnlab-cp1252")
        return text, "UTF-8 + cp1252", ("the file mixes UTF-8 with Windows (cp1252) text; the bytes "
                                        "that are not UTF-8 were read as cp1252: check names and "
                                        "labels, and save the file as UTF-8")
    return raw.decode("cp1252", errors="rnnlab-cp1252"), "cp1252", None


def _strict(raw: bytes, encoding: str) -> str:
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError:
        raise DataError(f"the file looks like {encoding.upper()} text but does not decode as it; "
                        "save it as UTF-8.") from None


def normalise_lines(text: str) -> str:
    """One line ending (\\n) for CRLF, LF and old-Mac CR-only files; BOM and NUL-free."""
    text = text.lstrip("\ufeff")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def sniff_delimiter(text: str) -> str:
    """The delimiter that splits the header and the first rows into the same number (> 1) of fields.

    Quotes are respected (a quoted "1,5" does not split), so decimal commas and quoted thousands
    cannot fool it. A file that no delimiter splits is a single column."""
    lines = [ln for ln in text.split("\n", 200)[:200] if ln.strip()][:60]
    if not lines:
        return ","
    best, best_key, single = None, (-1.0, 0), None
    for d in DELIMITERS:
        try:
            counts = [len(row) for row in _csv.reader(io.StringIO("\n".join(lines)), delimiter=d)]
        except _csv.Error:
            continue
        if counts and all(c == 1 for c in counts):
            single = single or d  # splits nothing: fine for a one-column file
        if not counts or counts[0] < 2:
            continue
        rows = counts[1:] or counts[:1]
        same = sum(c == counts[0] for c in rows) / len(rows)
        key = (same, counts[0])
        if same >= 0.5 and key > best_key:
            best, best_key = d, key
    return best or single or ","
