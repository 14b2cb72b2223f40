"""A class roster: a CSV with a ``student`` column and, optionally, the ids a gradebook wants.

The roster is what ties a student id in an answers file to the names and ids Canvas, Moodle
and Gradescope know. Every column is kept as written; only the header is matched loosely
(case and surrounding spaces), because spreadsheets export headers in many spellings.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from symbackprop.errors import SymbackpropError
from symbackprop.grading.answers import read_bounded
from symbackprop.grading.verdict import echo

OPTIONAL_COLUMNS = ("name", "id", "sis_user_id", "sis_login_id", "section", "email")


@dataclass(frozen=True, slots=True)
class Student:
    """One roster row: the student id answers files use, and what the gradebooks may want."""

    student: str
    name: str = ""
    id: str = ""
    sis_user_id: str = ""
    sis_login_id: str = ""
    section: str = ""
    email: str = ""


def read_roster(path: str | Path) -> list[Student]:
    """Every student of a roster CSV, in file order; a flaw is an error naming the file and row."""
    return parse_roster(read_csv_text(path, "a roster"), source=str(path))


def read_csv_text(path: str | Path, what: str) -> str:
    """A CSV file's text, bounded in size; a spreadsheet's byte-order mark dropped, bad UTF-8 replaced."""
    return read_bounded(Path(path), what).decode("utf-8-sig", errors="replace")


def csv_records(text: str, *, source: str) -> list[list[str]]:
    """The records of a CSV's text; text that is not CSV is an error naming the source.

    >>> csv_records("student,name\\ns1,Ada\\n", source="roster")
    [['student', 'name'], ['s1', 'Ada']]
    """
    try:
        return list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as error:
        raise SymbackpropError(f"not valid CSV: {error}", source=source) from None


def rows_under_header(records: Sequence[list[str]], *, source: str) -> Iterator[tuple[int, list[str]]]:
    """Each row under the header with its row number, blank rows skipped; one of another width is an error.

    >>> list(rows_under_header([["student"], ["s1"], [], ["s2"]], source="roster"))
    [(2, ['s1']), (4, ['s2'])]
    """
    for number, record in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in record):
            continue  # a blank line between blocks of a spreadsheet export
        if len(record) != len(records[0]):
            raise SymbackpropError(
                f"row {number}: {len(record)} cells under a header of {len(records[0])}", source=source
            )
        yield number, record


def parse_roster(text: str, *, source: str = "roster") -> list[Student]:
    """The students of a roster CSV's text.

    >>> [s.name for s in parse_roster("student,name\\ns1,Ada\\ns2,Alan\\n")]
    ['Ada', 'Alan']
    """
    records = csv_records(text, source=source)
    if not records:
        raise SymbackpropError("empty: expected a header with a 'student' column", source=source)
    columns = _columns(records[0], source)
    students: list[Student] = []
    seen: dict[str, int] = {}
    for number, record in rows_under_header(records, source=source):
        fields = {name: record[index] for name, index in columns.items()}
        if not fields["student"].strip():
            raise SymbackpropError(f"row {number}: the student cell is empty", source=source)
        if fields["student"] in seen:
            raise SymbackpropError(
                f"row {number}: student {fields['student']!r} is already on row {seen[fields['student']]}",
                source=source,
            )
        seen[fields["student"]] = number
        students.append(Student(**fields))
    return students


def _columns(header: list[str], source: str) -> dict[str, int]:
    """Where each known column is in the header; ``student`` is required and no column may repeat."""
    columns: dict[str, int] = {}
    for index, cell in enumerate(header):
        name = cell.strip().lower()
        if name in columns:
            raise SymbackpropError(f"the column {name!r} appears twice in the header", source=source)
        if name == "student" or name in OPTIONAL_COLUMNS:
            columns[name] = index
    if "student" not in columns:
        raise SymbackpropError(
            f"no 'student' column in the header {','.join(header)!r}: name the column of student ids 'student'",
            source=source,
        )
    return columns


def named_few(names: Sequence[str], shown: int = 3) -> str:
    """The first few names, quoted, and how many more there are (for one line of a message).

    >>> named_few(["ana", "ben", "cho", "dev", "eve"])
    "'ana', 'ben', 'cho' and 2 more"
    """
    named = ", ".join(repr(echo(name, 40)) for name in names[:shown])
    return named + (f" and {len(names) - shown} more" if len(names) > shown else "")
