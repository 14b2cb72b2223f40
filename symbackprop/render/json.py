"""The machine contract: derivations as plain data for ``--json`` (SPEC §3)."""

from __future__ import annotations

from symbackprop.engine.derivation import Derivation, Gradient, values_to_show
from symbackprop.engine.symbolic import CLOSED_MAX_SIZE, SymbolicDerivation, SymbolicGradient
from symbackprop.parse.printer import plain
from symbackprop.render.plain import delta_negated, memoized


def gradient_dict(gradient: SymbolicGradient, closed_limit: int | None = CLOSED_MAX_SIZE, text=plain) -> dict:
    """One gradient in the fields of SPEC §3, plus the δ recursion and the exact value.

    Each δ step has ``value`` (∂L/∂node) and ``delta``, the node's δ under the exercise's
    ``delta_sign`` (null on the param's own step, which is ∂L/∂P).

    Without a point (an ad-hoc graph) every value is null. ``closed`` is null when the closed
    form has more than ``closed_limit`` nodes (None: no limit); ``closed_size`` always says how many.
    ``text`` is the plain printer, memoized by a caller that prints many gradients.
    """
    values = values_to_show(gradient)
    sign = -1.0 if delta_negated(gradient.derivation.exercise.conventions.delta_sign) else 1.0
    closed = gradient.closed_within(closed_limit)
    exact = gradient.exact if isinstance(gradient, Gradient) else None
    return {
        "local": gradient.path_sum_text(text),
        "value": values.value,
        "paths": [
            {
                "nodes": list(path.nodes),
                "factors": [text(factor) for factor in path.factors],
                "product": path.product_text(text),
                "value": value,
            }
            for path, value in zip(gradient.paths, values.paths, strict=True)
        ],
        "paths_total": gradient.paths_total,
        "paths_omitted": gradient.paths_omitted,
        "chain": [path.chain_text() for path in gradient.paths],
        "delta": [
            {
                "node": step.node,
                "terms": [{"child": child, "local": text(local)} for child, local in step.terms],
                "value": value,  # ∂L/∂node, whatever the δ sign
                # δ of the node under the exercise's delta_sign; the param's own step is ∂L/∂P, no δ.
                "delta": None if value is None or step.node == gradient.wrt else sign * value,
            }
            for step, value in zip(gradient.delta, values.delta, strict=True)
        ],
        "closed": plain(closed) if closed is not None else None,
        "closed_size": gradient.closed_size,
        "exact": plain(exact) if exact is not None else None,
    }


def derivation_dict(
    derivation: SymbolicDerivation, gradients: dict[str, SymbolicGradient], closed_limit: int | None = CLOSED_MAX_SIZE
) -> dict:
    """``derive --json``: the exercise, the loss, the point (null without one) and each gradient."""
    exercise = derivation.exercise
    text = memoized(plain)  # the params' paths share their edges: each local factor is printed once
    point = derivation.point if isinstance(derivation, Derivation) else None
    found: dict = {
        "exercise": exercise.id,
        "loss": exercise.loss,
        "point": {name: float(value) for name, value in point.items()} if point is not None else None,
        "closed_limit": closed_limit,  # the bound past which a gradient's closed is null (null: none)
        "delta_sign": exercise.conventions.delta_sign,  # each δ step's "delta" is ∂L/∂node, or its negative
    }
    if exercise.data:  # the formulas are one sample's, the values their sum or mean over these
        found["data"] = {name: [float(v) for v in values] for name, values in exercise.data.items()}
        found["reduce"] = exercise.reduce
    return found | {
        "gradients": {name: gradient_dict(gradient, closed_limit, text) for name, gradient in gradients.items()}
    }
