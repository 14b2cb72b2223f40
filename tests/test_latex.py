r"""LaTeX worked solutions, checked against the lecture decks' own typesetting.

Every expected string below is written by hand from the lecture's formulas (lecture 003's
chain rules and products, lecture 001's f = (x + y)z, lecture 000's z = t²), in the tool's
documented conventions: braces on every subscript (w_{1}), one space between factors, the
numeric coefficient in front and one fraction bar, δ = ∂L/∂n by default and δ = −∂L/∂n where
the exercise takes lecture 001's convention.
Values are recomputed here with plain floats, never taken from the tool.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest
import sympy
from conftest import EXERCISE_FILES
from reference import TWO_BRANCH, sigmoid

import symbackprop
from symbackprop.core import functions
from symbackprop.engine.derivation import derive, gradients
from symbackprop.engine.local import local_derivatives
from symbackprop.engine.symbolic import SymbolicDerivation
from symbackprop.exercise.model import from_equations, load
from symbackprop.parse.latex import parse_latex
from symbackprop.render.latex import delta_name, latex, latex_name, printer
from symbackprop.render.latex_document import latex_text
from symbackprop.render.latex_lines import break_lines, visible_width
from symbackprop.render.latex_solution import derivation_latex, gradient_latex


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("w1", "w_{1}"),  # SPEC §5
        ("x_t", "x_{t}"),
        ("y_t", "y_{t}"),
        ("W1_12", "W^{1}_{12}"),  # W¹₁₂, lecture 001
        ("net1_2", r"\mathrm{net}^{1}_{2}"),
        ("s4", "s_{4}"),
        ("h", "h"),
        ("alpha", r"\alpha"),
        ("y_tilde", r"\tilde{y}"),  # lecture 002
    ],
)
def test_names_print_as_the_lecture_prints_them(name, expected):
    assert latex_name(name) == expected
    assert latex(sympy.Symbol(name)) == expected


def test_the_error_term_of_a_layer_net_is_delta_l_i():
    assert delta_name("net2_1") == r"\delta^{2}_{1}"  # δ²₁ of lecture 001
    assert delta_name("h1") == r"\delta_{h_{1}}"


def test_activations_print_as_functions():
    s, beta = sympy.Symbol("s1"), sympy.Symbol("beta")
    assert latex(functions.Sigmoid(s)) == r"\sigma\left(s_{1}\right)"
    assert latex(functions.Sigmoid(s, beta)) == r"\sigma\left(\beta s_{1}\right)"  # lecture 000's σ(βx)
    assert latex(functions.Tanh(s)) == r"\tanh\left(s_{1}\right)"
    assert latex(functions.ReLU(s)) == r"\operatorname{ReLU}\left(s_{1}\right)"
    assert latex(functions.Softmax(2, s, beta)) == r"\operatorname{softmax}_{2}\left(s_{1}, \beta\right)"


def test_every_activation_is_printed_by_its_declared_latex_name():
    s = sympy.Symbol("s1")
    assert len(functions.ACTIVATIONS) >= 9
    for cls in functions.ACTIVATIONS.values():
        expr = cls(2, s, s) if cls.indices else cls(s)
        assert latex(expr).startswith(cls.latex), cls.__name__


def test_a_relu_derivative_is_the_lectures_cases():
    # lecture 003: ∂h/∂s₁ = {1 if s₁ > 0; 0 if s₁ ≤ 0}  (PyTorch's value 0 at 0, the default)
    ex = from_equations({"h": "relu(s1)", "E": "h*w"}, params=["w", "s1"])
    assert (
        latex(local_derivatives(ex)["h", "s1"])
        == r"\left(\begin{cases} 1, & s_{1} > 0 \\ 0, & s_{1} \leq 0 \end{cases}\right)"
    )
    # lecture 000: a'(x) = 1 for x ≥ 0, 0 for x < 0
    assert latex(sympy.Heaviside(sympy.Symbol("x"), 1)) == (
        r"\left(\begin{cases} 1, & x \geq 0 \\ 0, & x < 0 \end{cases}\right)"
    )
    assert latex(sympy.Heaviside(sympy.Symbol("x"), 0), heaviside="iverson") == "[x > 0]"


def test_a_negated_difference_stays_as_the_lecture_writes_it():
    y, t = sympy.Symbol("y"), sympy.Symbol("y_t")
    assert latex(sympy.Mul(-1, t - y, evaluate=False)) == "-(y_{t} - y)"
    assert latex((t - y) ** 2 / 2) == r"\frac{\left(y_{t} - y\right)^{2}}{2}"


def test_unknown_option_is_bad_input():
    from symbackprop.errors import SymbackpropError

    with pytest.raises(SymbackpropError, match="colour"):
        latex(sympy.Symbol("x"), colour="red")


# ---- whole blocks ---------------------------------------------------------------------------


def test_f_equals_x_plus_y_times_z():
    # lecture 001: q = x + y, f = qz at x = −2, y = 5, z = −4; ∂f/∂x = ∂f/∂q ∂q/∂x = z·1 = −4
    ex = from_equations({"q": "x + y", "f": "q*z"}, at={"x": -2, "y": 5, "z": -4})
    expected = r"""\begin{align*}
