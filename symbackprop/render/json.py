"""The machine contract: derivations as plain data for ``--json`` (SPEC §3)."""

from __future__ import annotations

from symbackprop.engine.derivation import Derivation, Gradient
from symbackprop.render.plain import plain

FORMS = ("chain", "paths", "delta", "closed", "all")


def gradient_dict(gradient: Gradient) -> dict:
    """One gradient in the fields of SPEC §3, plus the δ recursion and the exact value."""
    data: dict = {
        "local": gradient.local_text(),
        "value": gradient.value,
        "paths": [
            {
                "nodes": list(path.nodes),
                "factors": [plain(factor) for factor in path.factors],
                "product": path.product_text(),
                "value": path.value,
            }
            for path in gradient.paths
        ],
        "paths_total": gradient.paths_total,
        "paths_omitted": gradient.paths_omitted,
        "chain": [path.chain_text() for path in gradient.paths],
        "delta": [
            {
                "node": step.node,
                "terms": [{"child": child, "local": plain(local)} for child, local in step.terms],
                "value": step.value,
            }
            for step in gradient.delta
        ],
    }
    exact = gradient.exact
    data["closed"] = plain(gradient.closed)
    data["exact"] = plain(exact) if exact is not None else None
    return data


def derivation_dict(derivation: Derivation, gradients: dict[str, Gradient]) -> dict:
    """``derive --json``: the exercise, the loss, the point and each gradient."""
    point, exercise = derivation.point, derivation.exercise
    found = {
        "exercise": exercise.id,
        "loss": exercise.loss,
        "point": {name: float(value) for name, value in point.items()} if point is not None else None,
    }
    if exercise.data:  # the formulas are one sample's, the values their sum or mean over these
        found["data"] = {name: [float(v) for v in values] for name, values in exercise.data.items()}
        found["reduce"] = exercise.reduce
    return found | {"gradients": {name: gradient_dict(gradient) for name, gradient in gradients.items()}}
