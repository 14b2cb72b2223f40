"""A layer rule as a student writes it, in index or matrix form, plain or LaTeX: a whitelist reader.

Index form: ``sigma'(net^l_i) * sum_k W^{l+1}_{ki} delta^{l+1}_k``,
``\\sigma'(\\mathrm{net}^l_i) \\sum_{k=1}^{n^{l+1}} W^{l+1}_{ki} \\delta^{l+1}_k``.
Matrix form: ``(W^{l+1})^T delta^{l+1} .* f'(net^l)``,
``\\left(W^{l+1}\\right)^\\top \\delta^{l+1} \\odot \\sigma'(net^l)``,
``-delta^l (x^{l-1})^T`` for an outer product.

Only the lecture's names are read: W, x, net, b, delta (δ), t, y, with a layer (``^l``,
``^{l+1}``, ``^L``, ``^2``) and unit indices (``_i``, ``_{ki}``); f′ of a net as ``f'``
or ``g'`` (the layer's own), ``sigma'``/``σ'`` (the sigmoid) or an activation's name; ``sum_k``;
numbers; + − * / ``.*`` ``./`` and ``^T``. Anything else is an error naming the column. Nothing
is evaluated here: the result is a small tree (:class:`Node`) that :mod:`symbackprop.judge.layer_rule`
evaluates on a net.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from symbackprop.core.functions import ACTIVATIONS
from symbackprop.errors import ParseError
from symbackprop.parse.forms import split_top_level
from symbackprop.parse.plain import MAX_DEPTH, MAX_LENGTH

MAX_SUMS = 3  # sums nested in one another: each multiplies the work of evaluating the answer by a layer's size
LAYERED = ("W", "x", "net", "b", "delta")  # names with a layer
UNLAYERED = ("t", "y")  # the targets and outputs: indexed by unit only
NAMES = {"delta": "delta", "δ": "delta", "W": "W", "w": "W", "x": "x", "net": "net", "b": "b", "t": "t", "y": "y"}
# f′ as written → the function it names: f and g are the layer's own activation, whatever it is; σ is
# the sigmoid (the lecture's σ); any other activation's name is that activation. The judge reads a
# name as the layer's f′ only when it is f or that layer's activation: relu′ on a sigmoid layer is relu′.
SLOPES = {"f": "f", "g": "f", "sigma": "sigmoid", "σ": "sigmoid"}
OWN_SLOPE = "f"  # the slope's name for "the layer's own activation"
MACROS = {
    "delta": "δ",
    "sigma": "σ",
    "sum": "Σ",
    "odot": ".*",
    "circ": ".*",
    "oslash": "./",
    "cdot": "*",
    "times": "*",
    "top": "T",
    "intercal": "T",
    "prime": "'",
    "frac": "\\frac",
}
IGNORED_MACROS = {"left", "right", ",", ";", " ", "quad", "big", "Big", "bigl", "bigr"}
WORD_MACROS = {"mathit", "mathrm", "text", "operatorname", "mathbf", "boldsymbol"}
_OPERATORS = {".*", "./", "*", "'", "-", "+", "/", "^"}
UNICODE = {"Σ": "Σ", "∑": "Σ", "⊙": ".*", "∘": ".*", "·": "*", "×": "*", "ᵀ": "^T", "′": "'", "’": "'", "−": "-"}

_TOKEN = re.compile(
    r"""\s*(?:
    (?P<number>\d+(?:\.\d+)?|\.\d+)
    |(?P<macro>\\(?:[A-Za-z]+|[,; ]))
    |(?P<word>[A-Za-z]+)
    |(?P<op>\.\*|\./|\*\*|[-+*/^_(){}\[\]',=]|[δσΣ∑⊙∘·×ᵀ′’−])
    )""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class Layer:
    """A layer as written: ``l + offset``, ``L + offset``, or a number (symbol None)."""

    symbol: str | None
    offset: int


@dataclass(frozen=True)
class Node:
    """One node of the tree: ``kind`` and its parts.

    Kinds: ``num`` (value), ``q`` (name, layer, indices), ``slope`` (name, layer, indices: f′ of
    that net, name :data:`OWN_SLOPE` for the layer's own activation or an activation's name),
    ``sum`` (index, body), ``sumvec`` (body: the sum of a vector's entries), ``neg``, ``add``,
    ``sub``, ``mul`` (a product, or a matrix product), ``had`` (elementwise),
    ``div``, ``hdiv`` (elementwise division), ``T`` (transpose).
    """

    kind: str
    args: tuple = ()
    name: str = ""
    layer: Layer | None = None
    indices: tuple[str, ...] | None = None
    value: float = 0.0
    lower: int | None = None  # a sum's bounds as written: k = lower … n^upper (None: not written)
    upper: Layer | None = None


def walk(node: Node) -> Iterator[Node]:
    """Every node of the tree, the root first."""
    yield node
    for child in node.args:
        yield from walk(child)


def contains(node: Node, test: Callable[[Node], bool]) -> bool:
    """Whether any node of the tree passes ``test``."""
    return any(test(each) for each in walk(node))


def is_index_form(node: Node) -> bool:
    """Index form when the answer sums over an index or names a unit by a letter.

    >>> is_index_form(parse_layer_rule("sum_k W^{l+1}_{ki} delta^{l+1}_k")), is_index_form(parse_layer_rule("(W^l)^T"))
    (True, False)
    """
    return contains(
        node, lambda n: n.kind == "sum" or (n.indices is not None and any(index.isalpha() for index in n.indices))
    )


@dataclass(frozen=True)
class Tok:
    kind: str
    text: str
    column: int


def tokenize(text: str) -> list[Tok]:
    """The answer's tokens; LaTeX macros and Unicode symbols mapped to the plain ones."""
    if len(text) > MAX_LENGTH:
        raise ParseError(f"longer than {MAX_LENGTH} characters")
    tokens: list[Tok] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            if text[position:].strip() == "":
                break
            column = position + len(text[position:]) - len(text[position:].lstrip()) + 1
            raise ParseError(f"column {column}: cannot read {text[column - 1]!r}")
        column = match.start(match.lastgroup or 0) + 1
        kind, value = match.lastgroup or "", match.group(match.lastgroup or 0)
        position = match.end()
        if kind == "macro":
            name = value[1:]
            if name in IGNORED_MACROS:
                continue
            if name in WORD_MACROS:
                kind = "wordmacro"  # \mathit{net}: the word in the braces follows
            elif name in MACROS or name in ACTIVATIONS:
                value = MACROS.get(name, name)
                kind = "op" if value in _OPERATORS else "word"
            else:
                raise ParseError(f"column {column}: unknown macro {value!r}")
        elif kind == "op" and value in UNICODE:
            value = UNICODE[value]
            if value == "^T":
                tokens.append(Tok("op", "^", column))
                value = "T"
            kind = "op" if value in _OPERATORS else "word"
        elif kind == "op" and value in ("δ", "σ"):
            kind = "word"
        tokens.append(Tok(kind, value, column))
    return _unwrap_words(tokens)


def _unwrap_words(tokens: list[Tok]) -> list[Tok]:
    """``\\mathrm{net}`` is the word net: the macro and the braces around its word are dropped."""
    out: list[Tok] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token.kind != "wordmacro":
            out.append(token)
            index += 1
            continue
        group = tokens[index + 1 : index + 4]
        if len(group) != 3 or group[0].text != "{" or group[1].kind != "word" or group[2].text != "}":
            raise ParseError(f"column {token.column}: expected one word in braces after {token.text}")
        out.append(group[1])
        index += 4
    return out


class _Reader:
    """Recursive descent over the tokens, bounded in depth."""

    def __init__(self, tokens: list[Tok]):
        self.tokens, self.position, self.depth, self.sums = tokens, 0, 0, 0

    # -- helpers ----------------------------------------------------------------------------

    def peek(self, ahead: int = 0) -> Tok | None:
        index = self.position + ahead
        return self.tokens[index] if index < len(self.tokens) else None

    def at(self, *texts: str) -> bool:
        token = self.peek()
        return token is not None and token.text in texts

    def take(self, *texts: str) -> Tok:
        token = self.peek()
        if token is None:
            raise ParseError(f"the answer ends where {' or '.join(texts) or 'more'} was expected")
        if texts and token.text not in texts:
            raise ParseError(f"column {token.column}: expected {' or '.join(map(repr, texts))}, not {token.text!r}")
        self.position += 1
        return token

    def deeper(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ParseError(f"nested more than {MAX_DEPTH} deep")

    # -- grammar ----------------------------------------------------------------------------

    def expression(self) -> Node:
        self.deeper()
        node = self.term()
        while self.at("+", "-"):
            op = self.take().text
            node = Node("add" if op == "+" else "sub", (node, self.term()))
        self.depth -= 1
        return node

    def term(self) -> Node:
        # ⊙ binds looser than a product: f′(net) ⊙ Wᵀδ is f′(net) ⊙ (Wᵀδ), as the lecture means it.
        node = self.product()
        while self.at(".*", "./"):
            kind = "had" if self.take().text == ".*" else "hdiv"
            node = Node(kind, (node, self.product()))
        return node

    def product(self) -> Node:
        node = self.unary()
        while True:
            if self.at("*", "/"):
                kind = "mul" if self.take().text == "*" else "div"
                node = Node(kind, (node, self.unary()))
            elif self.starts_factor():
                node = Node("mul", (node, self.unary()))
            else:
                return node

    def starts_factor(self) -> bool:
        token = self.peek()
        return token is not None and (token.kind in ("word", "number") or token.text in ("(", "{", "["))

    def unary(self) -> Node:
        if self.at("-"):
            self.take()
            return Node("neg", (self.unary(),))
        if self.at("+"):
            self.take()
        return self.postfix(self.atom())

    def postfix(self, node: Node) -> Node:
        while self.at("^"):
            following = self.peek(1)
            if following is not None and following.text == "T":
                self.position += 2
                node = Node("T", (node,))
            elif following is not None and following.text == "{" and self._braced_transpose():
                self.position += 4
                node = Node("T", (node,))
            else:
                break
        return node

    def _braced_transpose(self) -> bool:
        inner, closing = self.peek(2), self.peek(3)
        return inner is not None and inner.text == "T" and closing is not None and closing.text == "}"

    def atom(self) -> Node:
        self.deeper()
        token = self.take()
        try:
            if token.kind == "number":
                return Node("num", value=float(token.text))
            if token.text in ("(", "{", "["):
                node = self.expression()
                self.take({"(": ")", "{": "}", "[": "]"}[token.text])
                return node
            if token.text == "\\frac":
                top = self.group()
                return Node("div", (top, self.group()))
            if token.text in ("Σ", "sum"):
                return self.sum(token)
            if token.text == "n":  # n^l: the units of layer l, as in mse's 1/n^L
                return Node("size", layer=self.layer())
            if token.text in NAMES:
                return self.quantity(NAMES[token.text], token)
            if token.text in SLOPES or token.text in ACTIVATIONS:
                return self.slope(token)
            raise ParseError(f"column {token.column}: {token.text!r} is not a name of the layer rules")
        finally:
            self.depth -= 1

    def group(self) -> Node:
        self.take("{")
        node = self.expression()
        self.take("}")
        return node

    def quantity(self, name: str, token: Tok) -> Node:
        # The layer and the indices in either order: W^{l+1}_{ki} as printed here, W_{ki}^{l+1} as lecture 001 types it.
        layer, indices = None, None
        for _ in range(2):
            if layer is None and name in LAYERED and self.at("^") and not self._transpose_next():
                layer = self.layer()
            elif indices is None and self.at("_"):
                indices = self.indices()
        if name in LAYERED and layer is None:
            raise ParseError(f"column {token.column}: {token.text} needs its layer, like {token.text}^l")
        if layer is None and self.at("^") and not self._transpose_next():
            raise ParseError(f"column {token.column}: {token.text} has no layer")
        return Node("q", name=name, layer=layer, indices=indices)

    def _transpose_next(self) -> bool:
        following = self.peek(1)
        return following is not None and (following.text == "T" or (following.text == "{" and self._braced_transpose()))

    def layer(self) -> Layer:
        self.take("^")
        if self.at("{", "("):
            closing = "}" if self.take().text == "{" else ")"
            layer = self.layer_expression()
            self.take(closing)
            return layer
        return self.layer_expression(single=True)

    def layer_expression(self, single: bool = False) -> Layer:
        token = self.take()
        if token.kind == "number":
            if single and len(token.text) > 1:
                return Layer(None, int(token.text[0]))  # x^12 is not read as layer 12
            return Layer(None, int(float(token.text)))
        if token.text not in ("l", "L"):
            raise ParseError(f"column {token.column}: a layer is l, L, l+1, l-1 or a number, not {token.text!r}")
        offset = 0
        if not single and self.at("+", "-"):
            sign = 1 if self.take().text == "+" else -1
            amount = self.take()
            if amount.kind != "number" or "." in amount.text:
                raise ParseError(f"column {amount.column}: expected a whole number after {token.text}")
            offset = sign * int(amount.text)
        return Layer(token.text, offset)

    def indices(self) -> tuple[str, ...]:
        self.take("_")
        if self.at("{"):
            self.take("{")
            letters = []
            while not self.at("}"):
                token = self.take()
                if token.text == ",":
                    continue
                letters.extend(self._index_letters(token))
            self.take("}")
            return tuple(letters)
        return tuple(self._index_letters(self.take(), single=True))

    def _index_letters(self, token: Tok, single: bool = False) -> list[str]:
        if token.kind not in ("word", "number"):
            raise ParseError(f"column {token.column}: expected a unit index such as i, k or 1")
        text = token.text[0] if single else token.text
        if single and len(token.text) > 1:
            # x_jfoo: only the first letter is the subscript; the rest is not read as indices
            raise ParseError(f"column {token.column}: write several indices in braces, like _{{{token.text}}}")
        return list(text)

    def slope(self, token: Tok) -> Node:
        if self.at("^"):
            # f^{l}' or \sigma^{\prime}: a layer on f, or the prime as a superscript
            following, inner = self.peek(1), self.peek(2)
            if following is not None and following.text == "'":
                self.position += 2
            elif following is not None and following.text == "{" and inner is not None and inner.text == "'":
                self.position += 3
                self.take("}")
            else:
                self.layer()
                self.take("'")
        else:
            self.take("'")
        self.take("(")
        argument = self.expression()
        self.take(")")
        if argument.kind != "q" or argument.name != "net":
            raise ParseError(f"column {token.column}: {token.text}' is taken of a net, like {token.text}'(net^l_i)")
        return Node("slope", name=SLOPES.get(token.text, token.text), layer=argument.layer, indices=argument.indices)

    def sum(self, token: Tok) -> Node:
        if self.at("("):
            self.take("(")
            body = self.expression()
            self.take(")")
            return Node("sumvec", (body,))
        self.take("_")
        lower, upper = None, None
        if self.at("{"):
            self.take("{")
            index = self.take()
            if self.at("="):  # k=1: kept, and evaluated as written (k=0 is another sum)
                self.take("=")
                lower = self._lower_bound()
            self.take("}")
        else:
            index = self.take()
        if index.kind != "word" or len(index.text) != 1:
            raise ParseError(f"column {index.column}: a sum runs over one index letter, like sum_k")
        if self.at("^"):  # ^{n^{l+1}} or ^n: the upper bound, the units of the layer written (n alone: k's own)
            self.take("^")
            if self.at("{"):
                self.take("{")
                upper = self._bound()
                self.take("}")
            else:
                upper = self._bound()
        self.sums += 1
        if self.sums > MAX_SUMS:
            raise ParseError(f"column {token.column}: more than {MAX_SUMS} sums inside one another")
        body = self.term()
        self.sums -= 1
        return Node("sum", (body,), name=index.text, lower=lower, upper=upper)

    def _lower_bound(self) -> int:
        token = self.take()
        if token.kind != "number" or not token.text.isdigit():
            raise ParseError(f"column {token.column}: a sum's lower bound is a whole number, like k=1")
        return int(token.text)

    def _bound(self) -> Layer | None:
        token = self.take()
        if token.text != "n":
            raise ParseError(f"column {token.column}: a sum's upper bound is n^l, the units of a layer")
        return self.layer() if self.at("^") else None


def _right_side(text: str) -> str:
    """The text after the last ``=`` outside brackets: ``delta^l_i = …`` loses its left side.

    >>> _right_side(r"\\delta^l_i = \\sum_{k=1}^{n} W")
    '\\\\sum_{k=1}^{n} W'
    """
    return split_top_level(text, "=")[-1].strip()


def parse_layer_rule(text: str) -> Node:
    """An answer as a tree; the left side (``delta^l_i =``) is dropped when there is one.

    >>> parse_layer_rule("(W^{l+1})^T delta^{l+1} .* f'(net^l)").kind
    'had'
    >>> parse_layer_rule(r"\\sigma'(net^l_i) \\sum_{k=1}^{n^{l+1}} W^{l+1}_{ki} \\delta^{l+1}_k").kind
    'mul'
    """
    tokens = tokenize(_right_side(text.replace("$", "")))
    if not tokens:
        raise ParseError("the answer is empty")
    reader = _Reader(tokens)
    node = reader.expression()
    if reader.peek() is not None:
        token = reader.peek()
        assert token is not None
        raise ParseError(f"column {token.column}: unexpected {token.text!r}")
    return node
