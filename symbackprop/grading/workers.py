"""Tasks run in forked worker processes, each under a timeout and a memory cap.

Grading runs SymPy on students' answers, and an answer can keep SymPy busy for hours or
make it take gigabytes. The parent process keeps the deadline, so a worker stuck in C code
cannot stop it: a task over its time is killed with its worker, which is replaced, and the
class goes on. A worker's memory is capped from inside (RLIMIT_AS, on Linux), so a runaway
allocation fails there with MemoryError instead of pushing the machine into swap.

>>> run(lambda task: task[1] * 2, [(0, 21), (1, 4)], stopped=lambda task, why: why, jobs=0, timeout=1)[0][0]
42
"""

from __future__ import annotations

import contextlib
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

# A task is a tuple whose first item is its index, unique among the tasks of one run.
Task = tuple[Any, ...]
Result = TypeVar("Result")

# The memory a worker may take on top of what it had when forked: far more than any honest
# answer needs (a few MB). All workers together take at most half of the memory the machine
# has free (see worker_memory), so that runaway simplifications cannot push it into swap or
# the kernel's OOM killer before their timeouts end them.
MEMORY = 2 << 30
LEAST_MEMORY = 256 << 20  # below this even SymPy's own work on an honest answer may fail
TIMEOUT = 10.0  # seconds a task may take unless the caller says otherwise


def worker_memory(jobs: int) -> int:
    """Each of ``jobs`` workers' memory cap: MEMORY, or less so that together they take at most half the free memory."""
    try:
        with open("/proc/meminfo") as meminfo:
            free = next(int(line.split()[1]) * 1024 for line in meminfo if line.startswith("MemAvailable:"))
    except (OSError, StopIteration, ValueError):
        return MEMORY
    return max(LEAST_MEMORY, min(MEMORY, free // 2 // max(1, jobs)))


def limit_memory(extra: int) -> None:
    """Cap this process's address space at its present size plus ``extra`` bytes.

    Past the cap an allocation fails with MemoryError, which the task's own code turns into
    its result. The size is read from /proc; where there is none (macOS, whose kernel does
    not enforce the cap anyway), the timeout is the only bound.
    """
    import resource

    try:
        with open("/proc/self/statm") as statm:
            size = int(statm.read().split()[0]) * resource.getpagesize()
    except OSError:
        return
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = size + extra if hard == resource.RLIM_INFINITY else min(size + extra, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _serve(conn, work: Callable[[Task], object], memory: int) -> None:
    """A worker: do the tasks the parent sends, one at a time, until told to stop."""
    limit_memory(memory)
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        conn.send((task[0], work(task)))


class _Worker:
    """A worker process with the task it is on and when that task started."""

    def __init__(self, context, work: Callable[[Task], object], memory: int):
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child, work, memory), daemon=True)
        self.process.start()
        child.close()
        self.task: Task | None = None
        self.started = 0.0

    def kill(self) -> None:
        """Stop the process now, whatever it is doing."""
        self.process.kill()
        self.process.join()
        self.conn.close()

    def stop(self) -> None:
        """Ask the process to finish; kill it if it does not within a second."""
        with contextlib.suppress(OSError):
            self.conn.send(None)
        self.process.join(timeout=1)
        if self.process.is_alive():
            self.kill()


def run(
    work: Callable[[Task], Result],
    tasks: Sequence[Task],
    *,
    stopped: Callable[[Task, str], Result],
    jobs: int,
    timeout: float = TIMEOUT,
    memory: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict[Any, tuple[Result, float]]:
    """``work(task)`` for every task in ``jobs`` worker processes: {index: (result, seconds)}.

    ``work`` must return a result for any task, never raise (a MemoryError past the cap is
    the task's own to turn into one). A task still running after ``timeout`` seconds, or whose
    worker dies, is killed with its worker and gets ``stopped(task, why)``; a new worker takes
    the dead one's place. Each worker may take ``memory`` bytes beyond its size when forked
    (by default :func:`worker_memory`). With ``jobs`` 0 the tasks run here, one after
    another, with neither bound.
    """
    results: dict[Any, tuple[Result, float]] = {}
    if jobs <= 0:
        for task in tasks:
            started = time.monotonic()
            results[task[0]] = (work(task), time.monotonic() - started)
            if progress:
                progress(len(results), len(tasks))
        return results
    # Imported here: the command line reads TIMEOUT at start-up, and --help needs no processes.
    import multiprocessing
    from multiprocessing.connection import wait

    # fork: the workers inherit what ``work`` has prepared (a grader) instead of rebuilding it.
    context = multiprocessing.get_context("fork")
    pending = deque(tasks)
    count = max(1, min(jobs, len(tasks)))
    memory = memory or worker_memory(count)
    workers = [_Worker(context, work, memory) for _ in range(count)]
    try:
        while len(results) < len(tasks):
            for worker in workers:
                if worker.task is None and pending:
                    worker.task = pending.popleft()
                    worker.started = time.monotonic()
                    worker.conn.send(worker.task)
            busy = [w for w in workers if w.task is not None]
            soonest = min(w.started for w in busy) + timeout
            ready = wait([w.conn for w in busy], timeout=max(0.0, soonest - time.monotonic()))
            for slot, worker in enumerate(workers):
                if worker.task is None:
                    continue
                elapsed = time.monotonic() - worker.started
                if worker.conn in ready:
                    try:
                        index, result = worker.conn.recv()
                    except (EOFError, OSError):  # the worker died (killed from outside, a crash in C)
                        results[worker.task[0]] = (stopped(worker.task, "its worker process died"), elapsed)
                        worker.kill()
                        workers[slot] = _Worker(context, work, memory)
                    else:
                        results[index] = (result, elapsed)
                        worker.task = None
                elif elapsed >= timeout:
                    worker.kill()
                    results[worker.task[0]] = (stopped(worker.task, f"took longer than {timeout:g} s"), elapsed)
                    workers[slot] = _Worker(context, work, memory)
                else:
                    continue
                if progress:
                    progress(len(results), len(tasks))
    finally:
        for worker in workers:
            worker.stop()
    return results
