"""What explains a wrong stated value: a mistake of the catalog (:mod:`symbackprop.judge.mistakes`),
else one a worked example makes: a wrong update, another quantity's value, a node's value
for its derivative, one name in place of another.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Collection, Sequence
from dataclasses import replace

from symbackprop.auditing.formulas import expected, formula_values, updated
from symbackprop.auditing.keys import StatedKey
from symbackprop.auditing.recompute import Recomputation
from symbackprop.engine.evaluation import Pass
from symbackprop.exercise.quantities import Quantity
from symbackprop.judge.equivalence import same_values, value_at, within_absolute
from symbackprop.judge.mistakes import (
    E0_AS_E,
    FACTOR_2,
    Rule,
    Variant,
    factor_variants,
    first_match,
    gradient_edits,
    quantity_value,
    rounded_early,
    scaled_variants,
)
from symbackprop.parse.printer import plain

# A factor that moves the true value by less than this many times the stated number's rounding
# error is too close to 1 to name: "a spurious factor h (= 0.98)" would explain nothing.
FACTOR_MARGIN = 4.0


def reference_rule(rec: Recomputation, key: StatedKey) -> Rule:
    """The key's true value at any point of the graph."""
    q = key.quantity
    sign = -1.0 if q.negated else 1.0
    if not q.gradient or key.of == rec.ex.loss:
        return functools.partial(quantity_value, q)
    if (key.of, q.name) in rec.derivation.local:
        return lambda point: sign * point.edges[key.of, q.name]
    truth = expected(rec, key)

    def closed(point: Pass) -> float:
        value = value_at(truth, point, rec.ex.symbols)
        if value is None:
            raise ValueError(f"{key.quantity.key} has no value here")
        return value

    return closed


def edits(rec: Recomputation, key: StatedKey, *, numeric: bool, names_first: Collection[str] = ()) -> list[Variant]:
    """The catalog's mistakes other than a constant factor: paths, local factors, spurious or missing factors."""
    q = key.quantity
    local = rec.derivation.local
    reference = reference_rule(rec, key)
    if q.gradient and key.of == rec.ex.loss:
        gradient = rec.derivation.gradient(q.name)
        found = gradient_edits(rec.ex, gradient, negated=q.negated, numeric=numeric, names_first=names_first)
    else:
        found = factor_variants(rec.ex, local, reference, names_first)
    return found + factor_variants(rec.ex, local, reference, names_first, missing=True)


def diagnose_number(rec: Recomputation, key: StatedKey, stated: float, tolerance: float, exact: float) -> str:
    """What explains a wrong number: a mistake of the catalog, a wrong update, another stated quantity."""
    found = _explaining(rec, key, stated, tolerance, exact, rec.exact[key.step][1])
    if found is not None:
        return _worded(found, exact)
    q = key.quantity
    if not q.gradient and q.step > 0 and q.name in rec.ex.params and rec.lr:
        return diagnose_update(rec, key, stated, tolerance)
    for other in rec.keys.values():  # the value of another stated quantity, put here
        if other.step == q.step and other.quantity.label != q.label:
            value = rec.value(other, rec.exact)
            if within_absolute(stated, value, tolerance):
                return f"this is {other.quantity.label} = {value:.6g}, not {q.label}"
    return _rounded_too_early(rec, key, stated, tolerance, exact)


def _worded(found: Variant, exact: float) -> str:
    """A mistake's feedback, with e⁰ read as e and a factor 2 on top said in the order they were made.

    The catalog's "e⁰ taken as e, and off by a factor of ½" reads as half the true value;
    the lecture's −e for −2 is the e it wrote (−2e), and then a 2 dropped.
    """
    if set(found.kinds) == {E0_AS_E, FACTOR_2}:
        return f"e⁰ taken as e, which gives {math.e * exact:.6g}; then a factor 2 dropped (the true value is {exact:g})"
    return found.feedback


def _rounded_too_early(rec: Recomputation, key: StatedKey, stated: float, tolerance: float, exact: float) -> str:
    """Every intermediate rounded to a few figures as the lecture went (one sample: not with ``[data]``)."""
    if rec.ex.data:
        return ""

    def stands_for(target: float) -> bool:
        return not within_absolute(target, exact, tolerance) and within_absolute(stated, target, tolerance)

    leaves = rec.exact[key.step][0]
    found = rounded_early(rec.ex, rec.derivation.local, leaves, reference_rule(rec, key), stands_for)
    return "" if found is None else found.feedback


def _explaining(
    rec: Recomputation, key: StatedKey, stated: float, tolerance: float, exact: float, point: Pass
) -> Variant | None:
    """The first mistake of the catalog whose value at ``point`` the stated number stands for."""

    def explains(variant: Variant, margin: float) -> bool:
        target = variant.value(point)
        return abs(target - exact) > margin and within_absolute(stated, target, tolerance)

    scalings = scaled_variants(reference_rule(rec, key), gradient=key.quantity.gradient, compound=True)
    return first_match(scalings, lambda v: explains(v, 1e-12)) or first_match(
        edits(rec, key, numeric=True), lambda v: explains(v, FACTOR_MARGIN * tolerance)
    )


