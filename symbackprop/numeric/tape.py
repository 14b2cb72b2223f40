"""The tape: an exercise's equations as every distinct sub-expression, arguments before the ops on them.

A named node's symbol is linked to its right side's node, so the tape is one DAG in
topological order: a forward pass walks it front to back, the reverse pass back to front.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sympy

from symbackprop.core.functions import ActivationBase
from symbackprop.errors import SymbackpropError
from symbackprop.exercise.model import Exercise
from symbackprop.numeric.rules import Rule, rule_of


@dataclass(frozen=True)
class TapeNode:
    """One value of the tape: a leaf (an input or param), a constant, or an op on earlier nodes."""

    expr: sympy.Expr
    rule: Rule | None = None
    args: tuple[int, ...] = ()
    leaf: str | None = None
    constant: float | None = None


@dataclass(frozen=True)
class Tape:
    """An exercise compiled for NumPy: the nodes, and where each name's value is."""

    nodes: tuple[TapeNode, ...]
    names: dict[str, int]  # leaf or graph node name → tape node
    loss: int
    depends: dict[str, frozenset[int]]  # leaf name → the tape nodes whose value depends on it


def compile_tape(exercise: Exercise) -> Tape:
    """The exercise's equations as a tape; an op with no NumPy rule is an error naming it.

    >>> from symbackprop.exercise.model import from_equations
    >>> tape = compile_tape(from_equations({"q": "x + y", "f": "q*z"}))
    >>> [str(node.expr) for node in tape.nodes]
    ['x', 'y', 'x + y', 'z', 'q*z']
    """
    nodes: list[TapeNode] = []
    memo: dict[sympy.Expr, int] = {}
    names: dict[str, int] = {}

    def visit(expr: sympy.Expr) -> int:
        if expr in memo:
            return memo[expr]
        if expr.is_Symbol and expr.name in names:
            return names[expr.name]  # a graph node's value, or a leaf seen before
        if expr.is_Symbol:
            node = TapeNode(expr, leaf=expr.name)
        elif expr.is_number and not expr.has(sympy.Function):
            node = TapeNode(expr, constant=_constant(expr))
        else:
            rule = rule_of(expr)
            # An activation's rules take every argument: the defaults (β = 1, …) are filled in.
            args = expr.with_defaults() if isinstance(expr, ActivationBase) else expr.args
            node = TapeNode(expr, rule=rule, args=tuple(visit(arg) for arg in args))
        nodes.append(node)
        memo[expr] = len(nodes) - 1
        if node.leaf is not None:
            names[node.leaf] = memo[expr]
        return memo[expr]

    for name, rhs in exercise.equations.items():
        try:
            names[name] = visit(rhs)
        except SymbackpropError as error:
            raise error.located(exercise.path or exercise.id, f"graph.{name}") from None
    return Tape(tuple(nodes), names, names[exercise.loss], _dependents(nodes))


def tape_of(exercise: Exercise) -> Tape:
    """The exercise's tape, compiled once per exercise object."""
    # Exercises are frozen but not hashable (dict fields): the tape is kept on the object,
    # the way functools.cached_property keeps the exercise's graph.
    tape = exercise.__dict__.get("_numeric_tape")
    if tape is None:
        tape = exercise.__dict__["_numeric_tape"] = compile_tape(exercise)
    return tape


def _constant(expr: sympy.Expr) -> float:
    value = complex(expr)
    if value.imag:
        raise SymbackpropError(f"{expr} is not a real number")
    return value.real


def _dependents(nodes: Sequence[TapeNode]) -> dict[str, frozenset[int]]:
    depends: list[frozenset[str]] = []
    for node in nodes:
        depends.append(
            frozenset({node.leaf}) if node.leaf is not None else frozenset().union(*(depends[a] for a in node.args))
        )
    leaves = {node.leaf for node in nodes if node.leaf is not None}
    return {leaf: frozenset(i for i, found in enumerate(depends) if leaf in found) for leaf in leaves}
