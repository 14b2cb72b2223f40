"""Grading speed: a class of 2000 mixed answers, against the plain ``simplify(student - reference) == 0``;
and a class of 20 000 graded by the whole ``symbackprop grade`` process, against its grading phase alone.

Run by hand: ``python benchmarks/bench_grade.py [--answers 2000] [--plain 60] [--jobs 2] [--large 20000]``.
Every figure comes from this one run. The plain approach is timed on a random subset of the
symbolic answers (it is slow) and its rate extrapolated; the subset size is printed. The whole
process is timed beside ``python -c "import sympy"``, its baseline in the same run.
"""

from __future__ import annotations

import argparse
import csv
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import sympy

from symbackprop.grading.answers import Row
from symbackprop.grading.classroom import grade_class, run_tasks
from symbackprop.grading.grader import Grader
from symbackprop.grading.questions import load_for_grading
from symbackprop.parse.latex import parse_any

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "two-branch-grading.toml"

# Factors of each reference, each in node names or in their definitions (students mix both).
FACTORS = {
    "q1": None,  # two paths: built below
    "q2": [["-(y_t - y)"], ["w5"], ["h3", "sigmoid(s3)"], ["(1 - h3)", "(1 - sigmoid(s3))"], ["h1", "sigmoid(s1)"]],
    "q3": [["-(y_t - y)", "(y - y_t)*1"], ["h2", "sigmoid(s2)", "sigmoid(h1*w2)"]],
}
PATH_1 = ["-(y_t - y)", "w4", "h2", "(1 - h2)", "w2", "h1", "(1 - h1)", "x_t"]
PATH_2 = ["-(y_t - y)", "w5", "h3", "(1 - h3)", "w3", "h1", "(1 - h1)", "x_t"]
MISTAKES = {  # how a factor list goes wrong: drop σ′, write σ for σ′, flip the sign, double it, add h2
    "missing_factor": lambda f: [x for x in f if not x.startswith("(1 -")],
    "activation": lambda f: [x for x in f if not x.startswith("(1 -")],
    "sign": lambda f: ["-1", *f],
    "factor_2": lambda f: ["2", *f],
    "extra": lambda f: [*f, "h2"],
}


def symbolic_answer(rng: random.Random, question: str) -> str:
    """A correct or typically wrong formula, its factors shuffled so that answers rarely repeat."""
    if question == "q1":
        paths = [rng.sample(PATH_1, len(PATH_1)), rng.sample(PATH_2, len(PATH_2))]
        if rng.random() < 0.3:
            paths = paths[:1]  # a path missing
        return " + ".join("*".join(path) for path in paths)
    factors = [rng.choice(choice) for choice in FACTORS[question]]
    if rng.random() < 0.5:
        factors = rng.choice(list(MISTAKES.values()))(factors)
    rng.shuffle(factors)
    return "*".join(factors)


def numeric_answer(rng: random.Random) -> tuple[str, str]:
    """A value of dE/dy, dE/dw4, w4@1 or dE/dw3, right or off, written with 3 to 6 digits."""
    question, value = rng.choice([("q4", -0.276914), ("q5", -0.163484), ("q6", 1.516348), ("q7", 0.0222038)])
    if rng.random() < 0.4:
        value *= rng.choice([-1, 2, 0.5, 1.1, 0.93])
    return question, f"{value:.{rng.randint(3, 6)}g}"


def make_class(count: int, seed: int = 5) -> list[Row]:
    """``count`` answers from ``count // 10`` students: 60% formulas, 35% numbers, 5% junk."""
    rng = random.Random(seed)
    rows = []
    for index in range(count):
        student = f"s{index // 10:04d}"
        roll = rng.random()
        if roll < 0.6:
            question = rng.choice(["q1", "q2", "q3"])
            answer = symbolic_answer(rng, question)
        elif roll < 0.95:
            question, answer = numeric_answer(rng)
        else:
            question, answer = "q2", rng.choice(["__import__('os')", "9**9**9**9", "\\partial E", "h1 +* h2"])
        rows.append(Row(index + 2, student, question, answer))
    return rows


def plain_approach(grader: Grader, rows: list[Row]) -> list[bool]:
    """``simplify(student - reference) == 0`` with both in inputs and params (names substituted)."""
    closed = grader.derivation.closed_nodes
    found = []
    for row in rows:
        quantity = grader.questions[row.question].quantity
        reference = grader.derivation.gradient(quantity.name).closed
        student = parse_any(row.answer, grader.exercise.symbols).xreplace(closed)
        found.append(sympy.simplify(student - reference) == 0)
    return found


