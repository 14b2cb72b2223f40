"""A PrairieLearn question graded by symbackprop: each student's own numbers, and feedback naming the mistake.

PrairieLearn seeds Python's ``random`` with the variant's seed before ``generate``, so the variant
is drawn from it with the sampler ``symbackprop variants`` uses (every draw diagnosable).
``grade`` grades each answer at the variant's point with ``grade_answer``, in a worker process
under a timeout and a memory cap: a typical mistake (σ for σ(1 − σ), a sign, a factor left out)
gets its name in the feedback and, where the exercise says so, partial credit. The course's
Docker image needs symbackprop installed.
"""

from __future__ import annotations

import random
from pathlib import Path

from symbackprop.exercise.variants import exact_text
from symbackprop.grading.api import grade_answer
from symbackprop.grading.grader import Grader
from symbackprop.grading.variants import draw_variant, load_with_variants
from symbackprop.judge.mistakes import quantity_value

EXERCISE = Path(__file__).with_name("exercise.toml")
TIMEOUT = 5.0  # seconds for this submission's answers


def _grader() -> tuple[Grader, object]:
    exercise, questions, space = load_with_variants(EXERCISE)
    return Grader(exercise, questions), space


def generate(data: dict) -> None:
    """This variant's values (exact decimals, as text) and the right value of each question."""
    grader, space = _grader()
    drawn = draw_variant(grader, space, random)
    data["params"]["variant"] = drawn.variant
    data["params"]["values"] = {name: exact_text(value) for name, value in drawn.values.items()}
    at_point = grader.moved(grader.exercise.point | drawn.values)
    for qid, question in at_point.questions.items():
        value = quantity_value(question.quantity, at_point.step_point(question.quantity.step))
        data["correct_answers"][qid] = f"{value:.{question.sigfigs}g}"


def grade(data: dict) -> None:
    """Each answer graded at this variant's point by ``grade_answer``: a score, and feedback naming a mistake."""
    _, questions, _ = load_with_variants(EXERCISE)
    values = data["params"]["values"]
    total = 0.0
    for qid, question in questions.items():
        # In a worker process under a timeout and a memory cap: one answer must not hang PrairieLearn.
        verdict = grade_answer(EXERCISE, qid, data["submitted_answers"].get(qid), at=values, timeout=TIMEOUT)
        score = verdict.points / question.points
        data["partial_scores"][qid] = {"score": score, "weight": question.points, "feedback": verdict.feedback}
        total += verdict.points
    data["score"] = total / sum(q.points for q in questions.values())
