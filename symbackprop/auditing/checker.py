"""``audit``: every number and formula a lecture states, against what the graph gives.

A number *matches* when it agrees to the precision it is written with (half a unit in its
last digit; for an expression of numbers, that error carried through the expression). One
that agrees only when the lecture's own stated numbers are carried on in place of the exact
ones is ``rounded_early`` (when those numbers are themselves right to their precision) and
the entry names them. A formula is compared as a formula: by value at the exercise's point
and random points near it. Anything else is a ``mismatch``, with a diagnosis where one fits
(:mod:`symbackprop.auditing.diagnosis`).
"""

from __future__ import annotations

from symbackprop.auditing.diagnosis import diagnose_formula, diagnose_number
from symbackprop.auditing.formulas import computed_text, expected, formula_values, misnamed, read_formula, unreadable
from symbackprop.auditing.numbers import misplaced_number, numeric_form
from symbackprop.auditing.recompute import Recomputation, carried_numbers
from symbackprop.auditing.report import AuditEntry
from symbackprop.errors import SymbackpropError
from symbackprop.exercise.model import Exercise
from symbackprop.judge.equivalence import same_values, within_absolute

RIGHT = ("match", "rounded_early")


class Audit:
    """The audit of one exercise: a verdict per stated form, each number's verdict worked out once."""

    def __init__(self, exercise: Exercise):
        self.rec = Recomputation(exercise)
        self._verdicts: dict[str, str] = {}

    def entries(self) -> list[AuditEntry]:
        """Every stated form of the exercise, in file order."""
        return [self.check(name, text) for name, forms in self.rec.forms.items() for text in forms]

    def check(self, name: str, text: str) -> AuditEntry:
        """The verdict on one stated form."""
        numeric = numeric_form(self.rec, text)
        if numeric is not None:
            return self.check_number(name, text, numeric)
        return self.check_formula(name, text)

    def entry(
        self,
        name: str,
        text: str,
        computed: float | str | None,
        verdict: str,
        diagnosis: str = "",
        intermediates: tuple[str, ...] = (),
    ) -> AuditEntry:
        """One audit entry."""
        return AuditEntry(self.rec.ex.id, name, text, computed, verdict, diagnosis, intermediates)

    def verdict_of(self, name: str, stack: frozenset[str] = frozenset()) -> str:
        """The verdict of a key's final form (memoised; a key on its own chain counts as wrong)."""
        if name in stack:
            return "mismatch"
        if name not in self._verdicts:
            text = self.rec.forms[name][-1]
            numeric = numeric_form(self.rec, text)
            verdict = "mismatch" if numeric is None else self.check_number(name, text, numeric, stack | {name}).verdict
            self._verdicts[name] = verdict
        return self._verdicts[name]

    def check_number(
        self, name: str, text: str, numeric: tuple[float, float], stack: frozenset[str] = frozenset()
    ) -> AuditEntry:
        """A stated number: exact agreement, then agreement with the lecture's carried numbers."""
        rec, key = self.rec, self.rec.keys[name]
        if key.step > 0 and not rec.lr:
            return self.entry(name, text, None, "not_checkable", "a step after 0 needs a [train] lr")
        stated, tolerance = numeric
        exact = rec.value(key, rec.exact)
        if within_absolute(stated, exact, tolerance):
            return self.entry(name, text, exact, "match")
        carried = tuple(carried_numbers(rec, name, stated, tolerance))
        if carried:
            wrong = [o for o in carried if self.verdict_of(o, stack) not in RIGHT]
            if not wrong:
                return self.entry(name, text, exact, "rounded_early", "", carried)
            listed = ", ".join(f"{o} = {rec.forms[o][-1]}" for o in wrong)
            diagnosis = f"carried forward: follows from the lecture's {listed}"
            return self.entry(name, text, exact, "mismatch", diagnosis, carried)
        diagnosis = misplaced_number(rec, key, text, exact, tolerance) or diagnose_number(
            rec, key, stated, tolerance, exact
        )
        return self.entry(name, text, exact, "mismatch", diagnosis)

    def check_formula(self, name: str, text: str) -> AuditEntry:
        """A stated formula against the true one, by value at the comparison points."""
        rec, key = self.rec, self.rec.keys[name]
        computed = computed_text(rec, key)
        try:
            formula = read_formula(rec, text)
        except SymbackpropError as error:
            renamed = misnamed(rec, key, text)
            if renamed:
                return self.entry(name, text, computed, "mismatch", renamed)
            return self.entry(name, text, computed, "not_checkable", unreadable(text, error.message))
        stated = formula_values(rec, formula)
        agrees = same_values(stated, formula_values(rec, expected(rec, key)))
        if agrees is None:
            return self.entry(name, text, computed, "not_checkable", "it has no value at any test point")
        if agrees:
            return self.entry(name, text, computed, "match")
        used = {symbol.name for symbol in formula.free_symbols}
        return self.entry(name, text, computed, "mismatch", diagnose_formula(rec, key, stated, used))


def audit(exercise: Exercise) -> list[AuditEntry]:
    """Every ``[stated]`` form of ``exercise`` with its verdict.

    >>> from symbackprop.exercise.model import load
    >>> [(e.stated, e.verdict) for e in audit(load("gd-quadratic")) if e.key == "w@1"]
    [('3 - 0.1 * 4', 'match'), ('2.6', 'match')]
    """
    return Audit(exercise).entries()
