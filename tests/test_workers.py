"""The worker pool: every task gets a result, a stuck or dying one included, and the rest go on."""

from __future__ import annotations

import os
import signal
import threading

from symbackprop.grading.workers import LEAST_MEMORY, MEMORY, run, worker_memory


def double(task):
    return task[1] * 2


def stopped(task, why):
    return f"stopped: {why}"


def test_every_task_gets_its_result_in_the_workers_and_here():
    tasks = [(index, index) for index in range(10)]
    for jobs in (0, 1, 3):
        results = run(double, tasks, stopped=stopped, jobs=jobs, timeout=60)
        assert {index: result for index, (result, _) in results.items()} == {i: 2 * i for i in range(10)}


def test_a_task_that_never_ends_is_killed_and_the_next_one_runs_in_a_new_worker():
    def work(task):
        if task[1] == "stuck":
            threading.Event().wait()  # never set
        return task[1]

    results = run(work, [(0, "stuck"), (1, "fine")], stopped=stopped, jobs=1, timeout=0.5)
    assert results[0][0] == "stopped: took longer than 0.5 s" and results[1][0] == "fine"


def test_a_worker_that_dies_is_replaced():
    def work(task):
        if task[1] == "die":
            os.kill(os.getpid(), signal.SIGKILL)  # as a crash in C code would
        return task[1]

    results = run(work, [(0, "die"), (1, "fine")], stopped=stopped, jobs=1, timeout=60)
    assert results[0][0] == "stopped: its worker process died" and results[1][0] == "fine"


def test_an_allocation_past_the_cap_fails_in_the_worker_alone():
    def work(task):
        try:
            bytearray(task[1])
        except MemoryError:
            return "too much"
        return "fine"

    # 1 GiB against a cap of 256 MiB beyond the worker's size; then 1 MiB, in the same worker
    results = run(work, [(0, 1 << 30), (1, 1 << 20)], stopped=stopped, jobs=1, timeout=60, memory=256 << 20)
    assert results[0][0] == "too much" and results[1][0] == "fine"


def test_workers_together_take_at_most_half_the_free_memory():
    with open("/proc/meminfo") as meminfo:
        free = next(int(line.split()[1]) * 1024 for line in meminfo if line.startswith("MemAvailable:"))
    for jobs in (1, 2, 64):
        cap = worker_memory(jobs)
        assert LEAST_MEMORY <= cap <= MEMORY
        # 5% of slack: the free memory moves a little between the two readings
        assert cap == LEAST_MEMORY or cap * jobs <= free // 2 * 1.05


def test_the_carried_forward_search_runs_in_the_workers_under_the_timeout(monkeypatch):
    """Issue 17: the search once ran in the parent, where --timeout could not stop it (48 rows took 13 s).

    Here it never ends for one student; that student's wrong numbers keep their verdicts and say
    why no credit was looked for, and the other student's credit is still found.
    """
    from conftest import EXAMPLES

    from symbackprop.grading.answers import Row
    from symbackprop.grading.classroom import grade_class
    from symbackprop.grading.grader import Grader
    from symbackprop.grading.questions import load_for_grading

    grader = Grader(*load_for_grading(EXAMPLES / "two-branch-grading.toml"))
    original = Grader.carried_forward

    def stuck_for_stuck(self, question, verdict, others):
        if verdict.value == -0.17711:  # only the student "stuck" wrote it
            threading.Event().wait()
        return original(self, question, verdict, others)

    monkeypatch.setattr(Grader, "carried_forward", stuck_for_stuck)
    # q4 dE/dy = -0.3 is wrong (-0.2769); q5 dE/dw4 = dE/dy·h2 = -0.3·0.590378 = -0.177113 carries it forward
    rows = [Row(2, "ok", "q4", "-0.3000"), Row(3, "ok", "q5", "-0.1771")]
    rows += [Row(4, "stuck", "q4", "-0.3000"), Row(5, "stuck", "q5", "-0.17711")]
    report = grade_class(grader, rows, jobs=2, timeout=1)
    verdicts = {(e.student, e.question): e.verdict for e in report.entries if e.row is not None}
    assert verdicts["ok", "q5"].verdict == "carried_forward"
    assert verdicts["stuck", "q5"].verdict == "wrong"
    assert verdicts["stuck", "q5"].feedback.endswith("(no carried-forward check: took longer than 1 s)")
