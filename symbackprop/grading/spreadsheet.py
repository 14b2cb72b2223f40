"""CSV that is safe to open in a spreadsheet: no cell of it runs as a formula.

A student id, a name or an answer is text somebody else typed. Excel, LibreOffice and Google
Sheets run a cell that begins with ``=``, ``+``, ``-`` or ``@`` as a formula (a tab or a
carriage return first can hide one), so ``=HYPERLINK(...)`` in an answer would run on the
instructor's machine. Following OWASP's advice on CSV injection, such a cell is written with a
single quote in front, which the spreadsheet shows as text. A plain number such as ``-0.27``
cannot run anything and stays a number. Every CSV the tool writes goes through :func:`csv_text`.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable

# What a spreadsheet may read as the start of a formula (OWASP, "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A number as a spreadsheet reads it, and nothing else: it may begin with a sign and run nothing.
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def safe_cell(value: object) -> str:
    """A cell's text, with a single quote in front when a spreadsheet would run it as a formula.

    >>> safe_cell("=1+1"), safe_cell("-0.27"), safe_cell("-h1*w5"), safe_cell(2.5), safe_cell("@SUM(A1)")
    ("'=1+1", '-0.27', "'-h1*w5", '2.5', "'@SUM(A1)")
    """
    text = value if isinstance(value, str) else str(value)
    if text.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def csv_text(rows: Iterable[Iterable[object]]) -> str:
    """Rows as CSV text (``\\n`` line ends), every cell made safe by :func:`safe_cell`.

    >>> print(csv_text([["student", "answer"], ["s1", "=2+5"], ["s2", -0.27]]), end="")
    student,answer
    s1,'=2+5
    s2,-0.27
    """
    lines = []
    for row in rows:
        # Python 3.11's writer quotes a cell holding a character of the line ending only: written
        # with "\r\n", a cell with a bare CR is quoted too, instead of splitting its row in two.
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\r\n").writerow([safe_cell(cell) for cell in row])
        lines.append(buffer.getvalue().removesuffix("\r\n") + "\n")
    return "".join(lines)
