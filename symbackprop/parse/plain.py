"""The plain syntax of equations and answers, read by a whitelist parser that builds SymPy itself.

Nothing here calls ``eval``, ``exec``, ``sympify`` or ``parse_expr``: the text is split into
tokens, read by recursive descent with an explicit depth bound, and every node is built
from the library's own table of functions. Numbers are exact (``0.1`` is 1/10).

Grammar (``^`` and ``**`` are both power, right-associative; a product may be implicit,
as in ``2h1`` or ``h3(1 - h3)``)::

    sum     := product (("+" | "-") product)*
    product := unary (("*" | "/" | implicit) unary)*
    unary   := ("+" | "-") unary | power
    power   := atom (("^" | "**") unary)?
    atom    := number | name | name "(" sum ("," sum)* ")" | "(" sum ")"
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import cast

import sympy

from symbackprop.core.functions import CONSTANTS, FUNCTIONS
from symbackprop.errors import ParseError
from symbackprop.parse.forms import from_unicode, hint

MAX_LENGTH = 10_000
MAX_DEPTH = 100
MAX_RESULT_DIGITS = 10_000  # a number power larger than this is refused before it is computed
MAX_LITERAL_EXPONENT = 400  # 1e999999999 would be a billion-digit integer before anything else runs
MAX_LITERAL_DIGITS = 1_000  # Python refuses to convert longer digit strings to int

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<number>([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*'?)
  | (?P<op>\*\*|[-+*/^(),])
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class Token:
    """One token of an expression: its kind, its text and where it starts."""

    kind: str  # "number", "name", "op" or "end"
    text: str
    column: int  # 1-based, for error messages


def tokenize(text: str, max_length: int = MAX_LENGTH) -> list[Token]:
    """Split plain syntax into tokens; anything outside the whitelist is an error.

    >>> [t.text for t in tokenize("2h1*(1 - h1)")]
    ['2', 'h1', '*', '(', '1', '-', 'h1', ')', '']
    """
    if len(text) > max_length:
        raise ParseError(f"too long ({len(text)} characters; at most {max_length})")
    text = from_unicode(text)  # the terminal's own forms (w₅, σ, ·) and typographic ones (−)
    tokens, position = [], 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            char = text[position]
            # A quote here follows no name (h3' is read as a name, then refused with the prime's hint): no hint.
            how = f" ({hint(char)})" if hint(char) and char != "'" else ""
            raise ParseError(f"at column {position + 1}: unexpected character {char!r}{how}")
        kind = cast(str, match.lastgroup)  # every alternative of _TOKEN is a named group
        if kind != "space":
            tokens.append(Token(kind, match.group(), position + 1))
        position = match.end()
    tokens.append(Token("end", "", len(text) + 1))
    return tokens


NameResolver = Callable[[str], sympy.Expr]


class _Reader:
    """Recursive descent over the tokens, one method per grammar rule."""

    def __init__(self, tokens: list[Token], resolve: NameResolver, max_depth: int):
        self.tokens = tokens
        self.index = 0
        self.resolve = resolve
        self.max_depth = max_depth
        self.depth = 0

    @property
    def token(self) -> Token:
        return self.tokens[self.index]

    def fail(self, message: str) -> ParseError:
        return ParseError(f"at column {self.token.column}: {message}")

    def advance(self) -> Token:
        token = self.token
        self.index += 1
        return token

    def accept(self, *texts: str) -> Token | None:
        if self.token.kind == "op" and self.token.text in texts:
            return self.advance()
        return None

    def expect(self, text: str) -> None:
        if not self.accept(text):
            found = self.token.text or "the end"
            raise self.fail(f"expected {text!r}, found {found!r}")

    def descend(self) -> None:
        # An explicit bound: Python's own recursion limit would end in a RecursionError.
        self.depth += 1
        if self.depth > self.max_depth:
            raise self.fail(f"nested more than {self.max_depth} deep")

    def sum(self) -> sympy.Expr:
        self.descend()
        terms = [self.product()]
        while operator := self.accept("+", "-"):
            term = self.product()
            terms.append(term if operator.text == "+" else -term)
        self.depth -= 1
        return sympy.Add(*terms)

    def starts_atom(self) -> bool:
        token = self.token
        return token.kind in ("number", "name") or (token.kind == "op" and token.text == "(")

    def product(self) -> sympy.Expr:
        result = self.unary()
        while True:
            if self.accept("*"):
                result = result * self.unary()
            elif self.accept("/"):
                divisor = self.unary()
                if divisor == 0:
                    raise self.fail("division by zero")
                result = result / divisor
            elif self.starts_atom():  # implicit multiplication: 2h1, h3(1 - h3), (a)(b)
                result = result * self.unary()
            else:
                return result

    def unary(self) -> sympy.Expr:
        if self.accept("-"):
            self.descend()
            value = -self.unary()
            self.depth -= 1
            return value
        if self.accept("+"):
            self.descend()
            value = self.unary()
            self.depth -= 1
            return value
        return self.power()

    def power(self) -> sympy.Expr:
        base = self.atom()
        if not self.accept("^", "**"):
            return base
        self.descend()
        exponent = self.unary()
        self.depth -= 1
        self.check_power_size(base, exponent)
        if base == 0 and exponent.is_number and exponent.is_negative:
            raise self.fail("division by zero")
        return base**exponent

    def check_power_size(self, base: sympy.Expr, exponent: sympy.Expr) -> None:
        if not exponent.is_number:
            return
        size = abs(float(exponent)) if exponent.is_real else math.inf
        if base.is_number and base.is_real and abs(float(base)) > 1:
            size *= math.log10(abs(float(base)))
        if size > MAX_RESULT_DIGITS:
            raise self.fail("exponent too large")

    def atom(self) -> sympy.Expr:
        token = self.token
        if token.kind == "number":
            self.advance()
            return self.number(token)
        if token.kind == "name":
            self.advance()
            if token.text.endswith("'"):
                return self.derivative(token)
            if token.text in FUNCTIONS:
                return self.call(token)
            if token.text in CONSTANTS:
                return CONSTANTS[token.text]
            try:
                return self.resolve(token.text)
            except ParseError as error:
                raise ParseError(f"at column {token.column}: {error.message}") from None
        if self.accept("("):
            value = self.sum()
            self.expect(")")
            return value
        raise self.fail(f"expected a number, a name or '(', found {token.text or 'the end'!r}")

    def derivative(self, token: Token) -> sympy.Expr:
        """``sigmoid'(s3)``, ``σ'(s3)``: a one-argument function's derivative, as lecture 001 writes it."""
        name = token.text[:-1]
        if name not in FUNCTIONS:
            raise ParseError(f"at column {token.column}: {hint(chr(39))}, not after {name[:40]!r}")
        if FUNCTIONS[name].min_args != 1:
            raise ParseError(f"at column {token.column}: {name}' is for a function of one argument")
        if not self.accept("("):
            raise self.fail(f"{name}' is a function: write {name}'(...)")
        argument = self.sum()
        self.expect(")")
        inner = sympy.Dummy("u")
        return FUNCTIONS[name].build(inner).diff(inner).subs(inner, argument)

    def number(self, token: Token) -> sympy.Expr:
        """A number literal, exactly; bounded so that building it cannot take long."""
        mantissa, _, exponent = token.text.lower().partition("e")
        digits = exponent.lstrip("+-")
        if len(mantissa) > MAX_LITERAL_DIGITS or len(digits) > 6 or (digits and int(digits) > MAX_LITERAL_EXPONENT):
            raise ParseError(f"at column {token.column}: number too large or too long: {token.text[:20]}…")
        return sympy.Rational(token.text)

    def call(self, name: Token) -> sympy.Expr:
        signature = FUNCTIONS[name.text]
        if not self.accept("("):
            raise self.fail(f"{name.text} is a function: write {name.text}(...)")
        args = [self.sum()]
        while self.accept(","):
            args.append(self.sum())
        self.expect(")")
        upper = signature.max_args
        if len(args) < signature.min_args or (upper is not None and len(args) > upper):
            wanted = (
                str(signature.min_args)
                if upper == signature.min_args
                else (f"{signature.min_args} or more" if upper is None else f"{signature.min_args} to {upper}")
            )
            raise ParseError(f"at column {name.column}: {name.text} takes {wanted} arguments, not {len(args)}")
        try:
            return signature.build(*args)
        except (TypeError, ValueError) as error:
            raise ParseError(f"at column {name.column}: {name.text}: {error}") from None


