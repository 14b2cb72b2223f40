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

import math
from dataclasses import replace
from functools import cached_property

from symbackprop.auditing.advice import clean, decimals, number_suggestion, replace_numbers, shown, source_of
from symbackprop.auditing.columns import column_suggestion, column_values, linear_fit, read_column
from symbackprop.auditing.diagnosis import diagnose_formula, diagnose_number
from symbackprop.auditing.formulas import computed_text, expected, formula_values, misnamed, read_formula, unreadable
from symbackprop.auditing.layer_rules import RuleAudit
from symbackprop.auditing.numbers import misplaced_number, numeric_form, read_template
from symbackprop.auditing.recompute import Recomputation, carried_numbers
from symbackprop.auditing.report import AuditEntry
from symbackprop.engine.layer_rules import rule_key
from symbackprop.errors import SymbackpropError
from symbackprop.exercise.model import Exercise
from symbackprop.judge.equivalence import same_values, within_absolute
from symbackprop.judge.precision import Written, read_number

RIGHT = ("match", "rounded_early")


class Audit:
    """The audit of one exercise: a verdict per stated form, each number's verdict worked out once."""

    def __init__(self, exercise: Exercise):
        self.rec = Recomputation(exercise)
        self._verdicts: dict[str, str] = {}

    def entries(self) -> list[AuditEntry]:
        """Every stated form of the exercise, in file order, each with where the deck prints it."""
        return [
            replace(self.check(name, text, index), source=source_of(self.rec.ex, name, index))
            for name, forms in self.rec.forms.items()
            for index, text in enumerate(forms)
        ]

    def check(self, name: str, text: str, index: int = 0) -> AuditEntry:
        """The verdict on one stated form (``index``: its place among the key's forms)."""
        if rule_key(name) is not None:
            return self.rule_check(name, text)
        key = self.rec.keys[name]
        column = read_column(text, self.rec.ex.samples) if self.rec.ex.data else None
        if column is not None and not key.quantity.gradient:
            return self.check_column(name, text, column)
        numeric = numeric_form(self.rec, text)
        if numeric is not None:
            return self.check_number(name, text, numeric, index=index)
        return self.check_formula(name, text)

    @cached_property
    def rule_check(self) -> RuleAudit:
        """The audit of the layer rules a lecture states (``[stated]`` keys ``rule:NAME``)."""
        return RuleAudit(self.rec.ex)

    def check_column(self, name: str, text: str, column: list[Written]) -> AuditEntry:
        """One stated number per sample, as a lecture's table over a data set lists them."""
        q = self.rec.keys[name].quantity
        values = column_values(self.rec, q.name, q.step)
        cells = text.strip()[1:-1].split(",")
        computed = "(" + ", ".join(shown(v, cell.strip()) for v, cell in zip(values, cells, strict=True)) + ")"
        if all(within_absolute(n.value, v, n.rounding_error) for n, v in zip(column, values, strict=True)):
            return self.entry(name, text, computed, "match")
        tolerance = max(n.rounding_error for n in column)
        diagnosis = linear_fit(self.rec, q.name, [n.value for n in column], tolerance)
        suggestion = column_suggestion(cells, values)
        if not diagnosis:
            rows = [
                str(k + 1)
                for k, (n, v) in enumerate(zip(column, values, strict=True))
                if not within_absolute(n.value, v, n.rounding_error)
            ]
            diagnosis = f"sample{'s' if len(rows) > 1 else ''} {', '.join(rows)} differ{'' if len(rows) > 1 else 's'}"
        return self.entry(name, text, computed, "mismatch", diagnosis, suggestion=suggestion)

    def entry(
        self,
        name: str,
        text: str,
        computed: float | str | None,
        verdict: str,
        diagnosis: str = "",
        intermediates: tuple[str, ...] = (),
        suggestion: str = "",
    ) -> AuditEntry:
        """One audit entry; a computed number without float noise."""
        if isinstance(computed, float):
            computed = clean(computed)
        return AuditEntry(self.rec.ex.id, name, text, computed, verdict, diagnosis, intermediates, suggestion)

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
        self,
        name: str,
        text: str,
        numeric: tuple[float, float],
        stack: frozenset[str] = frozenset(),
        index: int = 0,
    ) -> AuditEntry:
        """A stated number: exact agreement, then agreement with the lecture's carried numbers."""
        rec, key = self.rec, self.rec.keys[name]
        if key.step > 0 and not rec.lr:
            return self.entry(name, text, None, "not_checkable", "a step after 0 needs a [train] lr")
        stated, tolerance = numeric
        exact = rec.value(key, rec.exact)
        given = self.given_differently(name, text, exact)
        if given:
            return self.entry(name, text, exact, "mismatch", given, suggestion=f"{clean(exact):g}")
        if within_absolute(stated, exact, tolerance):
            inside = self.rounded_inside(name, text, stack)
            if not inside:
                return self.entry(name, text, exact, "match")
            return self.rounded(name, text, exact, tuple(inside.values()), inside)
        carried = tuple(carried_numbers(rec, name, stated, tolerance))
        if carried:
            wrong = [o for o in carried if self.verdict_of(o, stack) not in RIGHT]
            if not wrong:
                return self.rounded(name, text, exact, carried)
            listed = ", ".join(f"{o} = {rec.forms[o][-1]}" for o in wrong)
            diagnosis = f"carried forward: follows from the lecture's {listed}"
            return self.entry(name, text, exact, "mismatch", diagnosis, carried, self.suggest(text, exact))
        slip = arithmetic_slip(rec, name, index, stated, tolerance)
        if slip:
            return self.entry(name, text, exact, "mismatch", slip, suggestion=self.suggest(text, exact))
        misplaced, corrected = misplaced_number(rec, key, text, exact, tolerance)
        if misplaced:
            return self.entry(name, text, exact, "mismatch", misplaced, suggestion=corrected)
        diagnosis = diagnose_number(rec, key, stated, tolerance, exact) or unexplained(stated, exact)
        return self.entry(name, text, exact, "mismatch", diagnosis, suggestion=self.suggest(text, exact))

    def given_differently(self, name: str, text: str, exact: float) -> str:
        """An input or param the exercise gives exactly, stated as another number.

        A given value has no rounding to allow: deck 004's target₁ = 0.0 beside the 0.01 it
        computes with is within 0.0's own half unit, yet not the number the example uses.
        """
        q, ex = self.rec.keys[name].quantity, self.rec.ex
        number = read_number(text)
        if q.gradient or q.step != 0 or number is None or ex.point is None or q.name not in ex.point:
            return ""
        if math.isclose(number.value, exact, rel_tol=1e-12, abs_tol=1e-15):
            return ""
        return f"{q.name} is {clean(exact):g} in the example ([at]), not {text}"

    def rounded(
        self, name: str, text: str, exact: float, carried: tuple[str, ...], positions: dict[int, str] | None = None
    ) -> AuditEntry:
        """A rounded_early entry: which of the lecture's rounded numbers it rests on, and the value without them."""
        rec = self.rec
        named = ", ".join(
            f"{o} = {rec.forms[o][-1]} (exactly {shown(rec.value(rec.keys[o], rec.exact), rec.forms[o][-1])})"
            for o in carried
        )
        explanation = f"right only with the lecture's rounded {named} carried on"
        positions = positions or self.written_in(text, carried)
        if positions:  # an expression with the rounded numbers in it: the same with the exact ones
            places = most_decimals(text) + 1  # a figure past the expression's own: the rounding is the point
            exact_numbers = {
                i: number_suggestion(template_number(text, i), abs(rec.value(rec.keys[o], rec.exact)), places)
                for i, o in positions.items()
            }
            suggestion = f"{replace_numbers(text, exact_numbers)} = {shown(exact, text)}"
        else:
            suggestion = self.suggest(text, exact)
        return self.entry(name, text, exact, "rounded_early", explanation, carried, suggestion)

    def rounded_inside(self, name: str, text: str, stack: frozenset[str]) -> dict[int, str]:
        """The numbers of an expression that are the lecture's own rounded_early values, by position.

        Deck 003 writes −(1 − 0.747)·0.732 with the y = 0.747 it got by rounding early: the
        expression agrees within its numbers' rounding, yet rests on that number as much as
        the 0.747 itself does, and is labelled the same.
        """
        rec, step = self.rec, self.rec.keys[name].step
        template = read_template(text)
        if template is None or read_number(text) is not None:
            return {}
        order = list(rec.keys)
        before = order[: order.index(name)][::-1] + order[order.index(name) + 1 :]  # nearest earlier first
        found = {}
        for i, written in enumerate(template.numbers):
            if rec.exact_number(written):
                continue
            for other in before:
                number = rec.stated_number(other)
                if (
                    number is not None
                    and rec.keys[other].step <= step
                    and abs(abs(number) - float(written)) < 1e-12
                    and self.verdict_of(other, stack | {name}) == "rounded_early"
                ):
                    found[i] = other
                    break
        return found

    def written_in(self, text: str, keys: tuple[str, ...]) -> dict[int, str]:
        """Which numbers of an expression are the lecture's stated numbers of ``keys``, by position."""
        template = read_template(text)
        if template is None or read_number(text) is not None:
            return {}
        found = {}
        for i, written in enumerate(template.numbers):
            for other in keys:
                number = self.rec.stated_number(other)
                if number is not None and abs(abs(number) - float(written)) < 1e-12:
                    found[i] = other
                    break
        return found

    def suggest(self, text: str, exact: float) -> str:
        """What to print for a wrong number: the true value, at the written decimals for a plain number;
        for an expression with one number not given exactly, that number corrected and the value.

        Deck 000's 0.55 − (−0.0489448) becomes 0.55 − (−0.0434100) = 0.59341: the η·∂L/∂w it
        puts in is the number to change.
        """
        if read_number(text) is not None:
            return number_suggestion(text, exact)
        template = read_template(text)
        value = numeric_form(self.rec, text)
        if template is None or value is None:
            return shown(exact, text)
        open_numbers = [i for i, n in enumerate(template.numbers) if not self.rec.exact_number(n)]
        if len(open_numbers) == 1:
            (index,) = open_numbers
            symbol, written = template.symbols[index], template.numbers[index]
            slope = template.slope(symbol, template.env)
            corrected = float(written) + (exact - value[0]) / slope if slope else -1.0
            if corrected >= 0:  # a number token has no sign of its own
                fixed = replace_numbers(text, {index: number_suggestion(written, corrected, most_decimals(text))})
                return f"{fixed} = {shown(exact, text)}"
        return shown(exact, text)

    def check_formula(self, name: str, text: str) -> AuditEntry:
        """A stated formula against the true one, by value at the comparison points."""
        rec, key = self.rec, self.rec.keys[name]
        computed = computed_text(rec, key)
        try:
            formula = read_formula(rec, text)
        except SymbackpropError as error:
            renamed = misnamed(rec, key, text)
            if renamed:
                return self.entry(name, text, computed, "mismatch", renamed, suggestion=computed)
            return self.entry(name, text, computed, "not_checkable", unreadable(text, error.message))
        stated = formula_values(rec, formula)
        agrees = same_values(stated, formula_values(rec, expected(rec, key)))
        if agrees is None:
            return self.entry(name, text, computed, "not_checkable", "it has no value at any test point")
        if agrees:
            return self.entry(name, text, computed, "match")
        used = {symbol.name for symbol in formula.free_symbols}
        diagnosis = diagnose_formula(rec, key, stated, used) or "no usual mistake explains it"
        return self.entry(name, text, computed, "mismatch", diagnosis, suggestion=computed)


