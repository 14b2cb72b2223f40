"""The catalog of typical mistakes: the reference changed by one of them, value by value.

A backprop gradient is a sum over paths of products of local derivatives, so the usual
mistakes are edits of that sum: a path left out, a local factor left out or added, the
sigmoid's derivative σ(1 − σ) written σ, a sign, the ½ of the loss, e⁰ read as e. Each
variant is computed from numbers at a point (the path values and edge values of the
engine's pass), so no variant is ever simplified symbolically, and the message can name
the path or the factor. Grading diagnoses a student's answer with it, and the audit a
lecture's stated value: the same mistake gets the same words in both.
"""

from __future__ import annotations

import functools
import itertools
import math
import operator
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass

import sympy

from symbackprop.core.functions import Sigmoid, Tanh
from symbackprop.engine.evaluation import Edge, Pass, evaluate_sample, single_sample
from symbackprop.engine.symbolic import SymbolicGradient
from symbackprop.errors import SymbackpropError
from symbackprop.exercise.model import Exercise
from symbackprop.exercise.quantities import Quantity
from symbackprop.judge.precision import decimal_significant
from symbackprop.parse.printer import plain

MAX_PATH_SUBSETS = 6  # up to this many paths every subset may be missing; beyond, one path at a time
MAX_EXTRA_FACTORS = 200
MAX_ROUNDING_DIGITS = 5  # rounding to more figures than this is not rounding "too early"

# One word per kind of mistake: the keys of ``diagnoses`` in reports and of ``partial`` credit.
SIGN = "sign"
FACTOR_2 = "factor_2"
MISSING_PATH = "missing_path"
MISSING_FACTOR = "missing_factor"
EXTRA_FACTOR = "extra_factor"
ACTIVATION = "activation_derivative"
E0_AS_E = "e0_as_e"
ROUNDED_EARLY = "rounded_early"
OTHER_QUANTITY = "other_quantity"  # the answer for another param (grading names which)
KINDS = (SIGN, FACTOR_2, MISSING_PATH, MISSING_FACTOR, EXTRA_FACTOR, ACTIVATION, E0_AS_E, ROUNDED_EARLY, OTHER_QUANTITY)

Rule = Callable[[Pass], float]  # a value at a point


@dataclass(frozen=True)
class Variant:
    """The reference with one mistake made: its kinds, a one-line message and its value rule."""

    kinds: tuple[str, ...]
    feedback: str
    value: Rule


@dataclass(frozen=True)
class Scaling:
    """A mistake that multiplies the whole value by a constant."""

    factor: float
    kinds: tuple[str, ...]
    feedback: str


_HALF_HINT = " (the ½ in the loss?)"
# The slips of a single value: a sign, the ½ of the loss (``{hint}`` names it for a gradient).
SCALINGS = (
    Scaling(-1.0, (SIGN,), "the sign is flipped"),
    Scaling(2.0, (FACTOR_2,), "off by a factor of 2{hint}"),
    Scaling(0.5, (FACTOR_2,), "off by a factor of ½{hint}"),
)
# Two of those at once, and e⁰ read as e in a value that is that one factor: a worked
# example's slips, which the audit looks for and grading (where they would be guesses) does not.
COMPOUND_SCALINGS = (
    Scaling(-2.0, (SIGN, FACTOR_2), "off by a factor of 2{hint}, and the sign is flipped"),
    Scaling(-0.5, (SIGN, FACTOR_2), "off by a factor of ½{hint}, and the sign is flipped"),
    Scaling(math.e, (E0_AS_E,), "e⁰ taken as e"),
    Scaling(math.e / 2, (E0_AS_E, FACTOR_2), "e⁰ taken as e, and off by a factor of ½"),
    Scaling(-math.e, (SIGN, E0_AS_E), "e⁰ taken as e, and the sign is flipped"),
)


def quantity_value(quantity: Quantity, point: Pass) -> float:
    """What a quantity of the loss is at a point: a value, or ∂L/∂name (negated for the δ notation)."""
    if not quantity.gradient:
        return point.values[quantity.name]
    value = point.adjoints[quantity.name]
    return -value if quantity.negated else value


def path_text(nodes: Sequence[str]) -> str:
    """A path as the report names it.

    >>> path_text(("w1", "s1", "h1"))
    'w1 → s1 → h1'
    """
    return " → ".join(nodes)