def main() -> None:
    """Time both approaches and print the rates and their ratio."""
    options = argparse.ArgumentParser(description=__doc__)
    options.add_argument("--answers", type=int, default=2000)
    options.add_argument("--plain", type=int, default=60, help="symbolic answers timed for the plain approach")
    options.add_argument("--jobs", type=int, default=2)
    options.add_argument("--large", type=int, default=20_000, help="answers graded by the whole process (0: skip)")
    args = options.parse_args()

    exercise, questions = load_for_grading(EXAMPLE)
    rows = make_class(args.answers)
    distinct = len({(row.question, row.answer) for row in rows})

    started = time.perf_counter()
    grader = Grader(exercise, questions)
    grader.symbolic_points  # noqa: B018 — part of the measured time: the points are prepared once
    report = grade_class(grader, rows, jobs=args.jobs, timeout=10)
    ours = time.perf_counter() - started
    verdicts: dict[str, int] = {}
    for entry in report.entries:
        if entry.row is not None:
            verdicts[entry.verdict.verdict] = verdicts.get(entry.verdict.verdict, 0) + 1

    # The same answers again with no cache of identical answers: every row sent to a worker.
    started = time.perf_counter()
    run_tasks(grader, [(i, row.question, row.answer) for i, row in enumerate(rows)], jobs=args.jobs, timeout=10)
    uncached = time.perf_counter() - started

    symbolic = [row for row in rows if row.question in ("q1", "q2", "q3") and "__" not in row.answer]
    symbolic = [row for row in symbolic if _parses(grader, row)]
    subset = random.Random(7).sample(symbolic, min(args.plain, len(symbolic)))
    started = time.perf_counter()
    plain = plain_approach(grader, subset)
    plain_time = time.perf_counter() - started
    plain_rate = len(subset) / plain_time

    ours_by_row = {(e.row, e.question): e.verdict.verdict for e in report.entries}
    agree = sum(
        (ours_by_row[row.row, row.question] == "correct") == same for row, same in zip(subset, plain, strict=True)
    )
    print(f"class: {len(rows)} answers ({distinct} distinct), {args.jobs} worker processes")
    print(f"symbackprop grade: {ours:.2f} s for all {len(rows)} = {len(rows) / ours:.0f} answers/s  {verdicts}")
    print(f"  the same with every row graded (no cache of identical answers): {len(rows) / uncached:.0f} answers/s")
    print(f"plain simplify(student - reference) == 0: {plain_time:.2f} s for a subset of {len(subset)} "
          f"symbolic answers, one process = {plain_rate:.1f} answers/s")  # fmt: skip
    print(f"ratio (ours / plain, answers per second): {len(rows) / ours / plain_rate:.0f}x with the cache, "
          f"{len(rows) / uncached / plain_rate:.0f}x without")  # fmt: skip
    print(f"on that subset the two agree on correct/not correct for {agree} of {len(subset)}")
    if args.large:
        whole_process(args.large, args.jobs)


def whole_process(count: int, jobs: int) -> None:
    """``symbackprop grade`` on a class file of ``count`` answers, start to end, against its grading phase alone."""
    exercise, questions = load_for_grading(EXAMPLE)
    rows = make_class(count, seed=11)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "class.csv"
        with path.open("w", newline="") as file:
            writer = csv.writer(file)
            writer.writerow(["student", "question", "answer"])
            writer.writerows([row.student, row.question, row.answer] for row in rows)
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import sympy"], check=True)
        baseline = time.perf_counter() - started
        command = [sys.executable, "-m", "symbackprop", "grade", str(EXAMPLE), str(path), "--jobs", str(jobs)]
        started = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        whole = time.perf_counter() - started
    started = time.perf_counter()
    grader = Grader(exercise, questions)
    grader.symbolic_points  # noqa: B018 — as the command does it
    grade_class(grader, rows, jobs=jobs, timeout=10)
    phase = time.perf_counter() - started
    students = len({row.student for row in rows})
    print(f"whole process, {count} answers of {students} students, {jobs} workers: {whole:.2f} s = "
          f"{count / whole:.0f} answers/s (python -c 'import sympy': {baseline:.2f} s)")  # fmt: skip
    print(f"  its grading phase alone: {phase:.2f} s = {count / phase:.0f} answers/s; "
          f"whole / grading = {whole / phase:.2f}")  # fmt: skip


def _parses(grader: Grader, row: Row) -> bool:
    try:
        parse_any(row.answer, grader.exercise.symbols)
    except Exception:
        return False
    return True


if __name__ == "__main__":
    main()
