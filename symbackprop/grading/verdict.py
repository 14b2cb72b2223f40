"""The grade of one answer, and how an answer is repeated in feedback and reports (bounded, printable)."""

from __future__ import annotations

from dataclasses import dataclass

VERDICTS = ("correct", "correct_rounding", "carried_forward", "wrong", "unparsable", "timeout", "missing")
RIGHT = ("correct", "correct_rounding", "carried_forward")
ECHO_LIMIT = 200  # characters of an answer repeated in reports
FEEDBACK_LIMIT = 400  # characters of feedback per answer


@dataclass(frozen=True, slots=True)  # one per answer: a large class holds millions
class Verdict:
    """The grade of one answer: verdict, points, diagnoses, one line of feedback."""

    verdict: str
    points: float
    max_points: float
    diagnoses: tuple[str, ...] = ()
    feedback: str = ""
    value: float | None = None  # a numeric answer's value, carried forward into later steps
    half_unit: float | None = None  # half a unit of its last written digit
    sigfigs: int | None = None  # its significant figures as written (None: an expression of numbers)


def echo(text: str | None, limit: int = ECHO_LIMIT) -> str:
    """An answer as a report repeats it: printable, and at most ``limit`` characters.

    >>> echo("a\\x00b"), len(echo("x" * 5000))
    ('a\\ufffdb', 201)
    """
    if text is None:
        return ""
    shown = "".join(char if char.isprintable() else "\ufffd" for char in text[:limit])
    return shown + ("…" if len(text) > limit else "")
