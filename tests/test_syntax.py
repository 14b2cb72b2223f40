"""The answer parsers: plain syntax with a strict name whitelist, and LaTeX turned into the same tokens."""

from __future__ import annotations

import pytest
import sympy

from symbackprop.core.functions import Sigmoid, Tanh
from symbackprop.errors import ParseError
from symbackprop.parse.latex import looks_like_latex, parse_any, parse_latex
from symbackprop.parse.plain import MAX_DEPTH, parse_answer

NAMES = {name: sympy.Symbol(name, real=True) for name in ("x_t", "y_t", "y", "w1", "w5", "h1", "h3", "s3", "E")}
h1, h3, s3, w1, w5, x_t, y, y_t = (NAMES[n] for n in ("h1", "h3", "s3", "w1", "w5", "x_t", "y", "y_t"))


def test_plain_answer_reads_implicit_products_caret_and_subscript_spellings():
    # "2h1(1 - h_1)" is 2·h1·(1 − h1): implicit products, and h_1 names h1 when the graph has no h_1.
    assert parse_answer("2h1(1 - h_1)", NAMES) == 2 * h1 * (1 - h1)
    assert parse_answer("h3^2", NAMES) == h3**2
    assert parse_answer("w_5 * h3", NAMES) == w5 * h3


def test_plain_answer_rejects_names_outside_the_graph_with_the_column():
    with pytest.raises(ParseError, match=r"at column 6: unknown name 'h9'"):
        parse_answer("h1 + h9", NAMES)


def test_plain_number_literals_are_bounded():
    # 1e999999 would be a million-digit integer; a 2000-digit literal exceeds Python's int limit.
    with pytest.raises(ParseError, match="number too large"):
        parse_answer("1e999999", NAMES)
    with pytest.raises(ParseError, match="number too large"):
        parse_answer("1" * 2000, NAMES)
    # Unicode digits (Arabic-Indic ١) are not digits of the syntax.
    with pytest.raises(ParseError, match="unexpected character"):
        parse_answer("\u0661", NAMES)


@pytest.mark.parametrize(
    ("latex", "expected"),
    [
        (r"-(y_t - y) w_5 h_3 (1-h_3) h_1", -(y_t - y) * w5 * h3 * (1 - h3) * h1),
        (r"\frac{1}{2}(y_t - y)^{2}", (y_t - y) ** 2 / 2),
        (r"\sigma(s_3)\left(1 - \sigma(s_3)\right)", Sigmoid(s3) * (1 - Sigmoid(s3))),
        (r"e^{-s_{3}}", sympy.exp(-s3)),
        (r"\exp(-s_3) \cdot \ln(h_1) \times \log(h_3)", sympy.exp(-s3) * sympy.log(h1) * sympy.log(h3)),
        (r"$x_t w_1$", x_t * w1),
        (r"x_tw_1", x_t * w1),  # LaTeX reads a letter run as one variable per letter
        (r"\frac{h_1}{\sqrt{h_3}}", h1 / sympy.sqrt(h3)),
        # A function's power as LaTeX writes it: \tanh^2(s) is tanh(s)², inner ones too.
        (r"1 - \tanh^2(s_3)", 1 - Tanh(s3) ** 2),
        (r"\operatorname{sech}^{2}(s_3)", sympy.sech(s3) ** 2),
        (r"\sigma^2(\tanh^3(h_1) + 1)", Sigmoid(Tanh(h1) ** 3 + 1) ** 2),
    ],
)
def test_latex_answers(latex, expected):
    assert sympy.simplify(parse_latex(latex, NAMES) - expected) == 0


def test_operatorname_holds_a_function_name():
    assert str(parse_latex(r"\operatorname{relu}(s_3)", NAMES)) == "ReLU(s3)"


@pytest.mark.parametrize(
    ("latex", "message"),
    [
        (r"\frac{\partial E}{\partial w_1}", r"at column 7: unknown LaTeX macro \\partial"),
        (r"h_1 + \import", r"at column 7: unknown LaTeX macro \\import"),
        (r"\frac{1}", r"\\frac needs two arguments"),
        (r"{h_1", r"'\{' is never closed"),
        (r"h_1}", r"'\}' without '\{'"),
        (r"h_1 \cdot", r"expected a number, a name or '\(', found 'the end'"),
        # sin^{-1} is the inverse, not 1/sin; only a whole power of at least 1 is a power.
        (r"\sin^{-1}(h_1)", r"at column 5: sin is a function: write sin\(...\)"),
        (r"\tanh^2 s_3", r"tanh is a function: write tanh\(...\)"),
    ],
)
def test_latex_errors_say_where(latex, message):
    with pytest.raises(ParseError, match=message):
        parse_latex(latex, NAMES)


def test_the_syntax_is_chosen_by_backslash_brace_or_dollar():
    assert looks_like_latex(r"\sigma(s)") and looks_like_latex("e^{x}") and looks_like_latex("$x$")
    assert not looks_like_latex("-(y_t - y)*h3")
    assert parse_any("h_3(1 - h_3)", NAMES) == parse_any(r"h_{3}(1 - h_{3})", NAMES) == h3 * (1 - h3)


def test_depth_is_bounded_in_both_syntaxes():
    deep = "(" * (MAX_DEPTH + 5) + "h1" + ")" * (MAX_DEPTH + 5)
    with pytest.raises(ParseError, match="nested more than"):
        parse_answer(deep, NAMES)
    with pytest.raises(ParseError, match="nested more than"):
        parse_latex(deep.replace("(", "{").replace(")", "}"), NAMES)
