"""Shared test helper: an independent plain-SymPy reference (the paths are in conftest.py)."""

from __future__ import annotations

import math
import re

import sympy

_LEAKY_SLOPE = sympy.Rational(1, 100)  # PyTorch's default negative slope

# The textbook definitions, written here independently of symbackprop.core.functions.
_DEFINITIONS = {
    "sigmoid": lambda x, beta=1: 1 / (1 + sympy.exp(-beta * x)),
    "tanh": lambda x, beta=1: sympy.tanh(beta * x),
    "relu": lambda x: sympy.Max(x, 0),
    "leaky_relu": lambda x, beta=_LEAKY_SLOPE: sympy.Piecewise((x, x >= 0), (beta * x, True)),
    "softplus": lambda x, beta=1: sympy.log(1 + sympy.exp(beta * x)) / beta,
    "swish": lambda x, beta=1: x / (1 + sympy.exp(-beta * x)),
    "elu": lambda x, alpha=1: sympy.Piecewise((x, x > 0), (alpha * (sympy.exp(x) - 1), True)),
    "softmax": lambda i, *xs: sympy.exp(xs[int(i) - 1]) / sum(sympy.exp(x) for x in xs),
    "exp": sympy.exp,
    "log": sympy.log,
    "sqrt": sympy.sqrt,
    "sin": sympy.sin,
    "cos": sympy.cos,
    "max": sympy.Max,
    "min": sympy.Min,
    "abs": sympy.Abs,
    "pi": sympy.pi,
    "e": sympy.E,
}


def substituted_loss(equations: dict[str, str], loss: str) -> sympy.Expr:
    """The loss with every node replaced by its right side, by plain text substitution.

    Independent of symbackprop's parser and derivative rules: the reference for its gradients.
    """
    closed: dict[str, str] = {}
    for name, text in equations.items():
        for earlier, value in closed.items():
            text = re.sub(rf"\b{re.escape(earlier)}\b", f"({value})", text)
        closed[name] = text
    names = {n: sympy.Symbol(n, real=True) for n in set(re.findall(r"[A-Za-z_]\w*", closed[loss])) - set(_DEFINITIONS)}
    return sympy.sympify(closed[loss].replace("^", "**"), locals={**_DEFINITIONS, **names})


def plain_gradient(
    equations: dict[str, str], loss: str, wrt: str, point: dict[str, float], data: dict | None = None
) -> float:
    """d loss / d wrt at ``point`` by sympy.diff of the fully substituted loss, then subs.

    With ``data`` (an exercise's [data] table: a list per input and ``reduce``), the loss is
    summed or averaged over the samples, each sample's inputs added to ``point``.
    """
    expr = substituted_loss(equations, loss)
    symbols = {s.name: s for s in expr.free_symbols}
    if wrt not in symbols:
        return 0.0
    derivative = sympy.diff(expr, symbols[wrt])
    columns = {name: values for name, values in (data or {}).items() if name != "reduce"}
    count = len(next(iter(columns.values()))) if columns else 1
    total = 0.0
    for k in range(count):
        sample = point | {name: values[k] for name, values in columns.items()}
        values = {symbols[n]: sympy.nsimplify(v) for n, v in sample.items() if n in symbols}
        total += float(derivative.subs(values).evalf(30))
    return total / count if (data or {}).get("reduce") == "mean" else total


def sigmoid(v: float) -> float:
    """σ by its definition, in floats."""
    return 1 / (1 + math.exp(-v))


# Lecture 003's two-branch network, equation by equation as the slide writes it.
TWO_BRANCH = {
    "s1": "x_t*w1",
    "h1": "sigmoid(s1)",
    "s2": "h1*w2",
    "h2": "sigmoid(s2)",
    "s3": "h1*w3",
    "h3": "sigmoid(s3)",
    "s4": "h2*w4 + h3*w5",
    "y": "s4",
    "E": "(y_t - y)**2/2",
}
