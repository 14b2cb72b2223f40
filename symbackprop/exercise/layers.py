"""``[layers]``: a fully connected network expanded into the scalar equations of lecture 001.

Unit i of layer l computes ``net{l}_{i} = Σ_j W{l}_{ij}·x{l-1}_{j} + b{l}_{i}`` and
``x{l}_{i} = act(net{l}_{i})``: W^l_{ij} connects unit j of layer l − 1 to unit i of layer l,
the index order of lecture 001 (and of 004's matrices). Layer 0 is the input, the last layer's
``x{L}_{i}`` are the outputs y_i, ``t_{i}`` the targets and ``L`` the loss. Once expanded, the
network is an ordinary graph: derive, train and audit see nothing special.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import sympy

from symbackprop.core.functions import RegistryView
from symbackprop.core.losses import LOSSES
from symbackprop.errors import SymbackpropError, is_finite_number, refuse_unknown_keys
from symbackprop.parse.printer import plain

LOSS_NAME = "L"
# Activations a layer may use: none at all, and every activation registered (read live, so that
# one defined later counts too).
ACTIVATIONS = RegistryView(lambda cls: (cls.name, cls), fixed={"identity": None})
_KEYS = ("sizes", "activation", "bias", "loss", "weights", "biases")
MAX_WEIGHTS = 2_000  # the lectures' largest net has 8; symbolic chain rules of more take minutes


@dataclass(frozen=True)
class Expansion:
    """What ``[layers]`` expands into: ordered equations, the params, their initial values, the loss."""

    equations: list[tuple[str, str]]
    params: list[str]
    point: dict[str, object]
    loss: str


def _index(*indices: int, wide: bool) -> str:
    # W1_12 as lecture 001 writes W¹₁₂; with ten or more units per layer the digits would
    # run together (W1_112), so each index then gets its own underscore.
    return "_".join(str(i) for i in indices) if wide else "".join(str(i) for i in indices)


def weight_name(layer: int, i: int, j: int, wide: bool = False) -> str:
    """The weight from unit j of layer − 1 to unit i of ``layer``.

    >>> weight_name(1, 1, 2)
    'W1_12'
    """
    return f"W{layer}_{_index(i, j, wide=wide)}"


def expand(table: dict, *, source: str | None = None) -> Expansion:
    """The scalar equations of a ``[layers]`` table (SPEC §2).

    >>> e = expand({"sizes": [2, 1], "activation": "sigmoid", "weights": [[[0.5, -1]]]})
    >>> e.equations
    [('net1_1', 'W1_11*x0_1 + W1_12*x0_2'), ('x1_1', 'sigmoid(net1_1)'), ('L', '(t_1 - x1_1)**2/2')]
    >>> e.params, e.point
    (['W1_11', 'W1_12'], {'W1_11': 0.5, 'W1_12': -1})
    """
    refuse_unknown_keys(table, _KEYS, source=source, prefix="layers")
    sizes = _sizes(table, source)
    activations = _activations(table, len(sizes) - 1, source)
    bias = table.get("bias", False)
    if not isinstance(bias, bool):
        raise SymbackpropError(f"expected true or false, not {bias!r}", source=source, key="layers.bias")
    loss = table.get("loss", "half_sse")
    if not isinstance(loss, str) or loss not in LOSSES:
        raise SymbackpropError(f"unknown loss {loss!r} (known: {', '.join(LOSSES)})", source=source, key="layers.loss")
    if loss == "cce" and activations[-1] != "softmax":
        raise SymbackpropError("cce needs a softmax output layer", source=source, key="layers.loss")
    wide = max(sizes) > 9
    equations: list[tuple[str, str]] = []
    params: list[str] = []
    for layer in range(1, len(sizes)):
        nets = []
        for i in range(1, sizes[layer] + 1):
            terms = []
            for j in range(1, sizes[layer - 1] + 1):
                weight = weight_name(layer, i, j, wide)
                params.append(weight)
                terms.append(f"{weight}*x{layer - 1}_{j}")
            if bias:
                params.append(f"b{layer}_{i}")
                terms.append(f"b{layer}_{i}")
            nets.append(f"net{layer}_{i}")
            equations.append((nets[-1], " + ".join(terms)))
        for i, net in enumerate(nets, 1):
            equations.append((f"x{layer}_{i}", _activate(activations[layer - 1], i, net, nets)))
    last = len(sizes) - 1
    outputs = [sympy.Symbol(f"x{last}_{i}") for i in range(1, sizes[last] + 1)]
    targets = [sympy.Symbol(f"t_{i}") for i in range(1, sizes[last] + 1)]
    equations.append((LOSS_NAME, plain(LOSSES[loss](targets, outputs))))
    point = _initial(table, "weights", sizes, source, lambda layer, i, j: weight_name(layer, i, j, wide))
    if bias:
        point |= _initial(table, "biases", sizes, source, lambda layer, i, _: f"b{layer}_{i}")
    elif "biases" in table:
        raise SymbackpropError("biases given but bias = false", source=source, key="layers.biases")
    return Expansion(equations, params, point, LOSS_NAME)


@dataclass(frozen=True)
class Structure:
    """What ``[layers]`` says about the net's shape: units per layer, each layer's activation, biases, loss."""

    sizes: tuple[int, ...]
    activations: tuple[str, ...]  # one per layer after the input
    bias: bool
    loss: str


def structure(table: dict, *, source: str | None = None) -> Structure:
    """The shape of a ``[layers]`` table (checked as :func:`expand` checks it).

    >>> structure({"sizes": [2, 2, 1], "activation": ["tanh", "sigmoid"]})
    Structure(sizes=(2, 2, 1), activations=('tanh', 'sigmoid'), bias=False, loss='half_sse')
    """
    expand({key: value for key, value in table.items() if key not in ("weights", "biases")}, source=source)
    sizes = _sizes(table, source)
    activations = _activations(table, len(sizes) - 1, source)
    return Structure(tuple(sizes), tuple(activations), bool(table.get("bias", False)), table.get("loss", "half_sse"))


def _activate(name: str, i: int, net: str, nets: list[str]) -> str:
    if name == "identity":
        return net
    if name == "softmax":
        return f"softmax({i}, {', '.join(nets)})"
    return f"{name}({net})"


def _sizes(table: dict, source: str | None) -> list[int]:
    sizes = table.get("sizes")
    if (
        not isinstance(sizes, list)
        or len(sizes) < 2
        or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in sizes)
    ):
        raise SymbackpropError(
            f"expected a list of at least two unit counts ≥ 1, like [2, 2, 1], not {sizes!r}",
            source=source,
            key="layers.sizes",
        )
    weights = sum(before * after for before, after in itertools.pairwise(sizes))
    if weights > MAX_WEIGHTS:
        raise SymbackpropError(
            f"{weights} weights: at most {MAX_WEIGHTS}, every one a symbol and an equation",
            source=source,
            key="layers.sizes",
        )
    return sizes


def _activations(table: dict, count: int, source: str | None) -> list[str]:
    given = table.get("activation", "sigmoid")
    names = [given] * count if isinstance(given, str) else given
    if not isinstance(names, list) or len(names) != count:
        raise SymbackpropError(
            f"expected one activation name or a list of {count} (one per layer after the input)",
            source=source,
            key="layers.activation",
        )
    for index, name in enumerate(names):
        if name not in ACTIVATIONS:
            raise SymbackpropError(
                f"unknown activation {name!r} (known: {', '.join(ACTIVATIONS)})", source=source, key="layers.activation"
            )
        if name == "softmax" and index != count - 1:
            raise SymbackpropError("softmax is for the output layer only", source=source, key="layers.activation")
    return names


def _initial(table: dict, key: str, sizes: list[int], source: str | None, name_of) -> dict[str, object]:
    """Initial values: one list per layer, ``weights[l-1][i-1][j-1]`` = W^l_ij, ``biases[l-1][i-1]`` = b^l_i."""
    if key not in table:
        return {}  # then [at] must give them; a missing value is reported there
    given = table[key]
    where = f"layers.{key}"
    if not isinstance(given, list) or len(given) != len(sizes) - 1:
        raise SymbackpropError(
            f"expected one list per layer after the input ({len(sizes) - 1})", source=source, key=where
        )
    point: dict[str, object] = {}
    for layer, rows in enumerate(given, 1):
        if key == "biases":
            rows = [[value] for value in rows] if isinstance(rows, list) else rows
        columns = 1 if key == "biases" else sizes[layer - 1]
        shape = f"{sizes[layer]}×{columns}" if key == "weights" else f"{sizes[layer]} values"
        if not isinstance(rows, list) or len(rows) != sizes[layer]:
            raise SymbackpropError(f"layer {layer}: expected {shape}", source=source, key=where)
        for i, row in enumerate(rows, 1):
            if not isinstance(row, list) or len(row) != columns:
                raise SymbackpropError(f"layer {layer}: expected {shape}", source=source, key=where)
            for j, value in enumerate(row, 1):
                if not (isinstance(value, str) or is_finite_number(value)):  # a string is read as a constant later
                    raise SymbackpropError(f"layer {layer}: {value!r} is not a finite number", source=source, key=where)
                point[name_of(layer, i, j)] = value
    return point
