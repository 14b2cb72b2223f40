"""``[variants]``: the values an exercise's inputs, params or targets are sampled from, one point per student.

Each entry is ``{ choice = [...] }`` or ``{ range = [lo, hi], step = s, exclude = [...] }``; a
name not listed keeps its ``[at]`` value. Every value is exact (the decimal written, or a
plain-syntax constant), so a variant's numbers print as written, never with a float's noise.

A draw picks one value per name with a :data:`Chooser`: a stable hash of (salt, exercise id,
student id, draw number) for ``symbackprop variants`` (:func:`hash_chooser`), or a seeded RNG
for PrairieLearn (:func:`rng_chooser`). The same draw code serves both.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

import sympy

from symbackprop.errors import SymbackpropError, refuse_unknown_keys
from symbackprop.exercise.model import Exercise, exact_number

MAX_RANGE_VALUES = 1_000_000  # a range of more values than this is a slip (a step of 0.0001), not a plan
_ENTRY_KEYS = ("choice", "exclude", "range", "step")

Chooser = Callable[[str, int], int]  # (name, how many values) → the index of the value drawn


class RandomSource(Protocol):
    """What a seeded RNG offers that a draw needs: ``random.Random`` and the ``random`` module both have it."""

    def randrange(self, stop: int, /) -> int:
        """A whole number from 0 to ``stop`` − 1."""
        ...


@dataclass(frozen=True)
class Domain:
    """The values one name is drawn from: a list, or a grid ``lo + k·step`` less some excluded steps."""

    values: tuple[sympy.Expr, ...] = ()
    start: sympy.Expr = sympy.S.Zero
    step: sympy.Expr = sympy.S.One
    steps: int = 0  # how many grid values there are, excluded ones included (0 for a list)
    excluded: tuple[int, ...] = ()  # the grid's excluded k, sorted

    @property
    def size(self) -> int:
        """How many values can be drawn."""
        return len(self.values) if self.values else self.steps - len(self.excluded)

    def value(self, index: int) -> sympy.Expr:
        """The ``index``-th value that can be drawn (0 ≤ index < size).

        >>> Domain(start=sympy.Rational(-1), step=sympy.Rational(1, 2), steps=5, excluded=(2,)).value(2)
        1/2
        """
        if self.values:
            return self.values[index]
        k = index
        # The k-th grid value not excluded: step over every excluded k at or before it.
        for skipped in self.excluded:
            if skipped <= k:
                k += 1
        return self.start + k * self.step


@dataclass(frozen=True)
class VariantSpace:
    """The domain of each sampled name, in the order ``[variants]`` lists them."""

    exercise_id: str
    domains: dict[str, Domain]

    @property
    def names(self) -> tuple[str, ...]:
        """The sampled names."""
        return tuple(self.domains)

    @property
    def size(self) -> int:
        """How many different points can be drawn."""
        return math.prod(domain.size for domain in self.domains.values())

    def draw(self, choose: Chooser) -> dict[str, sympy.Expr]:
        """One value per sampled name, each picked by ``choose``."""
        return {name: domain.value(choose(name, domain.size)) for name, domain in self.domains.items()}


def read_variants(exercise: Exercise, table: object, *, source: str | None = None) -> VariantSpace:
    """``[variants]`` as a :class:`VariantSpace` (an empty one when the exercise has none).

    >>> from symbackprop.exercise.model import from_equations
    >>> ex = from_equations({"f": "w*x"}, params=["w"], at={"w": 1, "x": 2})
    >>> space = read_variants(ex, {"w": {"range": [-1, 1], "step": 0.5, "exclude": [0]}})
    >>> space.size, [space.domains["w"].value(i) for i in range(4)]
    (4, [-1, -1/2, 1/2, 1])
    """
    if table is None:
        return VariantSpace(exercise.id, {})
    if not isinstance(table, dict):
        raise SymbackpropError("expected a table of name = { choice = [...] } or { range = [...], step = ... }",
                               source=source, key="variants")  # fmt: skip
    leaves = [name for name in exercise.graph.leaves if name not in exercise.data]
    domains = {}
    for name, entry in table.items():
        key = f"variants.{name}"
        if name not in leaves:
            what = (
                "has its values in [data]"
                if name in exercise.data
                else "is defined by an equation"
                if name in exercise.graph.parents
                else "is not used by any equation"
            )
            raise SymbackpropError(
                f"{name!r} {what}; [variants] samples inputs and params ({', '.join(leaves)})", source=source, key=key
            )
        domains[name] = _domain(entry, source=source, key=key)
    return VariantSpace(exercise.id, domains)


def _domain(entry: object, *, source: str | None, key: str) -> Domain:
    """One entry of ``[variants]``, checked key by key."""
    if not isinstance(entry, dict):
        raise SymbackpropError("expected { choice = [...] } or { range = [lo, hi], step = s }", source=source, key=key)
    refuse_unknown_keys(entry, _ENTRY_KEYS, source=source, prefix=key)
    if ("choice" in entry) == ("range" in entry):
        raise SymbackpropError("give choice = [...] or range = [lo, hi], one of them", source=source, key=key)
    if "choice" in entry:
        for name in ("step", "exclude"):
            if name in entry:
                raise SymbackpropError(
                    "belongs to a range: a choice lists only the values it draws from",
                    source=source,
                    key=f"{key}.{name}",
                )
        return _choice(entry["choice"], source=source, key=f"{key}.choice")
    return _range(entry, source=source, key=key)


def _numbers(value: object, *, source: str | None, key: str) -> list[sympy.Expr]:
    if not isinstance(value, list):
        raise SymbackpropError(f"expected a list of numbers, not {value!r}", source=source, key=key)
    return [exact_number(item, source=source, key=key) for item in value]


def _choice(value: object, *, source: str | None, key: str) -> Domain:
    values = _numbers(value, source=source, key=key)
    if not values:
        raise SymbackpropError("expected at least one value", source=source, key=key)
    for index, item in enumerate(values):
        if item in values[:index]:
            raise SymbackpropError(f"{exact_text(item)} is listed twice", source=source, key=key)
    return Domain(values=tuple(values))


def _range(entry: dict, *, source: str | None, key: str) -> Domain:
    bounds = _numbers(entry["range"], source=source, key=f"{key}.range")
    if len(bounds) != 2 or bounds[0] > bounds[1]:
        raise SymbackpropError("expected [lo, hi] with lo ≤ hi", source=source, key=f"{key}.range")
    if "step" not in entry:
        raise SymbackpropError("a range needs a step (the spacing of its values)", source=source, key=f"{key}.step")
    step = exact_number(entry["step"], source=source, key=f"{key}.step")
    if not step > 0:
        raise SymbackpropError(f"expected a step > 0, not {exact_text(step)}", source=source, key=f"{key}.step")
    lo, hi = bounds
    count = (hi - lo) / step
    if count > MAX_RANGE_VALUES:
        raise SymbackpropError(f"more than {MAX_RANGE_VALUES} values: take a larger step", source=source, key=key)
    steps = int(sympy.floor(count)) + 1
    excluded = set()
    for item in _numbers(entry.get("exclude", []), source=source, key=f"{key}.exclude"):
        k = (item - lo) / step
        if not (k.is_integer and 0 <= k < steps):
            raise SymbackpropError(
                f"{exact_text(item)} is not a value of the range (lo + k·step up to hi)",
                source=source,
                key=f"{key}.exclude",
            )
        excluded.add(int(k))
    if len(excluded) == steps:
        raise SymbackpropError("every value of the range is excluded", source=source, key=f"{key}.exclude")
    return Domain(start=lo, step=step, steps=steps, excluded=tuple(sorted(excluded)))


def exact_text(value: sympy.Expr) -> str:
    """An exact value as a variants file writes it: a decimal when it has one, else a plain-syntax constant.

    >>> exact_text(sympy.Rational(-3, 4)), exact_text(sympy.Integer(2)), exact_text(sympy.Rational(1, 3))
    ('-0.75', '2', '1/3')
    >>> exact_text(sympy.pi / 2), exact_text(sympy.Rational(1, 10**7)), exact_text(sympy.Rational(10**30 + 1, 8))
    ('pi/2', '0.0000001', '125000000000000000000000000000.125')
    """
    places = _decimal_places(value)
    if places is None:
        from symbackprop.parse.printer import plain

        return plain(value)
    numerator = int(value.p) * (10**places // int(value.q))  # exact: q divides 10**places
    text = format(Decimal(f"{numerator}E-{places}"), "f")  # the constructor is exact; scaleb would round
    return text.rstrip("0").rstrip(".") if "." in text else text


def _decimal_places(value: sympy.Expr) -> int | None:
    """How many decimal places a rational number needs, or None when it has no finite decimal (1/3, π)."""
    if not isinstance(value, sympy.Rational):
        return None
    denominator, twos, fives = int(value.q), 0, 0
    while denominator % 2 == 0:
        denominator, twos = denominator // 2, twos + 1
    while denominator % 5 == 0:
        denominator, fives = denominator // 5, fives + 1
    return max(twos, fives) if denominator == 1 else None


def variant_id(exercise_id: str, values: Mapping[str, sympy.Expr]) -> str:
    """A short id of an exercise and a variant's values: equal values of one exercise, equal ids.

    The first 8 hex digits of the SHA-256 of the JSON list ``[exercise id, [[name, exact value], …]]``:
    the exercise is in it, so a variants file drawn for another exercise is refused, not graded.

    >>> one = variant_id("ex", {"w": sympy.Integer(1)})
    >>> one == variant_id("ex", {"w": sympy.Rational(1)}), one != variant_id("other", {"w": sympy.Integer(1)})
    (True, True)
    """
    text = json.dumps([exercise_id, [[name, exact_text(value)] for name, value in values.items()]])
    return hashlib.sha256(text.encode()).hexdigest()[:8]


def hash_chooser(salt: str, exercise_id: str, student: str, draw: int) -> Chooser:
    """Indices from SHA-256 of (salt, exercise id, student id, draw number, name): the same inputs, the same draw.

    >>> choose = hash_chooser("fall", "ex", "ana", 0)
    >>> choose("w1", 10) == hash_chooser("fall", "ex", "ana", 0)("w1", 10), 0 <= choose("w1", 10) < 10
    (True, True)
    """

    def choose(name: str, size: int) -> int:
        # JSON of the list: no two different tuples are written alike, whatever characters an id holds.
        key = json.dumps([salt, exercise_id, student, draw, name], ensure_ascii=False)
        digest = hashlib.sha256(key.encode()).digest()
        return int.from_bytes(digest, "big") % size  # 256 bits: the modulo's bias is far below any count

    return choose


def rng_chooser(rng: RandomSource) -> Chooser:
    """Indices from a seeded RNG (PrairieLearn seeds ``random`` per variant before ``generate``).

    >>> import random
    >>> rng_chooser(random.Random(1))("w", 3) == rng_chooser(random.Random(1))("w", 3)
    True
    """
    return lambda name, size: rng.randrange(size)