def scaled_variants(reference: Rule, *, gradient: bool, compound: bool = False) -> list[Variant]:
    """The reference times each constant of the catalog (with the compound ones when asked).

    >>> [v.feedback for v in scaled_variants(lambda p: 1.0, gradient=False)]
    ['the sign is flipped', 'off by a factor of 2', 'off by a factor of ½']
    """
    hint = _HALF_HINT if gradient else ""
    scalings = SCALINGS + (COMPOUND_SCALINGS if compound else ())
    return [Variant(s.kinds, s.feedback.format(hint=hint), _times(reference, s.factor)) for s in scalings]


def _times(rule: Rule, factor: float) -> Rule:
    return lambda point: factor * rule(point)


def value_variants(name: str, *, compound: bool = False) -> list[Variant]:
    """A node or param value with its sign flipped or doubled or halved."""
    return scaled_variants(lambda point: point.values[name], gradient=False, compound=compound)


def gradient_variants(exercise: Exercise, gradient: SymbolicGradient, *, negated: bool, numeric: bool) -> list[Variant]:
    """The reference ∂L/∂P with each typical mistake made once (and each edit also with the sign flipped).

    >>> from symbackprop.engine.derivation import derive
    >>> from symbackprop.exercise.model import from_equations
    >>> ex = from_equations({"h": "sigmoid(w*x)", "E": "(t - h)**2/2"}, params=["w"], at={"w": 1, "x": 2, "t": 1})
    >>> [v.feedback for v in gradient_variants(ex, derive(ex).gradient("w"), negated=False, numeric=False)][3:5]
    ['the local factor ∂h/∂w = h*x*(1 - h) is missing', 'the derivative of sigmoid at h is h*(1 - h), not h']
    """
    sign = -1.0 if negated else 1.0
    return scaled_variants(_adjoint(gradient.wrt, sign), gradient=loss_has_half(exercise)) + gradient_edits(
        exercise, gradient, negated=negated, numeric=numeric
    )


def loss_has_half(exercise: Exercise) -> bool:
    """Whether a ½ is written in the graph's equations (E = (y_t - y)²/2): only then is a factor 2 blamed on it.

    >>> from symbackprop.exercise.model import from_equations
    >>> loss_has_half(from_equations({"E": "(t - w*x)**2/2"})), loss_has_half(from_equations({"E": "(t - w*x)**2"}))
    (True, False)
    """
    return any(sympy.S.Half in rhs.atoms(sympy.Rational) for rhs in exercise.equations.values())


def paired_variants(
    exercise: Exercise, gradient: SymbolicGradient, *, negated: bool, edits: Sequence[Variant]
) -> list[Variant]:
    """Two mistakes at once: the sign and a factor 2 together, or an edit of the path sum also off by 2 or ½.

    ``edits`` are :func:`gradient_edits` (each already also with its sign flipped). Tried only
    after every single mistake, so that one mistake is never reported as two.
    """
    hint = _HALF_HINT if loss_has_half(exercise) else ""
    reference = _adjoint(gradient.wrt, -1.0 if negated else 1.0)
    found = [Variant(s.kinds, s.feedback.format(hint=hint), _times(reference, s.factor)) for s in COMPOUND_SCALINGS[:2]]
    for scaling in SCALINGS[1:]:
        slip = scaling.feedback.format(hint=hint)
        for edit in edits:
            kinds = edit.kinds + scaling.kinds
            found.append(Variant(kinds, f"{edit.feedback}, and {slip}", _times(edit.value, scaling.factor)))
    return found


def _adjoint(name: str, sign: float) -> Rule:
    return lambda point: sign * point.adjoints[name]


def gradient_edits(
    exercise: Exercise, gradient: SymbolicGradient, *, negated: bool, numeric: bool, names_first: Collection[str] = ()
) -> list[Variant]:
    """The path sum edited: a path or a local factor left out, σ′ or e⁰ wrong, a spurious factor; each also negated.

    ``numeric`` adds e⁰ read as e, a slip made only when a number is put in; ``names_first``
    are the names a spurious factor is looked for among first (those the answer uses).
    """
    sign = -1.0 if negated else 1.0
    paths = [tuple(path.edges) for path in gradient.paths]
    found = []
    if gradient.paths_omitted == 0 and paths:
        found += _path_variants(gradient, paths, sign)
        found += _local_factor_variants(exercise, gradient.derivation.local, paths, sign, numeric)
    found += factor_variants(exercise, gradient.derivation.local, _adjoint(gradient.wrt, sign), names_first)
    flipped = [
        Variant((SIGN, *v.kinds), f"{v.feedback}, and the sign is flipped", _times(v.value, -1.0)) for v in found
    ]
    return found + flipped


