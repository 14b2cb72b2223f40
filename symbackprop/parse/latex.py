"""LaTeX answers (``-(y_t - y) w_5 h_3 (1-h_3) h_1``, ``\\frac``, ``\\sigma``) read into SymPy safely.

The LaTeX is turned into the plain syntax's own tokens and read by the same whitelist
parser (:func:`symbackprop.parse.plain.read_tokens`): braces become parentheses, ``\\frac{a}{b}``
becomes ``((a)/(b))``, a letter with a subscript becomes one name (``w_{5}`` → ``w5``,
``y_t`` → ``y_t``), and every macro must be one this module knows. Columns in errors are
columns of the LaTeX the student wrote.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping

import sympy

from symbackprop.core.functions import CONSTANTS, FUNCTIONS, RegistryView, latex_macro
from symbackprop.errors import ParseError
from symbackprop.parse.forms import from_unicode, hint, latex_cases
from symbackprop.parse.plain import MAX_DEPTH, MAX_LENGTH, Token, parse_answer, read_tokens, whitelist

# Macros that stand for a name of the plain syntax: SymPy's, and the activations' own (\sigma, \tanh).
_NAMES = RegistryView(
    latex_macro,
    fixed={
        "exp": "exp",
        "log": "log",
        "ln": "log",
        "sin": "sin",
        "cos": "cos",
        "max": "max",
        "min": "min",
        "sqrt": "sqrt",
        "pi": "pi",
    },
)
_TIMES = {"cdot", "times", "ast"}
_IGNORED = {",", ";", ":", "!", " ", "quad", "qquad", "left", "right", "big", "Big", "bigl", "bigr", "Bigl", "Bigr"}
_FRACTIONS = {"frac", "dfrac", "tfrac"}
_WORDS = {"mathrm", "operatorname", "text", "mathit"}  # \operatorname{relu}: the braces hold a name
_OPEN, _CLOSE = "{", "}"
_NUMBER = re.compile(r"([0-9]+\.?[0-9]*|\.[0-9]+)")
_LETTERS = re.compile(r"[A-Za-z]+")
# w_5, y_t, w_{5}, out_{o1}, w_{1,1} (a layered name's indices, w1_1), and a word set upright
# as the LaTeX printer sets it: E_{\mathrm{total}}
_SUBSCRIPT = re.compile(
    r"_(?:\{\s*(?:\\(?:mathrm|text|mathit)\s*\{\s*([A-Za-z0-9]+)\s*\}"
    r"|([A-Za-z0-9]+(?:\s*,\s*[A-Za-z0-9]+)*))\s*\}|([A-Za-z0-9]))"
)
# W^{1}_{12}: a layered name (W1_12) as the lecture's LaTeX writes it
_LAYER = re.compile(r"\^(?:\{\s*([0-9]+)\s*\}|([0-9]))_(?:\{\s*([0-9]+(?:\s*,\s*[0-9]+)*)\s*\}|([0-9]))")
# A graph name as plain syntax spells it, in the middle of LaTeX: w5, out_o1, target_o1
_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)*")
_WORD = re.compile(r"\s*\{\s*((?:[A-Za-z0-9_]|\\_)+)\s*\}")
_ACCENTED = re.compile(r"\s*\{\s*([A-Za-z]+)\s*\}")
_ACCENTS = {"tilde", "hat", "bar", "dot"}  # \tilde{y} is the graph's y_tilde, as the LaTeX printer writes it
# Macros still refused, with how to write what they stand for.
_MACRO_HINTS = {"partial": "∂", "sum": "Σ", "delta": "δ", "div": "÷"}
_MACRO = re.compile(r"\\([A-Za-z]+|.)", re.DOTALL)
_DELIMITERS = {"(": "(", ")": ")", "[": "(", "]": ")"}
_OPS = set("+-*/^,")
# Activations written \operatorname{ReLU}: the word in braces, by the activation's plain name.
_OPERATORS = RegistryView(
    lambda cls: (m.group(1), cls.name) if (m := re.fullmatch(r"\\operatorname\{(\w+)\}", cls.latex)) else None
)


def looks_like_latex(text: str) -> bool:
    """Whether an answer is LaTeX rather than plain syntax: a backslash, a brace or a dollar.

    >>> looks_like_latex(r"\\frac{1}{2}"), looks_like_latex("w_5*h3")
    (True, False)
    """
    return any(mark in text for mark in "\\{}$")


def _strip_math(text: str) -> tuple[str, int]:
    """Drop ``$…$``, ``\\(…\\)`` or ``\\[…\\]`` around an answer; also return the columns removed."""
    stripped = text.strip()
    offset = len(text) - len(text.lstrip())
    for left, right in (("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]")):
        if stripped.startswith(left) and stripped.endswith(right) and len(stripped) >= len(left) + len(right):
            return stripped[len(left) : len(stripped) - len(right)], offset + len(left)
    return stripped, offset


class _Scanner:
    """Turns LaTeX into raw tokens: plain-syntax tokens plus ``{``, ``}`` and ``\\frac``."""

    def __init__(self, text: str, offset: int, names: Collection[str] | None):
        self.text = text
        self.offset = offset
        self.names = names
        self.tokens: list[Token] = []
        self.index_call = False  # after softmax_{1}: the argument's "(" is already written
        self.loose = {name.replace("_", "") for name in names or ()}  # t1 is t_1, w_5 is w5
        self.longest = max((len(name) for name in names or ()), default=0)

    def column(self, position: int) -> int:
        """The 1-based column in the text the student wrote."""
        return self.offset + position + 1

    def add(self, kind: str, text: str, position: int) -> None:
        """Append a token found at ``position``."""
        self.tokens.append(Token(kind, text, self.column(position)))

    def scan(self) -> list[Token]:
        """All raw tokens, left to right; a character outside the whitelist is an error."""
        position = 0
        text = self.text
        while position < len(text):
            char = text[position]
            if char.isspace():
                position += 1
            elif char == "\\":
                position = self.macro(position)
            elif (end := self.graph_name(position)) is not None:
                position = end
            elif char == "'" and self.tokens and self.tokens[-1].text in FUNCTIONS:
                self.tokens[-1] = Token("name", self.tokens[-1].text + "'", self.tokens[-1].column)
                position += 1
            elif match := _NUMBER.match(text, position):
                self.add("number", match.group(), position)
                position = match.end()
            elif _LETTERS.match(text, position):
                position = self.letters(position)
            elif char in _DELIMITERS:
                if char == "(" and self.index_call:
                    self.index_call = False
                else:
                    self.add("op", _DELIMITERS[char], position)
                position += 1
            elif char in (_OPEN, _CLOSE):
                self.add(char, char, position)
                position += 1
            elif char in _OPS:
                self.add("op", char, position)
                position += 1
            else:
                how = f" ({hint(char)})" if hint(char) else ""
                raise ParseError(f"at column {self.column(position)}: unexpected character {char!r}{how}")
        return self.tokens

    def graph_name(self, position: int) -> int | None:
        """A graph name written as plain syntax spells it (w5, out_o1), read whole: the end, or None.

        Students mix the two syntaxes (``-(y_t - y) \\cdot w5``); LaTeX alone would read w5 as w·5.
        A run of letters only is left to LaTeX's reading below.
        """
        if not self.longest:
            return None
        # A graph name is at most self.longest long (twice, with underscores added): the match stops there.
        match = _IDENTIFIER.match(self.text, position, position + 2 * self.longest + 1)
        if match is None:
            return None
        word = match.group()
        for end in range(len(word), 0, -1):
            prefix = word[:end]
            if prefix.isalpha() or prefix.endswith("_"):
                continue
            following = self.text[position + end : position + end + 1]
            if prefix[-1].isdigit() and following.isdigit():
                continue  # w12 is not w1 times 2
            if self.known(prefix) and prefix not in FUNCTIONS:
                self.add("name", prefix, position)
                return position + end
        return None

    def macro(self, position: int) -> int:
        """One backslash macro: a known one becomes tokens, any other is an error."""
        match = _MACRO.match(self.text, position)
        if match is None:
            raise ParseError(f"at column {self.column(position)}: a lone backslash")
        name = match.group(1)
        end = match.end()
        if name in _IGNORED:
            return end
        if name in _TIMES:
            self.add("op", "*", position)
        elif name in ("{", "}"):
            self.add("op", "(" if name == "{" else ")", position)
        elif name in _FRACTIONS:
            self.add("frac", "\\frac", position)
        elif name in _NAMES:
            self.add("name", _NAMES[name], position)
        elif name in _WORDS:
            word = _WORD.match(self.text, end)
            if word is None:
                raise ParseError(f"at column {self.column(position)}: \\{name} needs a name in braces")
            return self.named(word.group(1).replace("\\_", "_"), position, word.end())
        elif (
            name in _ACCENTS
            and (accented := _ACCENTED.match(self.text, end))
            and self.known(f"{accented.group(1)}_{name}")
        ):
            self.add("name", f"{accented.group(1)}_{name}", position)
            return accented.end()
        elif self.known(name) and name not in FUNCTIONS:  # \beta, \eta: a graph name that is a Greek letter
            self.add("name", name, position)
        else:
            how = f" ({hint(_MACRO_HINTS[name])})" if name in _MACRO_HINTS else ""
            raise ParseError(f"at column {self.column(position)}: unknown LaTeX macro \\{name[:20]}{how}")
        return end

    def named(self, word: str, position: int, end: int) -> int:
        """A name in braces (\\operatorname{ReLU}, \\text{out}_{o1}, \\operatorname{softmax}_{1}(…)): the end."""
        word = _OPERATORS.get(word, word)
        layer = _LAYER.match(self.text, end)
        if layer and self.names is not None:  # \mathrm{net}^{1}_{2}, as the LaTeX printer writes net1_2
            indices = re.split(r"\s*,\s*", layer.group(3) or layer.group(4))
            name = f"{word}{layer.group(1) or layer.group(2)}_{'_'.join(indices)}"
            if self.known(name):
                self.add("name", name, position)
                return layer.end()
        subscript = _SUBSCRIPT.match(self.text, end)
        sub = _subscript_text(subscript)
        if sub and word in FUNCTIONS:  # softmax_{1}(a, b): the index is the first argument
            self.add("name", word, position)
            self.add("op", "(", position)
            for part in sub.split(","):
                self.add("number" if part.strip().isdigit() else "name", part.strip(), position)
                self.add("op", ",", position)
            self.index_call = True
            return subscript.end() if subscript else end
        if sub and subscript:
            candidates = _joined(word, sub)
            self.add("name", next((c for c in candidates if self.known(c)), candidates[0]), position)
            return subscript.end()
        self.add("name", word, position)
        return end

    def letters(self, position: int) -> int:
        """A run of letters with an optional subscript: one name or one per letter."""
        run = _LETTERS.match(self.text, position)
        if run is None:
            raise ParseError(f"at column {self.column(position)}: expected a letter")
        end = run.end()
        layer = _LAYER.match(self.text, end)
        if layer and self.names is not None:
            indices = re.split(r"\s*,\s*", layer.group(3) or layer.group(4))
            name = f"{run.group()}{layer.group(1) or layer.group(2)}_{'_'.join(indices)}"
            if self.known(name):
                self.add("name", name, position)
                return layer.end()
        subscript = _SUBSCRIPT.match(self.text, end)
        sub = _subscript_text(subscript)
        if subscript:
            end = subscript.end()
        for offset, name in self.split(run.group(), sub):
            self.add("name", name, position + offset)
        return end

    def split(self, letters: str, sub: str) -> list[tuple[int, str]]:
        """One name, or (LaTeX's own reading) one name per letter when the run is not a name."""
        candidates = _joined(letters, sub)
        whole = next((c for c in candidates if self.known(c)), candidates[0])
        if self.names is None or self.known(whole) or len(letters) == 1:
            return [(0, whole)]
        if not sub and self.known(letters):
            return [(0, letters)]
        # "xw_1" is x·w₁ in LaTeX: each letter its own variable, the subscript on the last.
        return [(i, letter) for i, letter in enumerate(letters[:-1])] + [
            (len(letters) - 1, _joined(letters[-1], sub)[0])
        ]

    def known(self, name: str) -> bool:
        """Whether ``name`` is a graph name (with or without its underscore), function or constant."""
        return name.replace("_", "") in self.loose or name in FUNCTIONS or name in CONSTANTS


def _subscript_text(subscript: re.Match[str] | None) -> str:
    r"""The text of a subscript matched by ``_SUBSCRIPT``: ``_{\mathrm{total}}`` → ``total``, none → ``""``."""
    return next((group for group in subscript.groups() if group), "") if subscript else ""


def _joined(letters: str, sub: str) -> list[str]:
    """The names ``letters`` with a subscript may be, most likely first: w_{1,1} is w1_1 (or w11).

    >>> _joined("w", "1, 1"), _joined("y", "t")
    (['w1_1', 'w11'], ['y_t'])
    """
    parts = [part.strip() for part in sub.split(",")]
    if len(parts) == 1:
        return [_join(letters, sub)]
    return [f"{_join(letters, parts[0])}_{'_'.join(parts[1:])}", letters + "".join(parts)]


def _join(letters: str, sub: str) -> str:
    """``w`` and ``5`` → ``w5``; ``y`` and ``t`` → ``y_t``, as the exercise files name them."""
    if not sub:
        return letters
    return letters + sub if sub.isdigit() else f"{letters}_{sub}"


def _arrange(raw: list[Token]) -> list[Token]:
    """Braces to parentheses and ``\\frac{a}{b}`` to ``((a)/(b))``, without recursion."""
    match: dict[int, int] = {}
    stack: list[int] = []
    for index, token in enumerate(raw):
        if token.kind == _OPEN:
            stack.append(index)
        elif token.kind == _CLOSE:
            if not stack:
                raise ParseError(f"at column {token.column}: '}}' without '{{'")
            match[stack.pop()] = index
    if stack:
        raise ParseError(f"at column {raw[stack[-1]].column}: '{{' is never closed")
    after: dict[int, list[str]] = {}  # extra tokens written after a raw token
    before: dict[int, list[str]] = {}
    for index, token in enumerate(raw):
        if token.kind != "frac":
            continue
        first = _group(raw, match, index + 1, token)
        second = _group(raw, match, first[1] + 1, token)
        before.setdefault(first[0], []).insert(0, "(")
        after.setdefault(first[1], []).append("/")
        after.setdefault(second[1], []).append(")")
    out: list[Token] = []
    for index, token in enumerate(raw):
        out += [Token("op", text, token.column) for text in before.get(index, ())]
        if token.kind == _OPEN:
            out.append(Token("op", "(", token.column))
        elif token.kind == _CLOSE:
            out.append(Token("op", ")", token.column))
        elif token.kind != "frac":
            out.append(token)
        out += [Token("op", text, token.column) for text in after.get(index, ())]
    end = raw[-1].column + len(raw[-1].text) if raw else 1
    out.append(Token("end", "", end))
    return out


def _group(raw: list[Token], match: dict[int, int], index: int, frac: Token) -> tuple[int, int]:
    """The first and last raw index of one argument of ``\\frac``: a braced group or one token."""
    if index >= len(raw):
        raise ParseError(f"at column {frac.column}: \\frac needs two arguments")
    token = raw[index]
    if token.kind == _OPEN:
        return index, match[index]
    if token.kind in ("number", "name"):
        # A lone token argument still needs parentheses round it: \frac1x is (1)/(x).
        return index, index
    raise ParseError(f"at column {token.column}: \\frac needs two arguments in braces")


def tokenize_latex(text: str, names: Collection[str] | None = None, *, max_length: int = MAX_LENGTH) -> list[Token]:
    """LaTeX as plain-syntax tokens; ``names`` (the graph's) decides how letter runs split.

    >>> [t.text for t in tokenize_latex(r"\\frac{1}{2}h_{3}")]
    ['(', '(', '1', ')', '/', '(', '2', ')', ')', 'h3', '']
    """
    if len(text) > max_length:
        raise ParseError(f"too long ({len(text)} characters; at most {max_length})")
    body, offset = _strip_math(latex_cases(from_unicode(text)))
    return _function_powers(_arrange(_Scanner(body, offset, names).scan()))


def _function_powers(tokens: list[Token]) -> list[Token]:
    """``\\tanh^{2}(s)`` as ``(tanh(s))^2``, as LaTeX writes a function's power; other shapes stay as they are.

    Only a whole power of at least 1 is read so: ``\\sin^{-1}`` means the inverse, not 1/sin,
    and stays an error of the parser's ("sin is a function: write sin(...)").

    >>> [t.text for t in tokenize_latex(r"\\tanh^2(s)")]
    ['(', 'tanh', '(', 's', ')', ')', '^', '2', '']
    """
    closing = _matching_parentheses(tokens)
    powers: dict[int, Token] = {}  # index of an argument's ')' → the power to write after it
    out: list[Token] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        power = _power_of_function(tokens, index) if token.kind == "name" and token.text in FUNCTIONS else None
        if power is not None and power[1] in closing:
            exponent, argument = power
            powers[closing[argument]] = exponent
            out += [Token("op", "(", token.column), token]
            index = argument  # the argument's tokens follow as they are
            continue
        out.append(token)
        if index in powers:  # the ')' that ends a powered function's argument
            out += [Token("op", ")", token.column), Token("op", "^", token.column), powers.pop(index)]
        index += 1
    return out


def _matching_parentheses(tokens: list[Token]) -> dict[int, int]:
    """The index of each '(' token's ')'; one left open is the parser's to report."""
    closing: dict[int, int] = {}
    stack: list[int] = []
    for index in range(len(tokens)):
        if _is_op(tokens, index, "("):
            stack.append(index)
        elif _is_op(tokens, index, ")") and stack:
            closing[stack.pop()] = index
    return closing


def _power_of_function(tokens: list[Token], index: int) -> tuple[Token, int] | None:
    """The power k and the index of the argument's '(' after a function name written ``^k(…)``.

    ``^{k}(…)`` too; k must be a whole number of at least 1. None for any other shape.
    """
    if not _is_op(tokens, index + 1, "^"):
        return None
    braced = _is_op(tokens, index + 2, "(")  # ^{2}: the braces are parentheses by now
    number = index + 3 if braced else index + 2
    if number >= len(tokens) or tokens[number].kind != "number":
        return None
    power = tokens[number]
    if not (power.text.isdigit() and int(power.text) >= 1):
        return None
    if braced and not _is_op(tokens, number + 1, ")"):
        return None
    argument = number + 2 if braced else number + 1
    if not _is_op(tokens, argument, "("):
        return None
    return power, argument


def _is_op(tokens: list[Token], index: int, text: str) -> bool:
    return index < len(tokens) and tokens[index].kind == "op" and tokens[index].text == text


def parse_latex(
    text: str,
    symbols: Mapping[str, sympy.Symbol],
    *,
    max_length: int = MAX_LENGTH,
    max_depth: int = MAX_DEPTH,
) -> sympy.Expr:
    """A LaTeX answer as a SymPy expression in ``symbols`` (a graph's names) only.

    >>> from sympy import Symbol
    >>> names = {n: Symbol(n) for n in ("y_t", "y", "w5", "h3", "h1", "s3")}
    >>> parse_latex(r"-(y_t - y) w_5 h_3 (1-h_3) h_1", names)
    h1*h3*w5*(1 - h3)*(y - y_t)
    >>> parse_latex(r"\\frac{1}{1 + e^{-s_3}}", names)
    1/(1 + exp(-s3))
    >>> parse_latex(r"\\partial E", names)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    symbackprop.errors.ParseError: at column 1: unknown LaTeX macro \\partial (write only the right-hand side, ...
    """
    tokens = tokenize_latex(text, symbols.keys(), max_length=max_length)
    return read_tokens(tokens, whitelist(symbols), max_depth=max_depth)


def parse_any(text: str, symbols: Mapping[str, sympy.Symbol], *, max_length: int = MAX_LENGTH) -> sympy.Expr:
    """An answer in either syntax: LaTeX when it has a backslash, a brace or a dollar.

    >>> from sympy import Symbol
    >>> h = Symbol("h3")
    >>> parse_any(r"h_3 \\cdot 2", {"h3": h}), parse_any("2h3", {"h3": h})
    (2*h3, 2*h3)
    """
    if looks_like_latex(text):
        return parse_latex(text, symbols, max_length=max_length)
    return parse_answer(text, symbols, max_length=max_length)