\frac{\partial f}{\partial x} &= \frac{\partial f}{\partial q} \frac{\partial q}{\partial x} \\
&= z \\
&= -4 \\[1ex]
\delta_{q} &= \frac{\partial f}{\partial q} = z = -4 \\
\frac{\partial f}{\partial x} &= \delta_{q} = -4 \\[1ex]
\frac{\partial f}{\partial x} &= z \\
&= -4
\end{align*}"""
    assert gradient_latex(derive(ex).gradient("x")) == expected


def test_z_equals_t_squared():
    # lecture 000: ∂z/∂x = ∂z/∂t ∂t/∂x = 2t = 2(x + y); the closed form is SymPy's expanded 2x + 2y
    ex = from_equations({"t": "x + y", "z": "t**2"}, at={"x": 1, "y": 2})
    expected = r"""\begin{align*}
\frac{\partial z}{\partial x} &= \frac{\partial z}{\partial t} \frac{\partial t}{\partial x} \\
&= 2 t \\
&= 6 \\[1ex]
\delta_{t} &= \frac{\partial z}{\partial t} = 2 t = 6 \\
\frac{\partial z}{\partial x} &= \delta_{t} = 6 \\[1ex]
\frac{\partial z}{\partial x} &= 2 x + 2 y \\
&= 6
\end{align*}"""
    assert gradient_latex(derive(ex).gradient("x")) == expected


FOUR_PATHS = {"v": "exp(w)", "x": "v**2 + w", "t": "sin((w + v)*pi)", "y": "1/(x + t)"}


def test_four_paths_chain_products_values_and_deltas():
    # lecture 003 (Recap): y = 1/(x + t), x = v² + w, t = sin((w + v)π), v = eʷ, at w = 0.
    # There v = 1, x = 1, t = 0, so −1/(x + t)² = −1 and π cos((w + v)π) = −π.
    block = gradient_latex(derive(from_equations(FOUR_PATHS, at={"w": 0})).gradient("w"))
    cos = r"\cos{\left(\pi \left(v + w\right) \right)}"
    dy = r"\frac{\partial y}"
    lines = [
        r"\begin{align*}",
        dy + r"{\partial w} &= " + dy + r"{\partial x} \frac{\partial x}{\partial v} \frac{\partial v}{\partial w} \\",
        r"&\quad + " + dy + r"{\partial t} \frac{\partial t}{\partial v} \frac{\partial v}{\partial w} \\",
        r"&\quad + " + dy + r"{\partial x} \frac{\partial x}{\partial w} \\",
        r"&\quad + " + dy + r"{\partial t} \frac{\partial t}{\partial w} \\",
        r"&= -\frac{2 v e^{w}}{\left(t + x\right)^{2}} \\",
        r"&\quad - \frac{\pi " + cos + r" e^{w}}{\left(t + x\right)^{2}} \\",
        r"&\quad - \frac{1}{\left(t + x\right)^{2}} \\",
        r"&\quad - \frac{\pi " + cos + r"}{\left(t + x\right)^{2}} \\",
        # the numbers put in, from the loss back: ∂y/∂x = ∂y/∂t = −1, ∂x/∂v = 2v = 2, ∂v/∂w = e⁰ = 1,
        # ∂t/∂v = ∂t/∂w = π cos π = −π; ∂x/∂w = 1 is left out, as in the product above
        r"&= (-1) \times 2 \times 1 \\",
        r"&\quad + (-1) \times (-3.14159) \times 1 \\",
        r"&\quad + (-1) \\",
        r"&\quad + (-1) \times (-3.14159) \\",
        r"&= -2 + 3.14159 - 1 + 3.14159 \\",
        r"&= 3.28319 \\[1ex]",
        # δ = ∂y/∂n: ∂y/∂t = ∂y/∂x = −1/(x + t)² = −1, ∂y/∂v = 2v·(−1) + (−π)(−1) = π − 2
        r"\delta_{t} &= " + dy + r"{\partial t} = -\frac{1}{\left(t + x\right)^{2}} = -1 \\",
        r"\delta_{x} &= " + dy + r"{\partial x} = -\frac{1}{\left(t + x\right)^{2}} = -1 \\",
        r"\delta_{v} &= " + dy + r"{\partial v} = 2 \delta_{x} v + \delta_{t} \pi " + cos + r" = 1.14159 \\",
        dy + r"{\partial w} &= \delta_{v} e^{w} + \delta_{x} + \delta_{t} \pi " + cos + r" = 3.28319 \\[1ex]",
    ]
    head = "\n".join(lines) + "\n" + dy + r"{\partial w} &= "
    assert block.startswith(head)
    assert f"{2 * math.pi - 3:.6g}" == "3.28319"
    # the lecture's answer, exactly: 2π − 3
    assert block.endswith("\\\\\n&= 2 \\pi - 3 \\approx 3.28319\n\\end{align*}")


TWO_BRANCH_AT = {"x_t": 1.0, "y_t": 1.0, "w1": 1.0, "w2": 0.5, "w3": -1.0, "w4": 1.5, "w5": -0.5}


def test_two_branch_network_writes_one_line_per_path_as_lecture_003():
    ex = from_equations(TWO_BRANCH, params=["w1", "w2", "w3", "w4", "w5"], at=TWO_BRANCH_AT)
    block = gradient_latex(derive(ex).gradient("w1"))
    # lecture 003, "NN Differentiation Example": the two chains, then the two products.
    chain1 = (
        r"\frac{\partial E}{\partial y} \frac{\partial y}{\partial s_{4}} \frac{\partial s_{4}}{\partial h_{2}} "
        r"\frac{\partial h_{2}}{\partial s_{2}} \frac{\partial s_{2}}{\partial h_{1}} "
        r"\frac{\partial h_{1}}{\partial s_{1}} \frac{\partial s_{1}}{\partial w_{1}}"
    )
    chain2 = chain1.replace("h_{2}", "h_{3}").replace("s_{2}", "s_{3}")
    h1 = sigmoid(1.0)
    h2, h3 = sigmoid(0.5 * h1), sigmoid(-h1)
    y = 1.5 * h2 - 0.5 * h3
    path1 = -(1 - y) * 1.5 * h2 * (1 - h2) * 0.5 * h1 * (1 - h1) * 1
    path2 = -(1 - y) * -0.5 * h3 * (1 - h3) * -1 * h1 * (1 - h1) * 1
    assert path1 < 0 and path2 < 0
    dh1 = f"{h1 * (1 - h1):.6g}"
    lines = [
        r"\begin{align*}",
        rf"\frac{{\partial E}}{{\partial w_{{1}}}} &= {chain1} \\",
        rf"&\quad + {chain2} \\",
        r"&= -(y_{t} - y) w_{4} h_{2}(1 - h_{2}) w_{2} h_{1}(1 - h_{1}) x_{t} \\",
        r"&\quad - (y_{t} - y) w_{5} h_{3}(1 - h_{3}) w_{3} h_{1}(1 - h_{1}) x_{t} \\",
        # each path's factors at the point, from the loss back (x_t = 1 is a factor, not a 1 left out)
        rf"&= ({y - 1:.6g}) \times 1.5 \times {h2 * (1 - h2):.6g} \times 0.5 \times {dh1} \times 1 \\",
        rf"&\quad + ({y - 1:.6g}) \times (-0.5) \times {h3 * (1 - h3):.6g} \times (-1) \times {dh1} \times 1 \\",
        rf"&= {path1:.6g} - {-path2:.6g} \\",
        rf"&= {path1 + path2:.6g} \\[1ex]",
        rf"\delta_{{y}} &= \frac{{\partial E}}{{\partial y}} = -(y_{{t}} - y) = {y - 1:.6g} \\",
    ]
    assert block.splitlines()[: len(lines)] == lines
    # the weight's gradient from the error terms: ∂E/∂w₁ = δ_{s₁} x_t, with δ = ∂E/∂s₁
    assert rf"\frac{{\partial E}}{{\partial w_{{1}}}} &= \delta_{{s_{{1}}}} x_{{t}} = {path1 + path2:.6g}" in block
    assert r"\delta_{h_{1}} &= \frac{\partial E}{\partial h_{1}} = \delta_{s_{2}} w_{2} + " in block


def test_lecture_003_training_example_values():
    # lecture 003, "Training of a Simple Neural Network": x_t = y_t = 1, w1 = w2 = 1;
    # ∂E/∂w2 = −(y_t − y)h = −0.197, ∂E/∂w1 = −(y_t − y)w₂h(1 − h)x_t = −0.053
    ex = from_equations(
        {"s1": "x_t*w1", "h": "sigmoid(s1)", "s2": "h*w2", "y": "s2", "E": "(y_t - y)**2/2"},
        params=["w1", "w2"],
        at={"x_t": 1, "y_t": 1, "w1": 1, "w2": 1},
    )
    text = derivation_latex(derive(ex))
    head = "At $x_{t} = 1$, $y_{t} = 1$, $w_{1} = 1$, $w_{2} = 1$:\n\n\\subsection*{Chain rule and paths}\n\n"
    assert text.startswith(head + "\\begin{align*}")
    # a block per param for the chain rule, then one for every δ and one for the closed forms
    assert text.count(r"\begin{align*}") == 2 + 1 + 1
    assert text.count(r"\subsection*{") == 3
    for product, stated in [(r"-(y_{t} - y) w_{2} h(1 - h) x_{t}", -0.053), (r"-(y_{t} - y) h", -0.197)]:
        after = text.split(f"&= {product} \\\\\n")[1].splitlines()
        # the numbers put in (a product, with ×), then the value
        assert r"\times" in after[0]
        value = after[1].removeprefix("&= ").split()[0]
        assert round(float(value), 3) == stated


def test_wrt_selects_and_orders_blocks():
    ex = from_equations({"q": "x + y", "f": "q*z"}, at={"x": -2, "y": 5, "z": -4})
    text = derivation_latex(derive(ex), ["z", "x"], "paths")
    assert text.count(r"\begin{align*}") == 2
    assert text.index(r"\partial z}") < text.index(r"\partial x}")


def test_long_sums_break_across_lines():
    # ten paths from w to E: the path sum and the closed form must not run off the page
    equations = {f"a{i}": f"sin({i}*w)" for i in range(1, 11)}
    equations["E"] = " + ".join(f"a{i}**2" for i in range(1, 11))
    block = gradient_latex(derive(from_equations(equations, params=["w"], at={"w": 1})).gradient("w"))
    lines = block.splitlines()[1:-1]
    assert max(visible_width(line) for line in lines) <= 56 + 10
    assert any(line.startswith(r"&\quad + ") for line in lines)


def test_long_products_break_between_factors():
    # A chain of twelve sigmoids: one path, its chain rule and its product have no + or − to
    # break at, so they break between factors, the next line starting with ·.
    equations = {"h1": "sigmoid(w*x)", **{f"h{i}": f"sigmoid(h{i - 1})" for i in range(2, 13)}, "E": "h12"}
    block = gradient_latex(derive(from_equations(equations, params=["w"], at={"w": 1, "x": 1})).gradient("w"))
    lines = block.splitlines()[1:-1]
    assert max(visible_width(line) for line in lines) <= 50 + 10
    assert any(line.startswith(r"&\quad \cdot \frac{\partial") for line in lines)


def test_break_inside_parentheses_closes_and_reopens_them():
    broken = break_lines(r"x \left(a + b + c + d\right)", 6)
    for line in broken.split("\\\\\n"):
        assert line.count(r"\left") == line.count(r"\right")
    assert broken.replace(" \\right. \\\\\n&\\quad \\left. ", " ") == r"x \left(a + b + c + d\right)"


def test_omitted_paths_are_said():
    ex = from_equations({"a": "sin(w)", "b": "cos(w)", "E": "a*b"}, params=["w"], at={"w": 1})
    block = gradient_latex(derive(ex, max_paths=1).gradient("w"))
    assert r"&\quad + \dots \text{ (1 more of 2 paths not listed)} \\" in block
    # the value never depends on listing the paths: cos²(1) − sin²(1)
    assert f"&= {math.cos(1) ** 2 - math.sin(1) ** 2:.6g}" in block


def test_text_is_escaped_for_pdflatex():
    assert latex_text("50% of x_t & y — π") == r"50\% of x\_t \& y --- $\pi$"
    assert latex_text("한") == "?"


def test_lecture_001_error_terms_of_the_2_2_1_network():
    # lecture 001, "Backpropagation example": x⁰ = (0.35, 0.9), t = 0.5, W¹ = [[0.1, 0.8], [0.4, 0.6]],
    # W² = [0.3, 0.9]; δ²₁ = (t₁ − y₁)x²₁(1 − x²₁) = −0.0406, δ¹₁ = −0.0027, δ¹₂ = −0.0082
    equations = {
        "net1_1": "W1_11*x0_1 + W1_12*x0_2",
        "x1_1": "sigmoid(net1_1)",
        "net1_2": "W1_21*x0_1 + W1_22*x0_2",
        "x1_2": "sigmoid(net1_2)",
        "net2_1": "W2_11*x1_1 + W2_12*x1_2",
        "x2_1": "sigmoid(net2_1)",
        "L": "(t1 - x2_1)**2/2",
    }
    weights = {"W1_11": 0.1, "W1_12": 0.8, "W1_21": 0.4, "W1_22": 0.6, "W2_11": 0.3, "W2_12": 0.9}
    point = {"x0_1": 0.35, "x0_2": 0.9, "t1": 0.5, **weights}
    lecture = {"delta_sign": "-dL/dnet"}  # lecture 001: δ = −∂L/∂net
    ex = from_equations(equations, params=list(weights), at=point, conventions=lecture)
    text = derivation_latex(derive(ex), ["W1_11", "W1_21"])

    def delta(line_start: str) -> float:
        (line,) = {line for line in text.splitlines() if line.startswith(line_start)}
        return float(line.split(" = ")[-1].split()[0])

    assert abs(delta(r"\delta^{2}_{1} &= -\frac{\partial L}{\partial \mathrm{net}^{2}_{1}} = ") - -0.0406) < 1e-4
    assert abs(delta(r"\delta^{1}_{1} &= -\frac{\partial L}{\partial \mathrm{net}^{1}_{1}} = ") - -0.0027) < 1e-4
    assert abs(delta(r"\delta^{1}_{2} &= -\frac{\partial L}{\partial \mathrm{net}^{1}_{2}} = ") - -0.0082) < 1e-4
    # the lecture's recursion, δ¹₁ = x¹₁(1 − x¹₁) W²₁₁ δ²₁, here from the loss back
    assert r"\delta_{x^{1}_{1}} &= -\frac{\partial L}{\partial x^{1}_{1}} = \delta^{2}_{1} W^{2}_{11} = " in text
    # ∂L/∂W¹ᵢⱼ = −δ¹ᵢ x⁰ⱼ
    assert r"\frac{\partial L}{\partial W^{1}_{11}} &= -\delta^{1}_{1} x^{0}_{1} = " in text
    assert r"\frac{\partial L}{\partial W^{1}_{21}} &= -\delta^{1}_{2} x^{0}_{1} = " in text
    # the default δ = ∂L/∂net: the same error terms with the other sign, ∂L/∂W¹ᵢⱼ = δ¹ᵢ x⁰ⱼ
    default = derivation_latex(derive(from_equations(equations, params=list(weights), at=point)), ["W1_11"])
    assert r"\delta^{2}_{1} &= \frac{\partial L}{\partial \mathrm{net}^{2}_{1}} = " in default
    assert r"\frac{\partial L}{\partial W^{1}_{11}} &= \delta^{1}_{1} x^{0}_{1} = " in default


def test_a_data_set_sums_one_samples_formula():
    # lecture 003: ∂E/∂wᵢ = Σ over the data of the chain rule; two samples of E = (t − w x)²
    ex = from_equations({"y": "w*x", "E": "(t - y)**2"}, params=["w"], at={"w": 1}, data={"x": [1, 2], "t": [0, 1]})
    text = derivation_latex(derive(ex))
    # by hand: Σ −2(t − w x)x = −2(0 − 1)·1 − 2(1 − 2)·2 = 2 + 4 = 6
    assert "summed over the 2 samples of $x$, $t$:" in text
    assert r"&= \sum_{n=1}^{2} \Bigl(-2(t - y) x\Bigr) \\" + "\n&= 6\n" in text


def test_the_jupyter_extension_shows_derivations_and_gradients_as_latex():
    # IPython's formatter looks a type up along its MRO; this stand-in does the same, so
    # that the test needs no IPython.
    class Formatter:
        def __init__(self):
            self.printers = {}

        def for_type(self, kind, printer):
            self.printers[kind] = printer

        def __call__(self, obj):
            return next(self.printers[kind](obj) for kind in type(obj).__mro__ if kind in self.printers)

    formatter = Formatter()
    ipython = SimpleNamespace(display_formatter=SimpleNamespace(formatters={"text/latex": formatter}))
    symbackprop.load_ipython_extension(ipython)  # %load_ext symbackprop
    d = derive(from_equations({"q": "x + y", "f": "q*z"}, at={"x": -2, "y": 5, "z": -4}))
    assert formatter(d.gradient("z")) == gradient_latex(d.gradient("z"))
    assert formatter(d) == derivation_latex(d)
    forms = SymbolicDerivation(from_equations({"q": "x + y", "f": "q*z"}))
    assert formatter(forms).startswith(r"\subsection*{Chain rule and paths}")  # no point: no "At …:" line


def test_a_closed_form_too_long_to_set_is_left_out_with_a_note():
    # ∂E/∂w of E = w·x is x, one node; of σ(σ(σ(w·x))) a product of three σ′ of nested σs,
    # dozens of nodes. With the limit between the two, only the long one is left out.
    short = derive(from_equations({"E": "w*x"}, params=["w"], at={"w": 1, "x": 2}))
    long = derive(from_equations({"E": "sigmoid(sigmoid(sigmoid(w*x)))"}, params=["w"], at={"w": 0.1, "x": 1}))
    assert "left out" not in derivation_latex(short, closed_max_nodes=10)
    text = derivation_latex(long, closed_max_nodes=10)
    # σ(σ(σ(wx)))′ = σ′(σ(σ(wx)))·σ′(σ(wx))·σ′(wx)·x with σ′(u) = σ(u)(1 − σ(u)): 44 nodes in
    # SymPy's tree, counted by sympy.preorder_traversal here, and stated as JSON's closed_size.
    size = len(list(sympy.preorder_traversal(long.gradient("w").closed)))
    note = rf"\text{{(closed\_size = {size}, over 10 terms and factors: left out; the $\delta$ form gives it)}}"
    assert size > 10 and note in text


def lecture_004_forward() -> dict[str, float]:
    """Lecture 004's 2-2-2 net by hand: inputs 0.05, 0.1, weights 0.15 … 0.5, targets 0.01, 0.99."""
    s = sigmoid
    h1, h2 = s(0.05 * 0.15 + 0.1 * 0.2), s(0.05 * 0.25 + 0.1 * 0.3)
    o1, o2 = s(h1 * 0.35 + h2 * 0.4), s(h1 * 0.45 + h2 * 0.5)
    return {"h1": h1, "o1": o1, "o2": o2}


