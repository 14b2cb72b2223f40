"""The audit's recomputation: the exact run of gradient descent, and the lecture's run with its own numbers.

A lecture that rounds a number and carries the rounded one on gets later numbers that are
right only with it. :func:`carried_numbers` finds the fewest of the lecture's stated numbers
that, carried on in place of the exact ones, make a stated value agree.
"""

from __future__ import annotations

import math
from dataclasses import replace
from functools import cached_property

from symbackprop.auditing.keys import StatedKey, read_keys, stated_forms
from symbackprop.engine.evaluation import Edge, Overrides, Pass, evaluate_pass
from symbackprop.engine.symbolic import SymbolicDerivation
from symbackprop.engine.train import passes
from symbackprop.exercise.model import Exercise
from symbackprop.judge.equivalence import comparison_points, within_absolute
from symbackprop.judge.precision import read_number

MAX_PATHS = 16  # paths listed per gradient: enough for a lecture's example, bounded for a dense net
Run = list[tuple[dict[str, float], Pass]]  # the point and the pass at every step


class Recomputation:
    """An exercise's stated keys and forms, with the runs and derivations that recompute them.

    >>> from symbackprop.exercise.model import load
    >>> rec = Recomputation(load("gd-quadratic"))  # L = w² − 2w + 2 from w = 3 with η = 0.1
    >>> rec.value(rec.keys["dL/dw"], rec.exact), rec.value(rec.keys["w@1"], rec.exact)
    (4.0, 2.6)
    """

    def __init__(self, exercise: Exercise):
        self.ex = exercise
        self.keys = read_keys(exercise)
        self.forms = stated_forms(exercise)
        self.derivation = SymbolicDerivation(exercise, max_paths=MAX_PATHS)
        self.steps = max([exercise.train.get("steps", 0)] + [k.step for k in self.keys.values()])
        self.lr: float | None = exercise.train.get("lr")
        self._subs: dict[str, SymbolicDerivation] = {}

    def run(self, overrides: dict[int, Overrides] | None = None) -> Run:
        """Points and passes per step; without ``[train]`` lr only step 0 exists."""
        steps = self.steps if self.lr else 0
        return passes(self.ex, float(self.lr or 1.0), steps, overrides, local=self.derivation.local)

    @cached_property
    def exact(self) -> Run:
        """The run with nothing overridden."""
        return self.run()

    @cached_property
    def points(self) -> list[Pass]:
        """The points formulas are compared at (see :mod:`symbackprop.judge.equivalence`)."""
        return comparison_points(self.ex, self.derivation.local)

    def sub(self, node: str) -> SymbolicDerivation:
        """The derivation with ``node`` as the loss (for ∂A/∂B keys of another node)."""
        if node not in self._subs:
            self._subs[node] = SymbolicDerivation(replace(self.ex, loss=node), max_paths=MAX_PATHS)
        return self._subs[node]

    def value(self, key: StatedKey, run: Run, overrides: Overrides | None = None) -> float:
        """The value a key names in a run."""
        q = key.quantity
        point, result = run[q.step]
        if not q.gradient:
            return point[q.name] if q.name in point else result.values[q.name]
        if key.of == self.ex.loss:
            value = result.adjoints[q.name]
        elif (key.of, q.name) in result.edges:
            value = result.edges[key.of, q.name]
        else:
            sub = self.sub(key.of)
            value = evaluate_pass(sub.exercise, sub.local, point, overrides).adjoints[q.name]
        return -value if q.negated else value

    def stated_number(self, name: str) -> float | None:
        """The number a key's last form states, when it is a plain number."""
        number = read_number(self.forms[name][-1])
        return None if number is None else number.value

    def overrides(self, include: list[str]) -> dict[int, Overrides]:
        """The lecture's own final numbers for the keys ``include``, in place of the exact ones."""
        found: dict[int, tuple[dict[str, float], dict[Edge, float], dict[str, float]]] = {}
        for name in include:
            key, number = self.keys[name], self.stated_number(name)
            if number is None:
                continue
            values, locals_, adjoints = found.setdefault(key.step, ({}, {}, {}))
            q = key.quantity
            if not q.gradient:
                values[q.name] = number
            elif key.of == self.ex.loss:
                adjoints[q.name] = -number if q.negated else number
            elif q.name in self.ex.graph.parents.get(key.of, ()):
                locals_[key.of, q.name] = number
        return {step: Overrides(*parts) for step, parts in found.items()}

    @cached_property
    def given_numbers(self) -> list[float]:
        """Numbers the exercise gives exactly: the point, the data, the learning rate, and a
        param's value after a step when it is a short decimal (0.55 = 0.5 − 0.1·(−0.5)): a
        lecture carrying it on has rounded nothing.
        """
        found = [float(v) for v in (self.ex.point or {}).values()]
        found += [float(v) for values in self.ex.data.values() for v in values]
        for point, _ in self.exact[1:] if self.lr else ():
            found += [point[p] for p in self.ex.params if p in point and _short(point[p])]
        return found + ([float(self.lr)] if self.lr else [])

    def exact_number(self, text: str) -> bool:
        """A whole number, or a number the exercise gives exactly (no rounding error to allow)."""
        number = read_number(text)
        return number is not None and (
            number.rounding_error == 0.0
            or any(math.isclose(number.value, g, rel_tol=1e-12) for g in self.given_numbers)
        )


def _short(value: float) -> bool:
    """Whether a float is a decimal of at most 8 figures, up to float rounding (0.525, not 0.5250371…).

    >>> _short(0.5 - 0.1 * -0.25), _short(1.0196612)
    (True, False)
    """
    return math.isclose(value, round(value, 6), rel_tol=1e-12, abs_tol=1e-15)


def carried_numbers(rec: Recomputation, name: str, stated: float, tolerance: float) -> list[str]:
    """A smallest set of the lecture's numbers that make ``stated`` agree when carried on; [] if none."""
    key = rec.keys[name]

    def agrees(include: list[str]) -> bool:
        overrides = rec.overrides(include)
        return within_absolute(stated, rec.value(key, rec.run(overrides), overrides.get(key.step)), tolerance)

    numbers = [o for o in rec.keys if o != name and rec.stated_number(o) is not None]
    # Everything the lecture states; failing that, only its params (a wrong node value of
    # the same step may hide that the rest was carried on), or only earlier steps.
    starts = (
        numbers,
        [o for o in numbers if not rec.keys[o].quantity.gradient and rec.keys[o].quantity.name in rec.ex.params],
        [o for o in numbers if rec.keys[o].step < key.step],
    )
    start = next((s for s in starts if s and agrees(s)), None)
    if start is None:
        return []
    keep = list(start)
    # Drop what is not needed, farthest from the key first: a lecture computes a number from
    # the ones it has just written, so those should be the ones that remain.
    order = list(rec.keys)
    here = order.index(name)

    def distance(other: str) -> int:
        there = order.index(other)
        return here - there if there < here else len(order) + there

    for other in sorted(start, key=distance, reverse=True):
        fewer = [o for o in keep if o != other]
        if agrees(fewer):
            keep = fewer
    return keep
