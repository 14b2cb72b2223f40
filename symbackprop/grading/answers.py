"""Answers files: CSV long form, CSV wide form or JSON, read into one row per answer given.

Nothing a student wrote is dropped here: a row with an empty answer, binary junk, a
megabyte of text or a duplicate is kept as a row, and grading gives each one a verdict.
Bad input, an error naming the file, is only what cannot be read without losing something:
not a regular file, over MAX_FILE_BYTES, not CSV or JSON, a header that would drop or
misplace every answer, or JSON a dict would silently change (a repeated key, an empty
student, a number with no faithful value).
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import stat
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from symbackprop.errors import SymbackpropError
from symbackprop.grading.verdict import echo

MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_NUMBER_DIGITS = 4300  # CPython's default int() limit, fixed here whatever the interpreter is set to
LONG_HEADER = ("student", "question", "answer")


@dataclass(frozen=True, slots=True)  # one per answer: a large class holds millions
class Row:
    """One answer as the file gives it; ``row`` is the record number (the header is row 1)."""

    row: int
    student: str
    question: str
    answer: str | None  # None: the cell is absent (a short row); "" an empty cell
    unreadable: str = ""  # why the file gives no faithful answer here (a JSON 1e400): graded unparsable


def read_answers(path: str | Path) -> list[Row]:
    """Every answer in an answers file, in file order; a ``.json`` file is JSON, anything else CSV."""
    path = Path(path)
    raw = read_bounded(path)
    # Undecodable bytes become U+FFFD: the answer is then unparsable, not lost.
    text = raw.decode("utf-8-sig", errors="replace")
    rows = parse_json(text, source=str(path)) if path.suffix.lower() == ".json" else parse_csv(text, source=str(path))
    refuse_lookalike_students(rows, str(path))
    return rows


def refuse_lookalike_students(rows: list[Row], source: str) -> None:
    """Refuse two student ids that would print the same (differing in control characters or past 200 characters).

    The JSON report keeps every id as written, but a table or a gradebook would show two students as one.
    """
    seen: dict[str, str] = {}
    for row in rows:
        shown = echo(row.student)
        other = seen.setdefault(shown, row.student)
        if other != row.student:
            raise SymbackpropError(
                f"row {row.row}: the students {_quoted(other)} and {_quoted(row.student)} would print the same: "
                "give them ids that differ in printable characters within the first 200",
                source=source,
            )


def read_bounded(path: Path, what: str = "an answers file") -> bytes:
    """The bytes of a regular file of at most MAX_FILE_BYTES; anything else is an error naming the file."""
    source = str(path)
    try:
        _refuse_unless_regular(path.stat().st_mode, source, what)
        # O_NONBLOCK: a FIFO swapped in after the check must not block the open before fstat refuses it.
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(descriptor, "rb") as file:
            info = os.fstat(file.fileno())
            _refuse_unless_regular(info.st_mode, source, what)
            if info.st_size > MAX_FILE_BYTES:
                raise SymbackpropError(f"larger than {MAX_FILE_BYTES // 2**20} MB", source=source)
            # st_size can be wrong (0 for /proc files, a file still growing): the read itself is bounded.
            raw = file.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise SymbackpropError("no such file", source=source) from None
    except IsADirectoryError:
        raise SymbackpropError(f"is a directory, not {what}", source=source) from None
    except OSError as error:
        raise SymbackpropError(f"cannot read: {error.strerror or error}", source=source) from None
    if len(raw) > MAX_FILE_BYTES:
        raise SymbackpropError(f"larger than {MAX_FILE_BYTES // 2**20} MB", source=source)
    return raw


def _refuse_unless_regular(mode: int, source: str, what: str) -> None:
    """Refuse a directory, device, FIFO or socket: only a regular file has an end to read up to."""
    if stat.S_ISDIR(mode):
        raise SymbackpropError(f"is a directory, not {what}", source=source)
    if not stat.S_ISREG(mode):
        raise SymbackpropError("not a regular file (a device, pipe or socket): give a file on disk", source=source)


def parse_json(text: str, *, source: str = "answers") -> list[Row]:
    """``{"student": {"question": "answer"}}``; a number is read as its decimal text.

    >>> [row.answer for row in parse_json('{"s1": {"dE/dw1": "-(y_t - y)*h3", "h1": 0.731}}')]
    ['-(y_t - y)*h3', '0.731']
    """
    data = _load_json(text, source)
    if not isinstance(data, _Object):
        raise SymbackpropError('expected an object {"student": {"question": "answer"}}', source=source)
    if data.repeated:
        raise SymbackpropError(
            "two objects for one student (a JSON reader keeps only one): merge them",
            source=source,
            key=f"student {_quoted(data.repeated[0])}",
        )
    rows: list[Row] = []
    for student, answers in data.items():
        rows.extend(_student_rows(student, answers, len(rows) + 1, source))
    return rows


def _load_json(text: str, source: str) -> object:
    """The JSON value of ``text``, objects as :class:`_Object` and bad numbers as :class:`_BadNumber`."""
    try:
        return json.loads(
            text, object_pairs_hook=_Object, parse_int=_json_int, parse_float=_json_float, parse_constant=_json_constant
        )
    except (json.JSONDecodeError, RecursionError) as error:
        where = f"line {error.lineno}, column {error.colno}: " if isinstance(error, json.JSONDecodeError) else ""
        raise SymbackpropError(
            f"not valid JSON: {where}{getattr(error, 'msg', 'nested too deep')}", source=source
        ) from None


def _student_rows(student: str, answers: object, first: int, source: str) -> list[Row]:
    """The rows of one student's answers, numbered from ``first``; a flaw is an error naming the student."""
    where = f"student {_quoted(student)}"
    if not isinstance(answers, _Object):
        _refuse_flawed(answers, source, where)
        # Still a row: the student is in the file and gets a verdict.
        return [Row(first, student, "", _cell(answers), _bad_number(answers))]
    if answers.repeated:
        raise SymbackpropError(
            "two answers in one object (a JSON reader keeps only one): keep the one that counts",
            source=source,
            key=f"{where}, question {_quoted(answers.repeated[0])}",
        )
    if not answers:
        # A row needs a question, and an invented one would be graded as an answer the student never gave.
        raise SymbackpropError(
            'no answers (an empty object): give {"<question>": null} to list the student with nothing answered',
            source=source,
            key=where,
        )
    rows: list[Row] = []
    for question, answer in answers.items():
        _refuse_flawed(answer, source, f"{where}, question {_quoted(question)}")
        rows.append(Row(first + len(rows), student, question, _cell(answer), _bad_number(answer)))
    return rows