def test_each_product_shows_its_numbers_then_its_value_as_lecture_004():
    # lecture 004: ∂E_total/∂w5 = 0.5843 × 0.2411 × 0.5069 = 0.0714
    v = lecture_004_forward()
    factors = [v["o1"] - 0.01, v["o1"] * (1 - v["o1"]), v["h1"]]
    assert [round(f, 4) for f in factors] == [0.5843, 0.2411, 0.5069]
    text = derivation_latex(derive(load("bp-2-2-2-sigmoid-no-bias")), ["w5", "w1"], "paths")
    numbers = r" \times ".join(f"{f:.6g}" for f in factors)
    value = math.prod(factors)
    assert round(value, 4) == 0.0714
    assert f"&= {numbers} \\\\\n&= {value:.6g}\n" in text
    # ∂E_total/∂w1 = [0.5843 × 0.241 × 0.35 + (−0.3714) × 0.2359 × 0.45] × 0.25 × 0.05, a path a line
    dh1 = v["h1"] * (1 - v["h1"])
    second = [v["o2"] - 0.99, v["o2"] * (1 - v["o2"]), 0.45, dh1, 0.05]
    assert [round(f, 4) for f in second[:2]] == [-0.3714, 0.2359] and round(dh1, 2) == 0.25
    line = r"&\quad + " + r" \times ".join(f"({f:.6g})" if f < 0 else f"{f:.6g}" for f in second) + r" \\"
    assert line in text.splitlines()