def most_decimals(text: str) -> int:
    """The most decimals any number of an expression is written with (its precision).

    >>> most_decimals("0.6186 (1 - 0.618)")
    4
    """
    template = read_template(text)
    return max((decimals(n) or 0 for n in (template.numbers if template else ())), default=0)


def template_number(text: str, index: int) -> str:
    """The ``index``-th number written in an expression of numbers."""
    template = read_template(text)
    assert template is not None  # only asked of an expression read before
    return template.numbers[index]


def arithmetic_slip(rec: Recomputation, name: str, index: int, stated: float, tolerance: float) -> str:
    """A result that its own expression, written just before it for the same key, does not give.

    Deck 003 writes 1.0384 = 1.0197 + 0.1·0.186: the expression is right (1.0383) and the
    gradient in it too; the slip is the sum.
    """
    if index == 0 or read_number(rec.forms[name][index]) is None:
        return ""
    previous = rec.forms[name][index - 1]
    template = read_template(previous)
    worked = numeric_form(rec, previous)
    if template is None or worked is None or read_number(previous) is not None:
        return ""
    value = worked[0]
    if within_absolute(stated, value, tolerance):
        return ""
    return f"an arithmetic slip: {previous} is {shown(value, rec.forms[name][index])}, not {rec.forms[name][index]}"


def unexplained(stated: float, exact: float) -> str:
    """The diagnosis of a wrong number no usual mistake explains: how far off it is.

    >>> unexplained(0.291027924, 0.291027774)
    'off by 1.5e-07 (5.2e-05 %); no usual mistake explains it'
    """
    relative = f" ({abs(stated - exact) / abs(exact) * 100:.2g} %)" if exact else ""
    return f"off by {abs(stated - exact):.2g}{relative}; no usual mistake explains it"


def audit(exercise: Exercise) -> list[AuditEntry]:
    """Every ``[stated]`` form of ``exercise`` with its verdict.

    >>> from symbackprop.exercise.model import load
    >>> [(e.stated, e.verdict) for e in audit(load("gd-quadratic")) if e.key == "w@1"]
    [('3 - 0.1 * 4', 'match'), ('2.6', 'match')]
    """
    return Audit(exercise).entries()
