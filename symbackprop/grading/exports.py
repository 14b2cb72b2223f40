"""A graded class as the gradebooks import it: Canvas and Moodle CSV, Gradescope's ``results.json``.

The roster (:mod:`symbackprop.grading.roster`) ties a student id of the answers file to the
names and ids a gradebook matches rows on. A student who answered but is not on the roster is
an error (their grade would have nowhere to go); a roster student with no answers is given no
grade: Canvas gets their row with the grade cell empty, which leaves that cell of the gradebook
as it is, and Moodle gets no row for them. Points are written as exact decimals.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from symbackprop.errors import SymbackpropError
from symbackprop.grading import spreadsheet
from symbackprop.grading.classroom import ClassReport, GradedAnswer
from symbackprop.grading.reports import points_text, student_results
from symbackprop.grading.roster import Student, named_few
from symbackprop.grading.verdict import RIGHT, echo

CANVAS_HEADER = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
FEEDBACK_SEPARATOR = " | "


def unknown_students(students: Iterable[str], roster: Sequence[Student]) -> list[str]:
    """The students of an answers file that the roster does not list, in order.

    >>> unknown_students(["ana", "zed"], [Student("ana")])
    ['zed']
    """
    listed = {s.student for s in roster}
    return [s for s in dict.fromkeys(students) if s not in listed]


def refuse_unknown_students(students: Iterable[str], roster: Sequence[Student], source: str) -> None:
    """An error naming the students who answered but are not on the roster: their grades would be lost."""
    unknown = unknown_students(students, roster)
    if unknown:
        raise SymbackpropError(
            f"not on the roster: {named_few(unknown)} (add them, or grade without --roster)", source=source
        )


def refuse_unmatchable_in_canvas(roster: Sequence[Student], source: str = "roster") -> None:
    """An error naming a roster student with none of the ids Canvas matches a row on."""
    for student in roster:
        if not (student.id or student.sis_user_id or student.sis_login_id):
            raise SymbackpropError(
                f"student {echo(student.student, 40)!r} has no id, sis_user_id or sis_login_id: "
                "Canvas could not match their row",
                source=source,
            )


def refuse_unless_one_student(students: Iterable[str], source: str) -> None:
    """An error unless the answers are one student's, as a Gradescope submission is.

    >>> refuse_unless_one_student(["ana", "ana"], "answers.csv")
    """
    found = list(dict.fromkeys(students))
    if len(found) != 1:
        raise SymbackpropError(
            f"a Gradescope result is one student's: this file has {len(found)} students", source=source
        )


def refuse_unfit(
    students: Sequence[str],
    roster: Sequence[Student] | None,
    *,
    canvas: bool = False,
    gradescope: bool = False,
    source: str = "answers",
    roster_source: str = "roster",
) -> list[str]:
    """Refuse, before grading, what an export could not be written right from; the roster students with no answers.

    >>> refuse_unfit(["ana"], [Student("ana", id="1"), Student("gus", id="2")], canvas=True)
    ['gus']
    """
    if canvas and roster is None:
        raise SymbackpropError("Canvas matches rows on the roster's ids: give --roster FILE", key="--canvas")
    if gradescope:
        refuse_unless_one_student(students, source=source)
    if roster is None:
        return []
    refuse_unknown_students(students, roster, source=source)
    if canvas:
        refuse_unmatchable_in_canvas(roster, source=roster_source)
    answered = set(students)
    return [s.student for s in roster if s.student not in answered]


def _totals(report: ClassReport) -> tuple[dict[str, float], float]:
    """Each student's total, and the most points a student can have."""
    totals: dict[str, float] = {}
    possible = sum(q.points for q in report.questions.values())
    for student, result in student_results(report):
        totals[student] = result["total"]
    return totals, possible


