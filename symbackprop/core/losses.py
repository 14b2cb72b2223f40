"""The losses of the lectures, written out over lists of targets and outputs."""

from __future__ import annotations

from collections.abc import Callable

import sympy


def half_sse(targets, outputs):
    """½ Σ (t − y)², the loss of lectures 001, 003 and 004.

    >>> from sympy import symbols
    >>> t, y = symbols("t y")
    >>> half_sse([t], [y])
    (t - y)**2/2
    """
    return sympy.Add(*[(t - y) ** 2 for t, y in zip(targets, outputs, strict=True)]) / 2


def sse(targets, outputs):
    """Σ (t − y)²."""
    return sympy.Add(*[(t - y) ** 2 for t, y in zip(targets, outputs, strict=True)])


def mse(targets, outputs):
    """(1/n) Σ (t − y)²."""
    return sse(targets, outputs) / len(outputs)


def bce(targets, outputs):
    """−Σ [t log y + (1 − t) log(1 − y)], binary cross-entropy of sigmoid outputs."""
    return -sympy.Add(*[t * sympy.log(y) + (1 - t) * sympy.log(1 - y) for t, y in zip(targets, outputs, strict=True)])


def cce(targets, outputs):
    """−Σ t log y, cross-entropy of softmax outputs."""
    return -sympy.Add(*[t * sympy.log(y) for t, y in zip(targets, outputs, strict=True)])


LOSSES: dict[str, Callable] = {"half_sse": half_sse, "sse": sse, "mse": mse, "bce": bce, "cce": cce}
