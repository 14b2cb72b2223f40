"""Answers files: CSV long form, CSV wide form or JSON, read into one row per answer given.

Nothing a student wrote is dropped here: a row with an empty answer, binary junk, a
megabyte of text or a duplicate is kept as a row, and grading gives each one a verdict.
Only a file that cannot be read as CSV or JSON at all is bad input.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path

from symbackprop.errors import SymbackpropError

MAX_FILE_BYTES = 64 * 1024 * 1024
LONG_HEADER = ("student", "question", "answer")


@dataclass(frozen=True)
class Row:
    """One answer as the file gives it; ``row`` is the record number (the header is row 1)."""

    row: int
    student: str
    question: str
    answer: str | None  # None: the cell is absent (a short row); "" an empty cell


def read_answers(path: str | Path) -> list[Row]:
    """Every answer in an answers file, in file order; a ``.json`` file is JSON, anything else CSV."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise SymbackpropError(f"larger than {MAX_FILE_BYTES // 2**20} MB", source=str(path))
        raw = path.read_bytes()
    except FileNotFoundError:
        raise SymbackpropError("no such file", source=str(path)) from None
    except IsADirectoryError:
        raise SymbackpropError("is a directory, not an answers file", source=str(path)) from None
    except OSError as error:
        raise SymbackpropError(f"cannot read: {error.strerror or error}", source=str(path)) from None
    # Undecodable bytes become U+FFFD: the answer is then unparsable, not lost.
    text = raw.decode("utf-8-sig", errors="replace")
    if path.suffix.lower() == ".json":
        return parse_json(text, source=str(path))
    return parse_csv(text, source=str(path))


def parse_json(text: str, *, source: str = "answers") -> list[Row]:
    """``{"student": {"question": "answer"}}``; a number is read as its decimal text.

    >>> [row.answer for row in parse_json('{"s1": {"dE/dw1": "-(y_t - y)*h3", "h1": 0.731}}')]
    ['-(y_t - y)*h3', '0.731']
    """
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as error:
        where = f"line {error.lineno}, column {error.colno}: " if isinstance(error, json.JSONDecodeError) else ""
        raise SymbackpropError(
            f"not valid JSON: {where}{getattr(error, 'msg', 'nested too deep')}", source=source
        ) from None
    if not isinstance(data, dict):
        raise SymbackpropError('expected an object {"student": {"question": "answer"}}', source=source)
    rows = []
    for student, answers in data.items():
        if not isinstance(answers, dict):
            # Still a row: the student is in the file and gets a verdict.
            rows.append(Row(len(rows) + 1, student, "", _cell(answers)))
            continue
        for question, answer in answers.items():
            rows.append(Row(len(rows) + 1, student, question, _cell(answer)))
    return rows


def _cell(value: object) -> str | None:
    """A JSON value as answer text: strings as they are, numbers as written, null as no answer."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(value)[: 10_000 + 1]  # a list or object: kept (and unparsable), bounded


def parse_csv(text: str, *, source: str = "answers") -> list[Row]:
    """Long form ``student,question,answer`` or wide form ``student,<question>,…``.

    >>> [(row.row, row.question, row.answer) for row in parse_csv("student,dE/dw1,h1\\ns1,-(y_t - y)*h3,0.731\\n")]
    [(2, 'dE/dw1', '-(y_t - y)*h3'), (2, 'h1', '0.731')]
    """
    csv.field_size_limit(MAX_FILE_BYTES)
    records = [
        (number, record)
        for number, record in enumerate(csv.reader(io.StringIO(text, newline=""), strict=False), start=1)
        if any(cell.strip() for cell in record)
    ]
    if not records:
        raise SymbackpropError(
            "no rows: expected a header student,question,answer or student,<question>,…", source=source
        )
    _, header = records[0]
    names = [cell.strip().lower() for cell in header]
    if not names or names[0] != "student":
        raise SymbackpropError(
            "row 1: expected a header student,question,answer (long form) or student,<question>,… (wide form)",
            source=source,
        )
    if tuple(names) == LONG_HEADER:
        return [_long_row(number, record) for number, record in records[1:]]
    questions = [cell.strip() for cell in header[1:]]
    rows = []
    for number, record in records[1:]:
        student = record[0].strip()
        for index, question in enumerate(questions, start=1):
            rows.append(Row(number, student, question, record[index] if index < len(record) else None))
        for index in range(len(questions) + 1, len(record)):
            if record[index].strip():  # a cell under no question: still an answer, kept
                rows.append(Row(number, student, f"(column {index + 1})", record[index]))
    return rows


def _long_row(number: int, record: list[str]) -> Row:
    student = record[0].strip()
    question = record[1].strip() if len(record) > 1 else ""
    # An unquoted comma in an answer (max(a, b)) splits it into more cells: join them back.
    answer = ",".join(record[2:]) if len(record) > 2 else None
    return Row(number, student, question, answer)