def parse(
    text: str,
    resolve: NameResolver,
    *,
    max_length: int = MAX_LENGTH,
    max_depth: int = MAX_DEPTH,
) -> sympy.Expr:
    """Read plain syntax into a SymPy expression; ``resolve`` turns each free name into a symbol.

    >>> from sympy import Symbol
    >>> parse("(y_t - y)^2/2", Symbol)
    (-y + y_t)**2/2
    >>> parse("2h1(1 - h1)", Symbol)
    2*h1*(1 - h1)
    """
    if not text.strip():
        raise ParseError("empty expression")
    return read_tokens(tokenize(text, max_length), resolve, max_depth=max_depth)


def read_tokens(tokens: list[Token], resolve: NameResolver, *, max_depth: int = MAX_DEPTH) -> sympy.Expr:
    """Read an already tokenized expression (plain syntax, or LaTeX turned into the same tokens).

    >>> from sympy import Symbol
    >>> read_tokens(tokenize("a*b"), Symbol)
    a*b
    """
    if len(tokens) <= 1:
        raise ParseError("empty expression")
    reader = _Reader(tokens, resolve, max_depth)
    value = reader.sum()
    if reader.token.kind != "end":
        raise reader.fail(f"unexpected {reader.token.text!r}")
    return value


def whitelist(symbols: Mapping[str, sympy.Symbol]) -> NameResolver:
    """A resolver that knows only ``symbols`` (a graph's names); ``w_5`` is read as ``w5``.

    Students write subscripts with or without the underscore, so ``h_3`` finds ``h3`` when the
    graph has no ``h_3``. Any other name is a parse error: an answer cannot introduce symbols.

    >>> from sympy import Symbol
    >>> resolve = whitelist({"w5": Symbol("w5")})
    >>> resolve("w_5")
    w5
    >>> resolve("os")
    Traceback (most recent call last):
    ...
    symbackprop.errors.ParseError: unknown name 'os'
    """

    # t1 finds t_1 too (the terminal prints both as t₁), when no other name reads the same
    loose: dict[str, sympy.Symbol | None] = {}
    for known, symbol in symbols.items():
        key = known.replace("_", "")
        loose[key] = symbol if key not in loose else None

    def resolve(name: str) -> sympy.Symbol:
        for candidate in (name, name.replace("_", "")):
            if candidate in symbols:
                return symbols[candidate]
        found = loose.get(name.replace("_", ""))
        if found is not None:
            return found
        raise ParseError(f"unknown name {name[:40]!r}")

    return resolve


def parse_answer(text: str, symbols: Mapping[str, sympy.Symbol], *, max_length: int = MAX_LENGTH) -> sympy.Expr:
    """A student's answer in plain syntax, with only ``symbols``, the functions and pi, e allowed.

    >>> from sympy import Symbol
    >>> h3 = Symbol("h3")
    >>> parse_answer("h_3(1 - h_3)", {"h3": h3})
    h3*(1 - h3)
    >>> parse_answer("__import__('os')", {"h3": h3})
    Traceback (most recent call last):
    ...
    symbackprop.errors.ParseError: at column 12: unexpected character "'"
    """
    return parse(text, whitelist(symbols), max_length=max_length)


def free_names(text: str) -> list[str]:
    """The names an expression uses that are neither functions nor constants, in order of use.

    >>> free_names("sigmoid(x_t*w1) + pi*w1")
    ['x_t', 'w1']
    """
    seen: dict[str, None] = {}
    for token in tokenize(text):
        if token.kind == "name" and token.text not in FUNCTIONS and token.text not in CONSTANTS:
            seen.setdefault(token.text)
    return list(seen)