class _Object(dict):
    """A JSON object that remembers its repeated keys, which a dict alone would silently merge."""

    def __init__(self, pairs: list[tuple[str, object]]):
        super().__init__(pairs)
        counts = Counter(key for key, _ in pairs)
        self.repeated = [key for key, count in counts.items() if count > 1]


@dataclass(frozen=True)
class _BadNumber:
    """A JSON number with no faithful value (too many digits, not finite): that answer is unparsable."""

    why: str
    text: str


def _json_int(digits: str) -> int | _BadNumber:
    """A JSON integer; a longer one than MAX_NUMBER_DIGITS would take int() quadratic time or fail."""
    length = len(digits.lstrip("-"))
    if length > MAX_NUMBER_DIGITS:
        return _BadNumber(f"a number of {length} digits is too long (at most {MAX_NUMBER_DIGITS})", digits[:40] + "…")
    return int(digits)


class _Written(str):
    """A JSON number's digits as the student wrote them: -0.100 keeps its three significant figures."""


def _json_float(digits: str) -> _Written | _BadNumber:
    """A JSON number with a fraction or exponent, as written; one out of float range (1e400) is not a value."""
    if not math.isfinite(float(digits)):
        return _BadNumber(f"the number {_quoted(digits)} is out of range (not finite)", digits)
    return _Written(digits)


def _json_constant(name: str) -> _BadNumber:
    """NaN, Infinity and -Infinity, which Python's JSON reader accepts but no answer can be."""
    return _BadNumber(f"{name} is not a finite number", name)


