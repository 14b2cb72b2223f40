"""A stated number: a plain number, or an expression of numbers (``3 - 0.1 * 4``), with its rounding error.

A number *matches* when it agrees to the precision it is written with: half a unit in its
last digit (:mod:`symbackprop.judge.precision`), and for an expression of numbers that error
carried through the expression. A wrong expression may be right with one of its numbers
replaced by a value of the graph: the lecture wrote the wrong node's value.
"""

from __future__ import annotations

import sympy

from symbackprop.auditing.advice import decimals, number_suggestion, replace_numbers
from symbackprop.auditing.keys import StatedKey
from symbackprop.auditing.recompute import Recomputation
from symbackprop.core.values import evaluate
from symbackprop.errors import SymbackpropError
from symbackprop.judge.equivalence import within_absolute
from symbackprop.judge.precision import read_number
from symbackprop.parse.plain import parse, tokenize
from symbackprop.parse.printer import plain

PLACEHOLDER = "zzq"  # prefix of the names that stand for numbers and ∂-fractions while parsing


class Template:
    """An expression of numbers with each number a symbol: ``3 - 0.1 * 4`` is ``zzq0 - zzq1*zzq2``."""

    def __init__(self, expr: sympy.Expr, numbers: list[str]):
        self.expr = expr
        self.numbers = numbers  # as written
        self.symbols = [sympy.Symbol(f"{PLACEHOLDER}{i}") for i in range(len(numbers))]

    @property
    def env(self) -> dict[sympy.Symbol, float]:
        """Each number's symbol with its written value."""
        return {symbol: float(number) for symbol, number in zip(self.symbols, self.numbers, strict=True)}

    def slope(self, symbol: sympy.Symbol, env: dict[sympy.Symbol, float]) -> float:
        """How much the expression moves per unit of one number (to carry its rounding error through)."""
        return evaluate(sympy.diff(self.expr, symbol), env)


def read_template(text: str) -> Template | None:
    """An expression of numbers only; None for anything else (a formula: the formula check says why).

    >>> t = read_template("3 - 0.1 * 4")
    >>> t.numbers, evaluate(t.expr, t.env)
    (['3', '0.1', '4'], 2.6)
    >>> read_template("3 - w") is None
    True
    """
    try:
        tokens = tokenize(text)
    except SymbackpropError:
        return None
    numbers: list[str] = []
    pieces = []
    for token in tokens:
        if token.kind == "number":
            pieces.append(f" {PLACEHOLDER}{len(numbers)} ")
            numbers.append(token.text)
        else:
            pieces.append(f" {token.text} ")
    by_name = {f"{PLACEHOLDER}{i}": sympy.Symbol(f"{PLACEHOLDER}{i}") for i in range(len(numbers))}

    def resolve(name: str) -> sympy.Expr:
        if name in by_name:
            return by_name[name]
        raise SymbackpropError(f"uses the name {name!r}")

    try:
        return Template(parse("".join(pieces), resolve), numbers)
    except SymbackpropError:
        return None


def numeric_form(rec: Recomputation, text: str) -> tuple[float, float] | None:
    """The value of a number or an expression of numbers, and the error its rounding allows."""
    number = read_number(text)
    if number is not None:
        return number.value, number.rounding_error
    template = read_template(text)
    if template is None:
        return None
    written = [read_number(n) for n in template.numbers]
    if any(n is None for n in written):
        return None  # a number past a float (1e999): the formula check says it has no value
    env = template.env
    try:
        value = evaluate(template.expr, env)
    except SymbackpropError:
        return None  # 10^9999, sqrt(-1): no value, which the formula check reports as such
    tolerance = 0.0
    for symbol, text_number, number in zip(template.symbols, template.numbers, written, strict=True):
        if number is None or rec.exact_number(text_number):
            continue
        tolerance += abs(template.slope(symbol, env)) * number.rounding_error
    return value, tolerance


def misplaced_number(rec: Recomputation, key: StatedKey, text: str, exact: float, tolerance: float) -> tuple[str, str]:
    """A number of an expression that, replaced by some value of the graph, makes it right:
    the diagnosis, and the expression with the right value written in; ("", "") if none.
    """
    template = read_template(text)
    if template is None or read_number(text) is not None:
        return "", ""
    env = template.env
    point, result = rec.exact[key.step]
    values = {n: point[n] if n in point else result.values[n] for n in reversed(rec.ex.graph.names)}
    if not key.quantity.gradient and key.quantity.name in rec.ex.equations:
        values |= equation_parts(rec, key.quantity.name, values)
    places = max((decimals(n) or 0 for n in template.numbers), default=0)  # the expression's precision
    for index, (symbol, text_number) in enumerate(zip(template.symbols, template.numbers, strict=True)):
        number = read_number(text_number)
        if number is None or rec.exact_number(text_number):
            continue
        # the error the other numbers still allow once this one is replaced
        others = tolerance - abs(template.slope(symbol, env)) * number.rounding_error
        written = next((n for n, v in values.items() if abs(v - number.value) <= number.rounding_error), None)
        for name, value in values.items():
            if name == written or abs(value - number.value) <= number.rounding_error:
                continue
            candidate = evaluate(template.expr, env | {symbol: value})
            if within_absolute(candidate, exact, others):
                what = f"{text_number} ({written})" if written else text_number
                corrected = replace_numbers(text, {index: number_suggestion(text_number, value, places)})
                return f"writes {what} where {name} = {value:.6g} belongs", corrected
    return "", ""


def equation_parts(rec: Recomputation, node: str, values: dict[str, float]) -> dict[str, float]:
    """The values of the parts of ``node``'s equation, by their text: y_t - y in (y_t - y)**2/2.

    A lecture evaluating an equation writes a number for each part; a wrong one is named
    by the part it stands for.
    """
    rhs = rec.ex.equations[node]
    env = {name: values[name.name] for name in rhs.free_symbols}
    found: dict[str, float] = {}
    for part in sympy.preorder_traversal(rhs):
        if part == rhs or part.is_Atom or (part.is_Mul and part.args[0] == -1):  # −y: y's own value
            continue
        # Every part has a value here: the engine evaluated the whole equation, part by part.
        found.setdefault(plain(part), evaluate(part, env))
    return found