def diagnose_update(rec: Recomputation, key: StatedKey, stated: float, tolerance: float) -> str:
    """A wrong param after a step, read back as the gradient the update used."""
    assert rec.lr  # only asked for with a learning rate
    q = key.quantity
    before = f"{q.name}@{q.step - 1}"
    previous = rec.exact[q.step - 1][0][q.name]
    for name, known in rec.keys.items():
        if known.quantity.name == q.name and not known.quantity.gradient and known.step == q.step - 1:
            number = rec.stated_number(name)
            previous = number if number is not None else previous
    implied = (previous - stated) / rec.lr
    label = f"d{rec.ex.loss}/d{q.name}@{q.step - 1}"
    gradient_key = StatedKey(Quantity(label, q.name, gradient=True, step=q.step - 1), rec.ex.loss)
    point = rec.exact[q.step - 1][1]
    gradient = point.adjoints[q.name]
    found = _explaining(rec, gradient_key, implied, tolerance / rec.lr, gradient, point)
    mean = _mean_rule(rec, implied, gradient, tolerance / rec.lr)
    if found is None and mean:
        return f"the update implies {label} = {implied:.6g}, not {gradient:.6g}: {mean}"
    if found is None:
        return f"the update from {before} = {previous:g} implies {label} = {implied:.6g}, not {gradient:.6g}"
    return f"the update implies {label} = {implied:.6g}: {found.feedback}"


def _mean_rule(rec: Recomputation, implied: float, gradient: float, tolerance: float) -> str:
    """γ/n in an update of a loss summed over n samples (lecture 002): the mean's rule, not the sum's."""
    n, loss = rec.ex.samples, rec.ex.loss
    if n < 2 or rec.ex.reduce != "sum":
        return ""
    for divisor, also in ((n, ""), (2 * n, ", and without the 2 of the square")):
        if within_absolute(implied, gradient / divisor, tolerance):
            return f"the rule divides by n = {n} (γ/n){also}, but {loss} sums over the {n} samples"
    return ""


def repeated_factor(rec: Recomputation, key: StatedKey, stated: Sequence[float | None]) -> str:
    """A chain with one local factor written twice, in place of another of the same path.

    Deck 004 labels its factors ①, ②, ③ and multiplies "①×②×②" for ∂E/∂w5.
    """
    q = key.quantity
    if not q.gradient or key.of != rec.ex.loss or rec.ex.data:
        return ""
    paths = rec.derivation.gradient(q.name).paths
    sign = -1.0 if q.negated else 1.0
    for index, path in enumerate(paths):
        edges = path.edges
        for twice, missing in itertools.permutations(range(len(edges)), 2):
            chosen = [edges[twice] if k == missing else edge for k, edge in enumerate(edges)]

            def value(point: Pass, chosen: list = chosen, index: int = index) -> float:
                others = sum(math.prod(point.edges[e] for e in p.edges) for k, p in enumerate(paths) if k != index)
                return sign * (others + math.prod(point.edges[e] for e in chosen))

            if same_values(stated, [value(point) for point in rec.points]):
                top, bottom = edges[twice]
                gone_top, gone_bottom = edges[missing]
                local = plain(rec.derivation.local[edges[missing]])
                return f"d{top}/d{bottom} is written twice, in place of d{gone_top}/d{gone_bottom} = {local}"
    return ""


def diagnose_rule(rec: Recomputation, key: StatedKey, stated: Sequence[float | None]) -> str:
    """A wrong update rule: the gradient added, or η left out (deck 004 writes w := w + ∂E/∂w5)."""
    assert rec.lr is not None  # only asked of an update
    name, loss, lr = key.quantity.name, rec.ex.loss, rec.lr
    rules = {
        "the update adds the gradient; it subtracts it": lambda p: p.values[name] + lr * p.adjoints[name],
        "the update leaves out the learning rate": lambda p: p.values[name] - p.adjoints[name],
        "the update adds the gradient and leaves out the learning rate": lambda p: p.values[name] + p.adjoints[name],
    }
    for feedback, rule in rules.items():
        if same_values(stated, [rule(point) for point in rec.points]):
            return f"{feedback}: {name} := {name} - η·d{loss}/d{name} with η = {lr:g}"
    return ""


def diagnose_formula(rec: Recomputation, key: StatedKey, stated: Sequence[float | None], used: Collection[str]) -> str:
    """What explains a wrong formula, from its values at the comparison points and the names it uses."""
    if updated(rec, key):
        return diagnose_rule(rec, key, stated)
    points = rec.points
    truth = formula_values(rec, expected(rec, key))

    def explains(variant: Variant) -> bool:
        return bool(same_values(stated, [variant.value(point) for point in points]))

    reference = reference_rule(rec, key)
    variants = scaled_variants(reference, gradient=key.quantity.gradient, compound=True)
    found = first_match(variants + edits(rec, key, numeric=False, names_first=used), explains)
    if found is not None:
        return found.feedback
    repeated = repeated_factor(rec, key, stated)
    if repeated:
        return repeated
    q = key.quantity
    if q.gradient:
        itself = expected(rec, StatedKey(replace(q, gradient=False, name=key.of), key.of))
        if same_values(stated, formula_values(rec, itself)):
            return f"this is {key.of} itself, not its derivative"
    names = sorted(reversed(rec.ex.graph.names), key=lambda n: n not in used)
    values = {name: [point.values[name] for point in points] for name in names}
    named = [name for name in names if same_values(stated, values[name])]
    meant = [name for name in names if same_values(truth, values[name])]
    if named and meant:
        return f"{named[0]} in place of {meant[0]}"
    return ""