def canvas_rows(report: ClassReport, roster: Sequence[Student], title: str) -> list[list[str]]:
    """Canvas's gradebook import: a header, ``Points Possible``, then one row per roster student.

    Canvas matches a row on its ID, SIS User ID or SIS Login ID, so every roster student needs
    one of them; the Student column shows the roster's name (the student id when it has none).
    """
    refuse_unmatchable_in_canvas(roster)
    totals, possible = _totals(report)
    rows = [[*CANVAS_HEADER, title], ["Points Possible", "", "", "", "", points_text(possible)]]
    for s in roster:
        total = totals.get(s.student)
        grade = "" if total is None else points_text(total)
        rows.append([s.name or s.student, s.id, s.sis_user_id, s.sis_login_id, s.section, grade])
    return rows


def moodle_rows(report: ClassReport, roster: Sequence[Student], title: str) -> list[list[str]]:
    """Moodle's grade import: an identifier (the email when every student who answered has one on
    the roster, else the student id), the total, and each question's feedback joined into one
    cell; one row per student who answered.
    """
    email = {s.student: s.email for s in roster if s.email}
    by_email = bool(email) and all(student in email for student in report.students())
    totals, _ = _totals(report)
    feedback = _feedback(report)
    rows = [["email" if by_email else "student", title, "feedback"]]
    for student in report.students():
        identifier = email[student] if by_email else echo(student)
        rows.append([identifier, points_text(totals[student]), FEEDBACK_SEPARATOR.join(feedback[student])])
    return rows


def _counted(report: ClassReport) -> dict[str, dict[str, GradedAnswer]]:
    """Per student, the answer that counts for each question the exercise asks (a ``missing`` one if none)."""
    found: dict[str, dict[str, GradedAnswer]] = {student: {} for student in report.students()}
    for entry in report.entries:
        if entry.counted and entry.asked in report.questions:
            found[entry.student][entry.asked] = entry
    return found


def _feedback(report: ClassReport) -> dict[str, list[str]]:
    """Per student, one line per question: its id, points and feedback, in the exercise's order."""
    counted = _counted(report)
    return {
        student: [
            f"{qid} ({points_text(entries[qid].verdict.points)}/{points_text(entries[qid].verdict.max_points)}): "
            f"{entries[qid].verdict.feedback}"
            for qid in report.questions
            if qid in entries
        ]
        for student, entries in counted.items()
    }


def gradescope_results(report: ClassReport) -> dict:
    """Gradescope's autograder ``results.json`` for the one student of ``report``: a test per question.

    A question is ``passed`` when its answer is right (correct, within rounding, or carried
    forward), else ``failed``, whatever partial credit it earned.
    """
    refuse_unless_one_student(report.students(), source=report.exercise)
    [student] = report.students()
    entries = _counted(report)[student]
    tests = []
    for qid, question in report.questions.items():
        verdict = entries[qid].verdict
        tests.append(
            {
                "name": f"{qid}: {question.quantity.key}" if qid != question.quantity.key else qid,
                "score": float(points_text(verdict.points)),
                "max_score": question.points,
                "output": verdict.feedback,
                "status": "passed" if verdict.verdict in RIGHT else "failed",
            }
        )
    totals, _ = _totals(report)
    return {"score": float(points_text(totals[student])), "tests": tests}


def canvas_text(report: ClassReport, roster: Sequence[Student], title: str) -> str:
    """``grade --canvas``: the Canvas gradebook CSV, safe to open in a spreadsheet."""
    return spreadsheet.csv_text(canvas_rows(report, roster, title))


def moodle_text(report: ClassReport, roster: Sequence[Student], title: str) -> str:
    """``grade --moodle``: the Moodle grade import CSV, safe to open in a spreadsheet."""
    return spreadsheet.csv_text(moodle_rows(report, roster, title))


def gradescope_text(report: ClassReport) -> str:
    """``grade --gradescope``: ``results.json`` as text."""
    return json.dumps(gradescope_results(report), indent=2, ensure_ascii=False) + "\n"
