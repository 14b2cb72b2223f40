"""What an activation is: the base class that registers it, and the tables read from the registry.

An activation is one subclass of :class:`ActivationBase` (see :mod:`symbackprop.core.functions`
for the library's own). Defining it with a ``name`` registers it in :data:`ACTIVATIONS`; the
plain parser's :data:`FUNCTIONS`, the LaTeX reader (:func:`latex_macro`), the terminal's
:data:`UNICODE_NAMES`, ``[layers]`` (each a :class:`RegistryView`), the LaTeX printer, the float
evaluator and the NumPy checker all read it from there, so adding an activation touches one place.

Where a derivative does not exist (ReLU at 0, a tie in ``max``), the value used is a
*convention*, read from :class:`Conventions` while derivatives are taken.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, fields
from typing import Any, ClassVar, TypeVar

import sympy
from sympy import Function, Heaviside

from symbackprop.errors import SymbackpropError, is_finite_number

DELTA_SIGNS = ("dL/dnet", "-dL/dnet")  # δ = ∂L/∂net, or lecture 001's δ = −∂L/∂net


@dataclass(frozen=True)
class Conventions:
    """Values taken for derivatives at points where they do not exist (PyTorch's by default), and δ's sign.

    ``leaky_relu_grad_at_zero`` of ``None`` means the function's own slope β, as PyTorch takes it.
    ``delta_sign`` is the error term's sign convention: ``"dL/dnet"`` (δ = ∂L/∂net, the default)
    or ``"-dL/dnet"`` (lecture 001's δ = −∂L/∂net).

    >>> Conventions().relu_grad_at_zero, Conventions.from_mapping({"delta_sign": "-dL/dnet"}).delta_sign
    (0.0, '-dL/dnet')
    """

    relu_grad_at_zero: float = 0.0
    leaky_relu_grad_at_zero: float | None = None
    step_grad_at_zero: float = 0.0
    max_grad_at_tie: float = 0.5
    abs_grad_at_zero: float = 0.0
    delta_sign: str = "dL/dnet"

    @classmethod
    def from_mapping(cls, values: dict[str, object]) -> Conventions:
        """Conventions from an exercise's ``[conventions]`` table; unknown keys are errors."""
        known = {field.name for field in fields(cls)}
        numbers: dict[str, Any] = {}
        for name, value in values.items():
            if name not in known:
                raise SymbackpropError(
                    f"unknown convention (known: {', '.join(sorted(known))})",
                    key=f"conventions.{name}",
                )
            if name == "delta_sign":
                if value not in DELTA_SIGNS:
                    raise SymbackpropError(
                        f"must be {' or '.join(map(repr, DELTA_SIGNS))}, not {value!r}", key="conventions.delta_sign"
                    )
                numbers[name] = value
                continue
            if not isinstance(value, (int, float)) or not is_finite_number(value):
                raise SymbackpropError(f"must be a finite number, not {value!r}", key=f"conventions.{name}")
            numbers[name] = float(value)
        if numbers.get("step_grad_at_zero", 0) != 0:
            # The step has no derivative anywhere but 0, where it is a jump: only 0 keeps
            # gradient descent meaningful, and silently using another value would mislead.
            raise SymbackpropError(
                "only 0 is supported: the step's derivative is 0 wherever it exists",
                key="conventions.step_grad_at_zero",
            )
        return cls(**numbers)


# Conventions is a frozen dataclass, so sharing one default instance is safe.
_conventions: ContextVar[Conventions] = ContextVar("conventions", default=Conventions())  # noqa: B039


@contextmanager
def conventions_in_force(conventions: Conventions) -> Iterator[None]:
    """Take derivatives under ``conventions`` inside the ``with`` block."""
    token = _conventions.set(conventions)
    try:
        yield
    finally:
        _conventions.reset(token)


def current_conventions() -> Conventions:
    """The conventions derivatives are taken under right now."""
    return _conventions.get()


def exact(value: float) -> sympy.Rational:
    """A convention as an exact number, so that derivatives stay exact: 0.5 → 1/2."""
    return sympy.Rational(repr(float(value)))


# ---------------------------------------------------------------------------------------------
# Helpers of the activations' float and NumPy rules. An ``Array`` is a float (one value shared
# by every sample) or a NumPy array (one value per sample).
# ---------------------------------------------------------------------------------------------

Array = Any
V = TypeVar("V")


class _NumPyOnFirstUse:
    """NumPy, imported when a NumPy rule first runs: parsing, deriving and printing never run one.

    SymPy does not import NumPy, and importing it at start-up would make every command that
    only derives or prints about a third slower to start.
    """

    def __getattr__(self, name: str) -> Any:
        import numpy

        return getattr(numpy, name)


np: Any = _NumPyOnFirstUse()


def logistic_float(x: float) -> float:
    """σ(x) on a float, in two branches so that exp never overflows for large |x|."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def logistic(z: Array) -> Array:
    """σ(z) on arrays: exp(−z) overflows to inf below z ≈ −709, and 1/(1 + inf) = 0 is the right limit."""
    return 1.0 / (1.0 + np.exp(-z))


def times(factor: Array, x: Array) -> Array:
    """factor·x, without a pass over the batch when the factor is 1 (a β left at its default)."""
    return x if isinstance(factor, float) and factor == 1.0 else factor * x


def kink_at_zero(x: Array, *params: Array) -> Array:
    """The kink of a function bent at x = 0: on which side of it each sample lies (0: at it)."""
    return np.sign(x)


def slopes(x: Array, below: Array, at_zero: Array, above: Array) -> Array:
    """A piecewise-constant slope: ``below`` for x < 0, ``at_zero`` at 0, ``above`` for x > 0."""
    return np.where(x > 0, above, np.where(x < 0, below, at_zero))


# ---------------------------------------------------------------------------------------------
# The registry.
# ---------------------------------------------------------------------------------------------

# Every activation by its plain-syntax name, in the order they were defined.
ACTIVATIONS: dict[str, type[ActivationBase]] = {}


class ActivationBase(Function):
    """An activation; a subclass with a ``name`` is registered in :data:`ACTIVATIONS` as it is defined.

    Its ``nargs`` (SymPy's) is its arity; the optional parameters' values when omitted are
    ``defaults``. The NumPy rules get every argument, defaults filled in: ``forward(*args)``
    is the value and ``local(out, args, i, conv)`` is ∂out/∂args[i] under ``conv``.
    """

    name: ClassVar[str] = ""  # in the plain syntax
    latex: ClassVar[str] = ""  # its LaTeX name: r"\sigma", r"\operatorname{ReLU}"
    unicode: ClassVar[str | None] = None  # the terminal's symbol, if not its name: σ
    defaults: ClassVar[tuple] = ()  # the optional parameters' values when omitted: (1,) for σ's β
    indices: ClassVar[int] = 0  # leading arguments that pick an output (softmax's i), written as a subscript
    beta_inside: ClassVar[bool] = False  # f(x, β) is f(βx), and is written so
    # True where the lecture writes the derivative through the function's own output:
    # σ' = h(1 − h) when h = σ(s), tanh' = 1 − h².
    derivative_uses_output: ClassVar[bool] = False
    # For a function with a kink: on which side of it each sample lies (0: exactly at it), where a
    # finite difference cannot be trusted and a convention decides the derivative.
    kink: ClassVar[Callable[..., Array] | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("name"):
            register(cls)

    @staticmethod
    def value(*args: float) -> float:
        """The value at float arguments."""
        raise NotImplementedError

    @staticmethod
    def forward(*args: Array) -> Array:
        """The value on NumPy arrays, every argument given."""
        raise NotImplementedError

    @staticmethod
    def local(out: Array, args: list, i: int, conv: Conventions) -> Array:
        """∂out/∂args[i] on NumPy arrays, given the value ``out``."""
        raise NotImplementedError

    @classmethod
    def arity(cls) -> tuple[int, int | None]:
        """The fewest and most arguments it takes (None: any number)."""
        nargs = cls.nargs
        if isinstance(nargs, sympy.FiniteSet):
            return int(min(nargs)), int(max(nargs))
        return cls.indices + 1, None

    def with_defaults(self) -> tuple:
        """The arguments with omitted optional ones (β, α) filled in."""
        optional_given = len(self.args) - self.indices - 1
        return (*self.args, *self.defaults[optional_given:])

    def _eval_evalf(self, prec):
        rewritten = self.rewrite(sympy.exp)
        if rewritten == self:
            return None
        return rewritten._eval_evalf(prec)


def register(cls: type[ActivationBase]) -> type[ActivationBase]:
    """Make ``cls`` known by its name (done for every subclass of :class:`ActivationBase` with a ``name``)."""
    if cls.name in _BUILTINS or ACTIVATIONS.get(cls.name, cls) is not cls:
        raise SymbackpropError(f"{cls.name!r} is already the name of a function")
    if cls.name in CONSTANTS or cls.name in RESERVED:
        raise SymbackpropError(f"{cls.name!r} already means something else in an equation or in [layers]")
    ACTIVATIONS[cls.name] = cls
    return cls


def unregister(cls: type[ActivationBase]) -> None:
    """Forget an activation registered before (a test's own, when the test is done)."""
    if ACTIVATIONS.get(cls.name) is cls:
        del ACTIVATIONS[cls.name]


@dataclass(frozen=True)
class Signature:
    """How a name is called in the plain syntax: the SymPy builder and how many arguments."""

    build: Callable[..., sympy.Expr]
    min_args: int
    max_args: int | None  # None: any number


def _heaviside(x, at_zero):
    return Heaviside(x, at_zero)


# SymPy's own functions a right side or an answer may call, by their plain-syntax names.
_BUILTINS: dict[str, Signature] = {
    "exp": Signature(sympy.exp, 1, 1),
    "log": Signature(sympy.log, 1, 1),
    "sqrt": Signature(sympy.sqrt, 1, 1),
    "sin": Signature(sympy.sin, 1, 1),
    "cos": Signature(sympy.cos, 1, 1),
    "sech": Signature(sympy.sech, 1, 1),  # tanh′ as decks write it: β·sech²(βx)
    "max": Signature(sympy.Max, 2, None),
    "min": Signature(sympy.Min, 2, None),
    "abs": Signature(sympy.Abs, 1, 1),
    "heaviside": Signature(_heaviside, 2, 2),
}


class RegistryView(Mapping[str, V]):
    """A table read from :data:`ACTIVATIONS` when it is used, so that it sees every activation registered so far.

    ``entry(cls)`` gives a class's (key, value), or None to leave it out; the ``fixed``
    entries come first, whatever is registered.

    >>> from symbackprop.core.functions import UNICODE_NAMES
    >>> UNICODE_NAMES["sigmoid"]
    'σ'
    """

    def __init__(
        self, entry: Callable[[type[ActivationBase]], tuple[str, V] | None], fixed: Mapping[str, V] | None = None
    ):
        self.entry, self.fixed = entry, dict(fixed or {})
        self._built_for: tuple[type[ActivationBase], ...] | None = None
        self._built: dict[str, V] = {}

    def _table(self) -> dict[str, V]:
        # Built again only when the registry has changed: the parsers look names up per token.
        classes = tuple(ACTIVATIONS.values())
        if classes != self._built_for:
            entries = (self.entry(cls) for cls in classes)
            found = dict(entry for entry in entries if entry is not None)
            self._built = {**self.fixed, **{key: value for key, value in found.items() if key not in self.fixed}}
            self._built_for = classes
        return self._built

    def __getitem__(self, key: str) -> V:
        return self._table()[key]

    def __contains__(self, key: object) -> bool:
        # A file may put a list or a table where a name belongs: that is no name, not a crash.
        return isinstance(key, str) and key in self._table()

    def __iter__(self) -> Iterator[str]:
        return iter(self._table())

    def __len__(self) -> int:
        return len(self._table())


def latex_macro(cls: type[ActivationBase]) -> tuple[str, str] | None:
    """(macro, name) for an activation whose LaTeX name is one macro (\\sigma → sigmoid), for the LaTeX reader."""
    return (cls.latex[1:], cls.name) if re.fullmatch(r"\\[A-Za-z]+", cls.latex) else None


# Every function a right side or an answer may call, by its plain-syntax name.
FUNCTIONS = RegistryView(lambda cls: (cls.name, Signature(cls, *cls.arity())), fixed=_BUILTINS)
# Activations the terminal writes with a symbol of their own (σ), by name.
UNICODE_NAMES = RegistryView(lambda cls: (cls.name, cls.unicode) if cls.unicode else None)

CONSTANTS: dict[str, sympy.Expr] = {"pi": sympy.pi, "e": sympy.E}
# [layers]' word for a layer with no activation.
RESERVED = frozenset({"identity"})