def _bad_number(value: object) -> str:
    """Why an answer holds no faithful value: a bad number anywhere inside it, or nothing."""
    pending = [value]  # a loop, not recursion: the JSON may be nested as deep as the reader allows
    while pending:
        item = pending.pop()
        if isinstance(item, _BadNumber):
            return item.why
        if isinstance(item, (_Object, list)):
            pending.extend(item.values() if isinstance(item, _Object) else item)
    return ""


def _refuse_flawed(value: object, source: str, where: str) -> None:
    """Refuse an answer holding a repeated key anywhere inside it (a bad number only makes it unparsable)."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, _Object):
            if item.repeated:
                raise SymbackpropError(
                    f"the key {_quoted(item.repeated[0])} appears twice inside the answer", source=source, key=where
                )
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)


def _cell(value: object) -> str | None:
    """A JSON value as answer text: strings as they are, numbers as written, null as no answer."""
    if value is None:
        return None
    if isinstance(value, str):  # a string, or a number's digits as written (_Written)
        return str(value)
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, _BadNumber):
        return value.text
    return json.dumps(value, default=lambda bad: bad.text)[
        : 10_000 + 1
    ]  # a list or object: kept (and unparsable), bounded


def _quoted(name: str) -> str:
    """A name from the file for an error line: quoted, escaped and at most 40 characters."""
    return repr(name[:40]) + ("…" if len(name) > 40 else "")


def parse_csv(text: str, *, source: str = "answers") -> list[Row]:
    """Long form ``student,question,answer`` or wide form ``student,<question>,…``.

    >>> [(row.row, row.question, row.answer) for row in parse_csv("student,dE/dw1,h1\\ns1,-(y_t - y)*h3,0.731\\n")]
    [(2, 'dE/dw1', '-(y_t - y)*h3'), (2, 'h1', '0.731')]
    """
    csv.field_size_limit(MAX_FILE_BYTES)
    _refuse_open_quote(text, source)
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
    _refuse_odd_header(header, source)
    return _wide_rows(header, records[1:])


def _refuse_open_quote(text: str, source: str) -> None:
    """Refuse a quote never closed: read leniently, it would merge every following row into one answer."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    line = 0  # the last physical line of the last record read whole
    try:
        for _ in reader:
            line = reader.line_num
    except csv.Error as error:
        if "end of data" in str(error):
            raise SymbackpropError(
                f'line {line + 1}: a quote (") that is never closed: every row after it would be read as one answer',
                source=source,
            ) from None
        # any other irregularity (a quote inside an unquoted cell) is read leniently, as before


def _refuse_odd_header(header: list[str], source: str) -> None:
    """Refuse a header read as wide form that names no question or is a long form with other columns."""
    names = [cell.strip() for cell in header]
    if len(names) == 1:
        # Wide form with no question column would give no rows: every student would vanish.
        raise SymbackpropError(
            "row 1: the header names no question: expected student,question,answer or student,<question>,…",
            source=source,
        )
    if {"question", "answer"} <= {name.lower() for name in names}:
        # Read as wide form, every answer would become "'answer' is not a question".
        raise SymbackpropError(
            f"row 1: the long form has exactly the columns student,question,answer, not {_quoted(','.join(names))}",
            source=source,
        )


def _wide_rows(header: list[str], records: list[tuple[int, list[str]]]) -> list[Row]:
    """One row per question column of each record, plus one per cell under no question."""
    questions = [cell.strip() for cell in header[1:]]
    rows = []
    for number, record in records:
        student = record[0].strip()
        for index, question in enumerate(questions, start=1):
            rows.append(Row(number, student, question, record[index] if index < len(record) else None))
        for index in range(len(questions) + 1, len(record)):
            if record[index].strip():  # a cell under no question: still an answer, kept
                rows.append(Row(number, student, f"(column {index + 1})", record[index]))
    return rows


def _long_row(number: int, record: list[str]) -> Row:
    """The row of one long-form record: student, question, and the answer (None if the cell is absent)."""
    student = record[0].strip()
    question = record[1].strip() if len(record) > 1 else ""
    # An unquoted comma in an answer (max(a, b)) splits it into more cells: join them back.
    answer = ",".join(record[2:]) if len(record) > 2 else None
    return Row(number, student, question, answer)