EdgeChange = Callable[[Edge, float, Pass], float]  # an edge's value as the mistake has it


def _path_sum(
    point: Pass, paths: Sequence[tuple[Edge, ...]], skip: Collection[int] = (), change: EdgeChange | None = None
) -> float:
    """Σ over the paths not skipped of Π edge values (each possibly changed), summed over the samples."""
    total = []
    for edges in (sample.edges for sample in point.samples):
        for index, path in enumerate(paths):
            if index in skip:
                continue
            product = 1.0
            for edge in path:
                product *= change(edge, edges[edge], point) if change else edges[edge]
            total.append(product)
    return point.scale * math.fsum(total)


def _sum_rule(paths: Sequence[tuple[Edge, ...]], sign: float, skip: Collection[int] = (), change=None) -> Rule:
    return lambda point: sign * _path_sum(point, paths, skip, change)


def _path_variants(gradient: SymbolicGradient, paths: Sequence[tuple[Edge, ...]], sign: float) -> list[Variant]:
    count = len(paths)
    if count < 2:
        return []
    sizes = range(1, count) if count <= MAX_PATH_SUBSETS else [1]
    found = []
    for size in sizes:
        for missing in itertools.combinations(range(count), size):
            names = "; ".join(path_text(gradient.paths[i].nodes) for i in missing)
            word = "path" if size == 1 else "paths"
            found.append(Variant((MISSING_PATH,), f"missing the {word} {names}", _sum_rule(paths, sign, missing)))
    return found


def _on_edge(edge: Edge, wrong: Callable[[float, Pass], float]) -> EdgeChange:
    """The value of ``edge`` changed by ``wrong``; every other edge's as it is."""
    return lambda at, value, point: wrong(value, point) if at == edge else value


def _activation_slip(exercise: Exercise, edge: Edge) -> tuple[str, Callable[[float, Pass], float]] | None:
    """σ written for σ(1 − σ) (or tanh for 1 − tanh²) on an edge into a sigmoid or tanh node.

    The edge's value is σ′ times the inner derivative, so the slip multiplies it by σ/σ′.
    """
    child = edge[0]
    rhs = exercise.equations.get(child)
    if not isinstance(rhs, (Sigmoid, Tanh)) or len(rhs.args) != 1:
        return None
    ratio: Callable[[float], float]
    if isinstance(rhs, Sigmoid):
        right, ratio = f"{child}*(1 - {child})", lambda h: 1 / (1 - h)
    else:
        right, ratio = f"1 - {child}**2", lambda h: h / (1 - h * h)
    message = f"the derivative of {rhs.name} at {child} is {right}, not {child}"
    return message, lambda value, point: value * ratio(point.values[child])


def _e0_as_e(value: float, point: Pass) -> float:
    """e⁰ = 1 read as e: a factor that is exactly 1 at the point becomes e."""
    return math.e if value == 1.0 else value


def _local_factor_variants(
    exercise: Exercise, local: Mapping[Edge, sympy.Expr], paths: Sequence[tuple[Edge, ...]], sign: float, numeric: bool
) -> list[Variant]:
    """A local factor on the paths left out, σ′ written σ, or e⁰ read as e in it."""
    found = []
    edges = list(dict.fromkeys(edge for path in paths for edge in path))
    for edge in edges:
        factor = local[edge]
        if factor == 1 or factor == -1:
            continue  # leaving out a factor of ±1 changes nothing (or is the sign)
        label = f"∂{edge[0]}/∂{edge[1]} = {plain(factor)}"
        left_out = _on_edge(edge, lambda value, point: 1.0)
        found.append(
            Variant((MISSING_FACTOR,), f"the local factor {label} is missing", _sum_rule(paths, sign, (), left_out))
        )
        slip = _activation_slip(exercise, edge)
        if slip:
            message, wrong = slip
            found.append(Variant((ACTIVATION,), message, _sum_rule(paths, sign, (), _on_edge(edge, wrong))))
        if numeric and factor.has(sympy.exp):
            found.append(
                Variant((E0_AS_E,), f"e⁰ taken as e in {label}", _sum_rule(paths, sign, (), _on_edge(edge, _e0_as_e)))
            )
    exp_edges = {edge for edge in edges if local[edge].has(sympy.exp)}
    if numeric and exp_edges:

        def every_exp_edge(edge: Edge, value: float, point: Pass) -> float:
            return _e0_as_e(value, point) if edge in exp_edges else value

        found.append(Variant((E0_AS_E,), "e⁰ taken as e", _sum_rule(paths, sign, (), every_exp_edge)))
    return found


