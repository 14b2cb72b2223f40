"""A column a lecture tabulates over a data set: one stated number per sample, ``(-1.5, -1.0, -0.5, 0.5)``.

Checked sample by sample; when a node's equation is a linear layer of the data's inputs
(``w1*x1 + w2*x2 + b``), a wrong column is also asked whether *any* weights could give it:
deck 003's "role of activation" table lists an s₁ column that no linear layer of (x₁, x₂) gives.
"""

from __future__ import annotations

import numpy as np
import sympy

from symbackprop.auditing.advice import number_suggestion, shown
from symbackprop.auditing.recompute import Recomputation
from symbackprop.judge.equivalence import within_absolute
from symbackprop.judge.precision import Written, read_number


def read_column(text: str, samples: int) -> list[Written] | None:
    """A parenthesised list of plain numbers, one per sample; None for anything else.

    >>> [n.value for n in read_column("(-1.5, -1.0, 0.5)", 3)]
    [-1.5, -1.0, 0.5]
    >>> read_column("(1, 2)", 3) is None, read_column("f(1, 2)", 2) is None
    (True, True)
    """
    inside = text.strip()[1:-1]
    if not (text.strip().startswith("(") and text.strip().endswith(")")) or "," not in inside:
        return None
    if "(" in inside or ")" in inside:
        return None
    numbers = [read_number(cell) for cell in inside.split(",")]
    if len(numbers) != samples or any(n is None for n in numbers):
        return None
    return [n for n in numbers if n is not None]


def column_values(rec: Recomputation, name: str, step: int) -> list[float]:
    """A node's (or input's) value in every sample at a step."""
    return [sample.values[name] for sample in rec.exact[step][1].samples]


def column_suggestion(cells: list[str], values: list[float]) -> str:
    """The column with each number recomputed, written to the decimals the lecture used.

    >>> column_suggestion(["-1.5", "0.5"], [-1.5, 0.0])
    '(-1.5, 0.0)'
    """
    return "(" + ", ".join(_written(c, v) for c, v in zip(cells, values, strict=True)) + ")"


def _written(cell: str, value: float) -> str:
    number = read_number(cell)
    if number is not None and within_absolute(number.value, value, number.rounding_error):
        return cell.strip()
    return number_suggestion(cell, value)


def linear_fit(rec: Recomputation, name: str, stated: list[float], tolerance: float) -> str:
    """Whether any linear layer of the data's inputs gives a column: the diagnosis of a wrong one.

    Only for a node whose equation is affine in the inputs ``[data]`` gives (a weighted sum
    plus a bias): the column is fitted by least squares over those inputs and a constant.
    """
    ex = rec.ex
    rhs = ex.equations.get(name)
    inputs = [n for n in ex.data if rhs is not None and sympy.Symbol(n, real=True) in rhs.free_symbols]
    if rhs is None or not inputs:
        return ""
    symbols = [sympy.Symbol(n, real=True) for n in inputs]
    if not all(sympy.diff(rhs, a, b) == 0 for a in symbols for b in symbols):
        return ""  # not linear in the inputs: a fit says nothing
    rows = np.array([[float(ex.data[n][k]) for n in inputs] + [1.0] for k in range(ex.samples)])
    target = np.array(stated)
    # the layer through the first rows (as many as it has weights), else the closest to them all
    head = len(inputs) + 1
    try:
        coefficients = np.linalg.solve(rows[:head], target[:head])
        through = f"the one through its first {head} rows"
    except np.linalg.LinAlgError:
        coefficients = np.linalg.lstsq(rows, target, rcond=None)[0]
        through = "the closest"
    fitted = rows @ coefficients
    worst = int(np.argmax(np.abs(fitted - target)))
    layer = _affine(name, coefficients, inputs)
    if abs(fitted[worst] - target[worst]) <= tolerance + 1e-9:
        return f"a linear layer gives this column ({layer}), but not with the example's weights"
    row = ", ".join(f"{n} = {shown(float(ex.data[n][worst]), '0')}" for n in inputs)
    return (
        f"no linear layer of {', '.join(inputs)} gives this column: {through}, {layer}, "
        f"gives {shown(float(fitted[worst]), '0')} at {row}, not {stated[worst]:g}"
    )


def _affine(name: str, coefficients, inputs: list[str]) -> str:
    """``s1 = 1·x1 + 0.5·x2 − 1.5``.

    >>> _affine("s", [1.0, -0.5, 0.25], ["a", "b"])
    's = 1·a − 0.5·b + 0.25'
    """
    parts = [(float(c), f"·{n}") for c, n in zip(coefficients, inputs, strict=False)]
    parts.append((float(coefficients[-1]), ""))  # the bias
    text = f"{name} = {shown(parts[0][0], '0')}{parts[0][1]}"
    for c, suffix in parts[1:]:
        text += f" {'−' if c < 0 else '+'} {shown(abs(c), '0')}{suffix}"
    return text