def test_a_data_set_has_no_numbers_line():
    # one sample's formula summed over the data: its factors' numbers would not multiply out
    ex = from_equations({"y": "w*x", "E": "(t - y)**2"}, params=["w"], at={"w": 1}, data={"x": [1, 2], "t": [0, 1]})
    assert r"\times" not in derivation_latex(derive(ex), form="paths")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("target_o1", r"\mathrm{target}_{o1}"),  # lecture 004's \text{target}_{o1}
        ("E_total", r"E_{\mathrm{total}}"),  # lecture 004's E_{\text{total}}
        ("out_h1", r"\mathrm{out}_{h1}"),
        ("net1_2", r"\mathrm{net}^{1}_{2}"),  # lecture 001's net^{1}_{2}, upright
        ("price", r"\mathrm{price}"),
        ("y_true", r"y_{\mathrm{true}}"),
    ],
)
def test_multi_letter_names_are_upright_and_read_back(name, expected):
    assert latex_name(name) == expected
    symbol = sympy.Symbol(name)
    assert parse_latex(expected, {name: symbol}) == symbol
    assert parse_latex(rf"2 {expected} \cdot {expected}", {name: symbol}) == 2 * symbol**2


@pytest.mark.parametrize("exercise", EXERCISE_FILES, ids=lambda path: path.stem)
def test_the_handouts_formulas_read_back_as_answers(exercise):
    # What the handout prints for a path's product or a short closed form, a student may copy
    # as an answer: the grader's LaTeX reader must read it as the same expression.
    ex = load(str(exercise))
    tex = printer()
    forms = []
    for gradient in gradients(SymbolicDerivation(ex)).values():
        forms += [(tex.product(list(reversed(path.factors))), path.product) for path in gradient.paths]
        if gradient.closed_size <= 40:
            forms.append((tex.doprint(gradient.closed), gradient.closed))
    assert forms
    for text, expected in forms:
        read = parse_latex(text, ex.symbols)
        names = sorted(read.free_symbols | expected.free_symbols, key=str)
        # equal at a point with every name a different rational (σ(βx) and σ(x, β) are one function)
        point = {symbol: sympy.Rational(index + 2, 7) for index, symbol in enumerate(names)}
        assert abs(float((read - expected).xreplace(point).evalf())) < 1e-12, text


def test_numbers_on_the_figure_and_in_the_layer_instance_are_latex_numbers():
    # 1.5e-07 is no number in LaTeX math: the worked solution writes 1.5 \times 10^{-7}, and -0.0 as 0.
    from symbackprop.exercise.model import load
    from symbackprop.render.latex_figure import tikz_figure
    from symbackprop.render.layer_latex import NumberPrinter

    ex = load("two-branch-sigmoid")
    text = tikz_figure(ex, values={name: (1.5e-7, -0.0) for name in ex.graph.names})
    assert r"value $1.5 \times 10^{-7}$" in text and "grad $0$" in text and "e-07" not in text
    x = sympy.IndexedBase("x")[1]  # the printer puts numbers for the rule's indexed quantities
    assert NumberPrinter({x: -2.5e-8}).doprint(x) == r"\left(-2.5 \times 10^{-8}\right)"
