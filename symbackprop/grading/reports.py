"""A graded class as reports: ``grade --json`` (SPEC §3), ``grade --csv``, and the per-question summary."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from decimal import ROUND_HALF_UP, Decimal

from symbackprop.grading import spreadsheet
from symbackprop.grading.classroom import ClassReport, GradedAnswer
from symbackprop.grading.verdict import RIGHT, echo

POINT_DECIMALS = Decimal("0.0001")  # a gradebook shows a few decimals; 1/3 of a point is 0.3333


def points_text(value: float) -> str:
    """Points as a report or a gradebook reads them: at most four decimals, rounded half up in decimal.

    >>> points_text(0.1 + 0.2), points_text(2.0), points_text(1 / 3), points_text(0.00005)
    ('0.3', '2', '0.3333', '0.0001')
    """
    rounded = Decimal(repr(value)).quantize(POINT_DECIMALS, rounding=ROUND_HALF_UP).normalize()
    return f"{rounded:f}"


def mistakes(entries: Iterable[GradedAnswer]) -> Counter[str]:
    """How often each diagnosis (or verdict, for answers without one) occurs among answers not right.

    An unanswered question is not counted as a mistake: the summary counts those apart.
    """
    found: Counter[str] = Counter()
    for entry in entries:
        if entry.verdict.verdict in (*RIGHT, "missing"):
            continue
        for kind in entry.verdict.diagnoses or (entry.verdict.verdict,):
            found[kind] += 1
    return found


def _entry_key(entry: GradedAnswer, taken: set[str]) -> str:
    key = entry.question if entry.counted else f"{entry.question} (row {entry.row})"
    key = echo(key)
    while key in taken:
        key = f"{key} (row {entry.row})"
    taken.add(key)
    return key


def report_dict(report: ClassReport) -> dict:
    """``grade --json`` (SPEC §3): per student, total, max and every answer; plus rows and summary."""
    return {
        "exercise": report.exercise,
        "questions": _questions(report),
        "students": dict(student_results(report)),
        "summary": summary(report),
    }


def _questions(report: ClassReport) -> dict[str, dict]:
    return {qid: {"ask": q.quantity.key, "form": q.form, "points": q.points} for qid, q in report.questions.items()}


def student_results(report: ClassReport) -> Iterator[tuple[str, dict]]:
    """Each student's id (as written: JSON escapes any character) with total, max and answers, one at a time."""
    possible = sum(q.points for q in report.questions.values())
    by_student: dict[str, list[GradedAnswer]] = {}
    for entry in report.entries:
        by_student.setdefault(entry.student, []).append(entry)
    for student in report.students():
        mine = by_student[student]
        taken: set[str] = set()
        answers = {}
        for entry in mine:
            answers[_entry_key(entry, taken)] = {
                "question": echo(entry.question),
                "row": entry.row,
                "answer": echo(entry.answer),
                "verdict": entry.verdict.verdict,
                "diagnoses": list(entry.verdict.diagnoses),
                "points": entry.verdict.points,
                "max": entry.verdict.max_points,
                "feedback": entry.verdict.feedback,
                "counted": entry.counted,
            }
        # Only the exercise's questions count: a key it does not ask is worth nothing (questions.UNASKED_POINTS).
        total = sum(e.verdict.points for e in mine if e.counted and e.asked in report.questions)
        variant = {"variant": report.variants[student]} if student in report.variants else {}
        yield student, {"total": total, "max": possible, **variant, "answers": answers}


def summary(report: ClassReport) -> dict[str, dict]:
    """Per question: how many answered it, how many got it right, the most common mistake."""
    found = {}
    by_question: dict[str, list[GradedAnswer]] = {qid: [] for qid in report.questions}
    for entry in report.entries:
        by_question.setdefault(entry.asked, [])
        if entry.counted:
            by_question[entry.asked].append(entry)
    for qid, entries in by_question.items():
        common = mistakes(entries).most_common(1)
        found[echo(qid)] = {
            "answers": sum(e.verdict.verdict != "missing" for e in entries),
            "missing": sum(e.verdict.verdict == "missing" for e in entries),
            "right": sum(e.verdict.verdict in RIGHT for e in entries),
            "most_common_mistake": common[0][0] if common else None,
            "most_common_count": common[0][1] if common else 0,
        }
    return found


CSV_HEADER = ("student", "question", "row", "answer", "verdict", "points", "max", "diagnoses", "feedback", "counted")


def report_rows(report: ClassReport) -> list[list[str]]:
    """``grade --csv``: one row per entry, in the report's order."""
    rows = [list(CSV_HEADER)]
    for e in report.entries:
        v = e.verdict
        rows.append(
            [
                echo(e.student),
                echo(e.question),
                "" if e.row is None else str(e.row),
                echo(e.answer),
                v.verdict,
                points_text(v.points),
                points_text(v.max_points),
                " ".join(v.diagnoses),
                v.feedback,
                "yes" if e.counted else "no",
            ]
        )
    return rows


def json_text(report: ClassReport) -> str:
    """The JSON report as text, as ``json.dumps(report_dict(report), indent=2)`` writes it.

    Built a student at a time: a class of a million answers never holds its report as one dict too.
    """

    def dumped(value: object, depth: int) -> str:
        return json.dumps(value, indent=2, ensure_ascii=False).replace("\n", "\n" + "  " * depth)

    parts = [
        "{\n",
        f'  "exercise": {dumped(report.exercise, 1)},\n',
        f'  "questions": {dumped(_questions(report), 1)},\n',
    ]
    students = [f"    {dumped(name, 2)}: {dumped(result, 2)}" for name, result in student_results(report)]
    parts.append('  "students": {\n' + ",\n".join(students) + "\n  },\n" if students else '  "students": {},\n')
    parts.append(f'  "summary": {dumped(summary(report), 1)}\n}}\n')
    return "".join(parts)


def csv_text(report: ClassReport) -> str:
    """The CSV report as text, safe to open in a spreadsheet (:mod:`symbackprop.grading.spreadsheet`)."""
    return spreadsheet.csv_text(report_rows(report))
