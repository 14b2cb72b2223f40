"""∂L/∂w for a ``[vectors]`` param vector: in the terminal, as JSON and as LaTeX (lecture 002's notation)."""

from __future__ import annotations

import itertools

from symbackprop.engine.vectors import VectorGradient, vector_gradients
from symbackprop.parse.printer import plain
from symbackprop.render.latex import latex, latex_name, printer
from symbackprop.render.plain import pretty_name, unicode


def _number(value: float) -> str:
    return f"{value + 0.0:.6g}"  # + 0.0: never "-0"


def vector_lines(gradient: VectorGradient, loss: str) -> list[str]:
    """The chain rule, ∂a/∂w, the value and the update, one line each, for the terminal."""
    name, lhs = gradient.name, f"∂{pretty_name(loss)}/∂{gradient.name}"
    lines = []
    if gradient.chain:
        steps = [f"∂{pretty_name(top)}/∂{pretty_name(bottom)}" for top, bottom in itertools.pairwise(gradient.chain)]
        lines.append(f"{lhs} = {' · '.join(steps)} · ∂{pretty_name(gradient.chain[-1])}/∂{name}   (chain rule)")
    if gradient.node is not None:
        entries = ", ".join(unicode(local) for local in gradient.local)
        equals = f"{gradient.local_vector} = " if gradient.local_vector else ""
        lines.append(f"∂{pretty_name(gradient.node)}/∂{name} = {equals}[{entries}]")
    if gradient.values is not None:
        lines.append(f"{lhs} = [{', '.join(_number(value) for value in gradient.values)}]")
    if gradient.updated is not None:
        lines.append(
            f"{name} ← {name} − γ·{lhs} = [{', '.join(_number(value) for value in gradient.updated)}]"
            f"   (γ = {_number(gradient.lr or 0.0)})"
        )
    return lines


def vector_dict(gradient: VectorGradient) -> dict:
    """One vector's gradient as JSON (``derive --json``'s ``vectors``)."""
    return {
        "name": gradient.name,
        "entries": list(gradient.entries),
        "node": gradient.node,
        "chain": list(gradient.chain),
        "local": [plain(local) for local in gradient.local],
        "local_equals": gradient.local_vector,
        "value": list(gradient.values) if gradient.values is not None else None,
        "lr": gradient.lr,
        "updated": list(gradient.updated) if gradient.updated is not None else None,
    }


def vector_latex(gradients: list[VectorGradient], loss: str) -> str:
    """Each vector's ∂L/∂w as an align* block: chain rule, ∂a/∂w, value, update."""
    number = printer().number  # in math as the worked solution prints values: 1.5 \times 10^{-7}, never -0
    blocks = []
    for gradient in gradients:
        bold = rf"\mathbf{{{latex_name(gradient.name)}}}"
        lhs = rf"\frac{{\partial {latex_name(loss)}}}{{\partial {bold}}}"
        lines = []
        if gradient.chain:
            steps = [
                rf"\frac{{\partial {latex_name(top)}}}{{\partial {latex_name(bottom)}}}"
                for top, bottom in itertools.pairwise(gradient.chain)
            ]
            last = rf"\frac{{\partial {latex_name(gradient.chain[-1])}}}{{\partial {bold}}}"
            lines.append(rf"{lhs} &= {' '.join(steps)} {last}")
        if gradient.node is not None:
            column = r" \\ ".join(latex(local) for local in gradient.local)
            equals = rf"\mathbf{{{latex_name(gradient.local_vector)}}} = " if gradient.local_vector else ""
            node = latex_name(gradient.node)
            lines.append(
                rf"\frac{{\partial {node}}}{{\partial {bold}}} &= {equals}\begin{{bmatrix}} {column} \end{{bmatrix}}"
            )
        if gradient.values is not None:
            column = r" \\ ".join(number(value) for value in gradient.values)
            lines.append(rf"{lhs} &= \begin{{bmatrix}} {column} \end{{bmatrix}}")
        if gradient.updated is not None:
            column = r" \\ ".join(number(value) for value in gradient.updated)
            lines.append(
                rf"{bold} &\leftarrow {bold} - \gamma {lhs} = \begin{{bmatrix}} {column} \end{{bmatrix}}"
                rf" \quad (\gamma = {number(gradient.lr or 0.0)})"
            )
        if lines:
            blocks.append("\\begin{align*}\n" + " \\\\\n".join(lines) + "\n\\end{align*}")
    return "\n\n".join(blocks)


def vectors_json(derivation) -> dict:
    """``derive --json``'s ``vectors`` for an exercise that declares [vectors] (nothing otherwise)."""
    if not derivation.exercise.vectors:
        return {}
    return {"vectors": [vector_dict(gradient) for gradient in vector_gradients(derivation)]}