def _factor_candidates(
    exercise: Exercise, local: Mapping[Edge, sympy.Expr], names_first: Collection[str]
) -> list[tuple[str, Rule]]:
    """Names and local derivatives that could be a factor too many or too few, each with its value rule.

    Downstream names come first (h2 = relu(Z2) has Z2's value, and a lecture names h2), and
    before them any names the stated form itself uses.
    """
    names = sorted(reversed(exercise.graph.names), key=lambda n: n not in names_first)
    found: list[tuple[str, Rule]] = [(name, _node_value(name)) for name in names if name != exercise.loss]
    for edge, factor in list(local.items())[:MAX_EXTRA_FACTORS]:
        if factor.is_Symbol or factor.is_number:
            continue  # a name is covered above; a number is a factor-of-k slip
        found.append((f"{plain(factor)} (∂{edge[0]}/∂{edge[1]})", _edge_value(edge)))
    # The other half of σ′ = h(1 - h) put beside an h already there: -(y_t - y)*h2*(1 - h2) for ∂E/∂w4.
    for name in names:
        if isinstance(exercise.equations.get(name), Sigmoid):
            found.append((f"1 - {name} (half of σ′ at {name}, {name}*(1 - {name}))", _one_minus(name)))
    return found


def _one_minus(name: str) -> Rule:
    return lambda point: 1.0 - point.values[name]


def _node_value(name: str) -> Rule:
    return lambda point: point.values[name]


def _edge_value(edge: Edge) -> Rule:
    return lambda point: point.edges[edge]


def factor_variants(
    exercise: Exercise,
    local: Mapping[Edge, sympy.Expr],
    reference: Rule,
    names_first: Collection[str] = (),
    *,
    missing: bool = False,
) -> list[Variant]:
    """A spurious factor, or with ``missing`` one left out: a name of the graph, or the local derivative of an edge."""
    kind, message, combine = (
        (MISSING_FACTOR, "the factor {} is missing", operator.truediv)
        if missing
        else (EXTRA_FACTOR, "a spurious factor {}", operator.mul)
    )
    return [
        Variant((kind,), message.format(label), _combined(reference, rule, combine))
        for label, rule in _factor_candidates(exercise, local, names_first)
    ]


def _combined(reference: Rule, factor: Rule, combine: Callable[[float, float], float]) -> Rule:
    return lambda point: combine(reference(point), factor(point))


def _constant(value: float, point: Pass) -> float:
    return value


def first_match(variants: Sequence[Variant], matches: Callable[[Variant], bool]) -> Variant | None:
    """The first variant ``matches`` accepts; a variant with no value where it is asked for is passed over."""
    for variant in variants:
        try:
            if matches(variant):
                return variant
        except (ArithmeticError, ValueError, KeyError):
            continue
    return None


def rounded_early(
    exercise: Exercise,
    local: Mapping[Edge, sympy.Expr],
    leaves: Mapping[str, float],
    reference: Rule,
    matches: Callable[[float], bool],
) -> Variant | None:
    """Every node value rounded to d significant figures as it is computed, for the fewest d that ``matches``.

    The rounding is decimal (:func:`symbackprop.judge.precision.decimal_significant`): a
    diagnosis must not rest on a float's binary noise.
    """
    for digits in range(1, MAX_ROUNDING_DIGITS + 1):
        try:
            rounded = evaluate_sample(
                exercise, local, leaves, rounding=functools.partial(decimal_significant, digits=digits)
            )
            target = reference(single_sample(exercise, rounded))
        except (SymbackpropError, ArithmeticError, ValueError):
            continue
        if matches(target):
            figures = "figure" if digits == 1 else "figures"
            message = f"rounded too early: what node values rounded to {digits} significant {figures} give"
            return Variant((ROUNDED_EARLY,), message, functools.partial(_constant, target))
    return None
