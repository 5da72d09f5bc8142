"""Malformed CSV files shared by the engine, CLI and Data-page tests: (id, bytes, words in the error).

Each one must raise DataError in the engine, exit 2 with one stderr line in the CLI, and show
exactly one readable error (no traceback) on the Data page. None needs a column choice.
"""

def _rows(header: str, cells: list[str]) -> bytes:
    return (header + "\n" + "\n".join(cells) + "\n").encode()


DATES = [f"2024-01-{d:02d}" for d in range(1, 21)]

MALFORMED = [
    ("empty", b"", "empty"),
    ("blank lines", b"  \n\n \n", "empty"),
    ("png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a text file"),
    ("zip", b"PK\x03\x04\x14\x00\x06\x00", "not a text file"),
    ("pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "not a text file"),
    ("xls (OLE2)", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 32, "not a text file"),
    ("binary with NUL", b"abc\x00\x01\x02def\x00" * 20, "not a text file"),
    ("broken UTF-16", b"\xff\xfe" + "a,b\n1,2\n".encode("utf-16-le") + b"\x00", "does not decode"),
    ("header only", b"date,sales\n", "no data rows"),
    ("header and blank rows", b"a,b\n\n\n,\n", "no data rows"),
    ("text only", b"name,city\nann,paris\nbob,rome\ncid,oslo\n", "no numeric column"),
    ("html page", b"<!DOCTYPE html>\n<html><body><p>Not found</p></body></html>\n", "no numeric column"),
    ("json", b'[{"a": "x"}, {"a": "y"}]\n', "no data rows"),
    ("only dates", _rows("date", DATES), "no numeric column"),
    ("only NA", b"x\nn/a\nn/a\nNA\n-\n", "no numeric column"),
    ("only inf", b"v\ninf\n-inf\ninf\ninf\n", "no numeric column"),
    ("dotted versions", b"version\n1.2.3\n1.2.4\n2.0.1\n", "no numeric column"),
    ("ragged middle row", b"a,b\n1,2\n3,4,5,6\n7,8\n", "line 3 has 4 fields but the header has 2"),
    ("first row has an extra field", _rows("date,v", ["2024-01-01,1,9", "2024-01-02,2", "2024-01-03,3"]),
     "line 2 has 3 fields but the header has 2"),
    ("duplicate header", b"a,a\n1,2\n3,4\n5,6\n", "repeats the column name"),
    ("duplicate header after strip", b"a , a\n1,2\n3,4\n5,6\n", "repeats the column name"),
    ("two rows", b"date,sales\n2024-01-01,1\n2024-01-02,2\n", "only 2 usable rows"),
    ("too many bad cells", _rows("date,v", [f"{d},{'oops' if i % 4 == 0 else i}" for i, d in enumerate(DATES)]),
     "5 of 20 cells that are not numbers"),
    ("mostly missing", _rows("date,v", [f"{d},{i if i % 3 == 0 else ''}" for i, d in enumerate(DATES)]),
     "cells missing"),
    ("text in a semicolon file", _rows("Datum;Wert", [f"{i + 1:02d}.01.2024;n.v.x" for i in range(10)]),
     "no numeric column"),
    ("unbalanced accounting brackets", _rows("v", ["(5", "(6", "(7", "8)"]), "no numeric column"),
    ("a lone number", b"5\n", "no data rows"),
    ("unclosed quote", b'a,b\n"1,2\n3,4\n5,6\n', "never closed"),
    ("numbers with unit letters", _rows("v", ["12abc", "13abc", "14abc", "15abc"]), "no numeric column"),
    ("overflowing values", _rows("v", ["1e400", "2e400", "3e999", "1"]), "3 of 4 cells missing or infinite"),
    ("too large to compute", _rows("v", [f"{i}e300" for i in range(1, 40)]), "too large"),
    ("CR-only tiny file", b"a,b\r1,2\r3,4\r", "only 2 usable rows"),
]
