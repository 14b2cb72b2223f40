"""Grading layer rules in index or matrix form: round trips of the rules' own forms, and each mistake named."""

from __future__ import annotations

import ast
import itertools
from pathlib import Path

import numpy as np
import pytest

from symbackprop.engine.layer_forms import rule_forms
from symbackprop.engine.layer_rules import derive_rules
from symbackprop.errors import ParseError, SymbackpropError
from symbackprop.exercise.catalog import read_toml
from symbackprop.grading.grader import Grader
from symbackprop.grading.questions import load_for_grading
from symbackprop.parse.layer_rule import parse_layer_rule

NETS = [
    ("[2, 2, 1]", '"sigmoid"', "half_sse", "false", "-dL/dnet"),
    ("[2, 3, 2]", '["tanh", "identity"]', "sse", "true", "dL/dnet"),
    ("[3, 2, 2, 1]", '["relu", "sigmoid", "sigmoid"]', "mse", "true", "-dL/dnet"),
    ("[2, 3, 2, 2, 2]", '["sigmoid", "tanh", "softplus", "softmax"]', "cce", "false", "dL/dnet"),
]


def _entry(layer: int, i: int, j: int) -> float:
    return round(0.1 * layer + 0.3 * i - 0.17 * j + 0.05 * i * j, 3)


def _weights(sizes: list[int]) -> str:
    # Not symmetric, so that W_ik and W_ki differ wherever both exist.
    layers = []
    for layer, (before, after) in enumerate(itertools.pairwise(sizes), 1):
        layers.append([[_entry(layer, i, j) for j in range(before)] for i in range(after)])
    return str(layers)


def write_exercise(tmp_path, sizes: str, activation: str, loss: str, bias: str, sign: str, questions: str = "") -> str:
    numbers = [int(n) for n in sizes.strip("[]").split(",")]
    biases = f"biases = {[[0.1 * i - 0.05 for i in range(n)] for n in numbers[1:]]}" if bias == "true" else ""
    inputs = "\n".join(f"x0_{j} = {0.4 - 0.3 * j}" for j in range(1, numbers[0] + 1))
    targets = "\n".join(f"t_{i} = {0.2 + 0.15 * i}" for i in range(1, numbers[-1] + 1))
    text = f"""id = "net"
[layers]
sizes = {sizes}
activation = {activation}
loss = "{loss}"
bias = {bias}
weights = {_weights(numbers)}
{biases}

[at]
{inputs}
{targets}

[conventions]
delta_sign = "{sign}"
{questions}
"""
    path = tmp_path / "net.toml"
    path.write_text(text)
    return str(path)


def _grader(path: str) -> Grader:
    exercise, questions = load_for_grading(path)
    return Grader(exercise, questions)


def _ask_every_rule(tmp_path, net) -> Grader:
    path = write_exercise(tmp_path, *net)
    names = [rule.name for rule in derive_rules(read_exercise(path)).rules]
    questions = "\n".join(f'[questions.{name}]\nask = "rule:{name}"\n' for name in names)
    return _grader(write_exercise(tmp_path, *net, questions=questions))


def read_exercise(path: str):
    from symbackprop.exercise.model import from_toml

    return from_toml(read_toml(Path(path)), source=path, default_id="net")


@pytest.mark.parametrize("net", NETS, ids=[net[0] + net[2] for net in NETS])
def test_every_rules_plain_and_latex_forms_round_trip_and_grade_correct(tmp_path, net):
    grader = _ask_every_rule(tmp_path, net)
    for rule in grader.layer_judge.rules.rules:
        for form, text in rule_forms(rule).items():
            if form == "name":
                continue
            verdict = grader.grade(rule.name, text)
            assert verdict.verdict == "correct", (rule.name, form, text, verdict.feedback)


LECTURE = NETS[0]  # lecture 001's 2-2-1 sigmoid net with its sign, δ = −∂L/∂net


@pytest.mark.parametrize(
    "answer",
    [
        "sigma'(net^l) * sum_k W^{l+1}_{ki} delta^{l+1}_k",  # the issue's own spelling, net^l without its i
        "(W^{l+1})^T delta^{l+1} .* f'(net^l)",
        r"\sigma'(\mathit{net}^l_i) \sum_{k=1}^{n^{l+1}} W^{l+1}_{ki} \delta^{l+1}_k",
        r"\left(W^{l+1}\right)^\top \delta^{l+1} \odot \sigma'(net^l)",
        r"\delta^l_i = x^l_i (1 - x^l_i) \sum_k W^{l+1}_{ki} \delta^{l+1}_k",  # σ′ = x(1 − x), as the lecture uses it
        "δ^l = σ'(net^l) ⊙ (W^{l+1})ᵀ δ^{l+1}",
    ],
)
def test_the_hidden_delta_as_students_write_it(tmp_path, answer):
    grader = _ask_every_rule(tmp_path, LECTURE)
    assert grader.grade("delta_hidden", answer).verdict == "correct"


@pytest.mark.parametrize(
    ("net", "question", "answer", "kind"),
    [
        # a 2-2-1 net: W² is 1×2, so W_ik runs out of its range, and in matrix form W δ does not fit
        (LECTURE, "delta_hidden", "sigma'(net^l_i) * sum_k W^{l+1}_{ik} delta^{l+1}_k", "transpose"),
        (LECTURE, "delta_hidden", "W^{l+1} delta^{l+1} .* f'(net^l)", "transpose"),
        # a square W (3-2-2-1: W² is 2×2): W_ik exists and only its values differ
        (NETS[2], "delta_hidden", "f'(net^l_i) * sum_k W^{l+1}_{ik} delta^{l+1}_k", "transpose"),
        (LECTURE, "delta_hidden", "sigma'(net^l_i) * sum_k W^{l}_{ki} delta^{l+1}_k", "layer_index"),
        (NETS[2], "delta_hidden", "f'(net^l_i) * sum_k W^{l+1}_{ki} delta^{l}_k", "layer_index"),
        (NETS[2], "delta_hidden", "f'(net^{l+1}_i) * sum_k W^{l+1}_{ki} delta^{l+1}_k", "activation_layer"),
        (LECTURE, "delta_hidden", "sum_k W^{l+1}_{ki} delta^{l+1}_k", "activation_derivative"),
        (LECTURE, "delta_hidden", "(W^{l+1})^T delta^{l+1}", "activation_derivative"),
        (LECTURE, "delta_output", "(y_i - t_i) f'(net^L_i)", "sign"),
        (LECTURE, "dW_hidden", "delta^l_i x^{l-1}_j", "sign"),
        (LECTURE, "dW_output", "delta^L (x^{L-1})^T", "sign"),
        (NETS[1], "delta_output", "(t_i - y_i)*2", "sign"),
        # lecture 001's slide typo, x_i^{L−1} for x_j^{L−1}
        (LECTURE, "dW_output", "-delta^L_i x^{L-1}_i", "unit_index"),
    ],
)
def test_each_mistake_is_named(tmp_path, net, question, answer, kind):
    grader = _ask_every_rule(tmp_path, net)
    verdict = grader.grade(question, answer)
    assert verdict.verdict == "wrong" and verdict.diagnoses == (kind,), verdict.feedback


def test_the_sign_feedback_names_the_convention_in_force(tmp_path):
    verdict = _ask_every_rule(tmp_path, LECTURE).grade("delta_output", "(y_i - t_i) f'(net^L_i)")
    assert 'delta_sign = "-dL/dnet"' in verdict.feedback


def test_partial_credit_for_a_named_layer_mistake(tmp_path):
    questions = '[questions.q1]\nask = "rule:delta_hidden"\npoints = 2\npartial = { transpose = 0.5 }\n'
    grader = _grader(write_exercise(tmp_path, *LECTURE, questions=questions))
    verdict = grader.grade("q1", "W^{l+1} delta^{l+1} .* f'(net^l)")
    assert verdict.points == 1.0 and verdict.max_points == 2.0


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ('ask = "rule:delta_nowhere"', "no layer rule 'delta_nowhere'"),
        ('ask = "rule:delta_hidden"\nform = "numeric"', "a layer rule is a formula"),
        ('ask = "rule:delta_hidden"\npartial = { transposed = 1 }', "expected a fraction"),
    ],
)
def test_bad_rule_questions_are_errors(tmp_path, spec, message):
    path = write_exercise(tmp_path, *LECTURE, questions=f"[questions.q1]\n{spec}\n")
    with pytest.raises(SymbackpropError, match=message):
        load_for_grading(path)


@pytest.mark.parametrize(
    "answer",
    [
        "__import__('os').system('true')",
        "W^{l+1}_{ki} delta^{l+1}_k; import os",
        "(" * 5000 + "W^l" + ")" * 5000,
        "x" * 20_000,
        r"\input{/etc/passwd}",
        "exp(W^l_{ij})",
        "sum_a sum_b sum_c sum_d W^{l+1}_{ki}",  # each nested sum multiplies the work
    ],
)
def test_hostile_answers_are_unparsable_not_run(tmp_path, answer):
    with pytest.raises(ParseError):
        parse_layer_rule(answer)
    verdict = _ask_every_rule(tmp_path, LECTURE).grade("delta_hidden", answer)
    assert verdict.verdict == "unparsable"


def test_an_answer_with_a_free_index_is_wrong_not_a_crash(tmp_path):
    verdict = _ask_every_rule(tmp_path, LECTURE).grade("delta_hidden", "W^{l+1}_{qi}")
    assert verdict.verdict == "wrong"


def test_evaluating_an_answer_has_a_bounded_number_of_steps(tmp_path, monkeypatch):
    from symbackprop.judge import layer_rule

    right = "f'(net^l_i) * sum_k W^{l+1}_{ki} delta^{l+1}_k"
    costly = right + " + 0*(sum_a sum_b sum_c W^{l+1}_{ai} delta^{l+1}_b x^l_c)"
    grader = _ask_every_rule(tmp_path, NETS[3])
    assert grader.grade("delta_hidden", costly).verdict == "correct"
    monkeypatch.setattr(layer_rule, "MAX_STEPS", 50)  # three nested sums over 2–3 units take more
    grader = _ask_every_rule(tmp_path, NETS[3])
    assert grader.grade("delta_hidden", right).verdict == "correct"
    assert grader.grade("delta_hidden", costly).verdict == "wrong"


def _lecture_forward():
    """Lecture 001's 2-2-1 sigmoid net (LECTURE) by NumPy: net¹, and W²ᵀδ² with δ = −∂L/∂net."""
    weights = [np.array(w) for w in ast.literal_eval(_weights([2, 2, 1]))]
    x0 = np.array([[0.4 - 0.3 * j] for j in (1, 2)])
    t = np.array([[0.35]])
    net1 = weights[0] @ x0
    x1 = 1 / (1 + np.exp(-net1))
    net2 = weights[1] @ x1
    y = 1 / (1 + np.exp(-net2))
    delta2 = (t - y) * y * (1 - y)  # half_sse, δ = −∂L/∂net
    return net1, weights[1].T @ delta2


@pytest.mark.parametrize(
    ("answer", "slope"),
    [
        ("relu'(net^l_i) * sum_k W^{l+1}_{ki} delta^{l+1}_k", lambda net: (net > 0).astype(float)),
        ("tanh'(net^l_i) * sum_k W^{l+1}_{ki} delta^{l+1}_k", lambda net: 1 - np.tanh(net) ** 2),
        (r"\tanh'(net^l_i) \sum_k W^{l+1}_{ki} \delta^{l+1}_k", lambda net: 1 - np.tanh(net) ** 2),
        ("(W^{l+1})^T delta^{l+1} .* softplus'(net^l)", lambda net: 1 / (1 + np.exp(-net))),
    ],
)
def test_another_activations_derivative_is_that_function_not_the_layers(tmp_path, answer, slope):
    grader = _ask_every_rule(tmp_path, LECTURE)
    judge = grader.layer_judge
    rule = next(rule for rule in judge.rules.rules if rule.name == "delta_hidden")
    net1, back = _lecture_forward()
    at_the_point = judge.values(parse_layer_rule(answer), rule)[0]
    assert np.allclose(at_the_point, slope(net1) * back)
    verdict = grader.grade("delta_hidden", answer)
    assert verdict.verdict == "wrong" and verdict.diagnoses == ("activation_derivative",), verdict.feedback
    assert "is not this layer's activation derivative" in verdict.feedback


def test_softmax_derivative_on_a_sigmoid_layer_is_wrong(tmp_path):
    verdict = _ask_every_rule(tmp_path, LECTURE).grade(
        "delta_hidden", "softmax'(net^l_i) * sum_k W^{l+1}_{ki} delta^{l+1}_k"
    )
    assert verdict.verdict == "wrong" and verdict.diagnoses == ("activation_derivative",), verdict.feedback


@pytest.mark.parametrize(
    ("answer", "verdict"),
    [
        ("tanh'(net^l_i) * sum_k W^{l+1}_{ki} delta^{l+1}_k", "correct"),  # NETS[1]'s hidden layer is tanh
        ("g'(net^l_i) * sum_k W^{l+1}_{ki} delta^{l+1}_k", "correct"),
        ("sigma'(net^l_i) * sum_k W^{l+1}_{ki} delta^{l+1}_k", "wrong"),  # σ is the sigmoid, not tanh
    ],
)
def test_the_layers_own_activation_name_is_its_derivative(tmp_path, answer, verdict):
    assert _ask_every_rule(tmp_path, NETS[1]).grade("delta_hidden", answer).verdict == verdict


@pytest.mark.parametrize(
    ("answer", "kind"),
    [
        # k = 5 … n² = 1 is an empty sum: δ¹ = 0, not the rule
        (r"\sigma'(net^l_i) \sum_{k=5}^{n^{l+1}} W^{l+1}_{ki} \delta^{l+1}_k", "unit_index"),
        (r"\sigma'(net^l_i) \sum_{k=0}^{n^{l+1}} W^{l+1}_{ki} \delta^{l+1}_k", "unit_index"),  # there is no unit 0
        # k runs over layer l + 1 (1 unit); n^l = 2 reaches W²_{2i}, which does not exist
        (r"\sigma'(net^l_i) \sum_{k=1}^{n^{l}} W^{l+1}_{ki} \delta^{l+1}_k", "layer_index"),
    ],
)
def test_a_sums_bounds_are_read_as_written(tmp_path, answer, kind):
    verdict = _ask_every_rule(tmp_path, LECTURE).grade("delta_hidden", answer)
    assert verdict.verdict == "wrong" and verdict.diagnoses == (kind,), verdict.feedback


def test_a_sum_from_two_leaves_out_the_first_unit(tmp_path):
    # On the 3-2-2-1 net W² is 2×2 and δ² has 2 units: Σ_{k=2}^{2} is W²_{2i} δ²_2 alone, by NumPy below.
    grader = _ask_every_rule(tmp_path, NETS[2])
    judge = grader.layer_judge
    rule = next(rule for rule in judge.rules.rules if rule.name == "delta_hidden")
    whole = judge.values(parse_layer_rule("f'(net^l_i) * sum_{k=1}^{n^{l+1}} W^{l+1}_{ki} delta^{l+1}_k"), rule)
    first = judge.values(parse_layer_rule("f'(net^l_i) * W^{l+1}_{1i} delta^{l+1}_1"), rule)
    second = judge.values(parse_layer_rule("f'(net^l_i) * sum_{k=2}^{n^{l+1}} W^{l+1}_{ki} delta^{l+1}_k"), rule)
    assert all(np.allclose(w - f, s) for w, f, s in zip(whole, first, second, strict=True))
    assert not np.allclose(whole[0], second[0])


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        # On the 2-2-1 net l + 1 = L = 2: these equal the rule there, but not on a deeper net
        ("delta_hidden", "sigma'(net^1_i) * sum_k W^{2}_{ki} delta^{2}_k"),
        ("delta_hidden", "sigma'(net^l_i) * sum_k W^{L}_{ki} delta^{L}_k"),
        ("delta_hidden", r"\sigma'(net^l_i) \sum_{k=1}^{n^{2}} W^{2}_{ki} \delta^{2}_k"),
        ("dW_output", "-delta^L_i x^{1}_j"),
        ("delta_output", "(t_i - y_i) f'(net^2_i)"),
    ],
)
def test_concrete_layer_numbers_are_not_the_general_rule(tmp_path, question, answer):
    verdict = _ask_every_rule(tmp_path, LECTURE).grade(question, answer)
    assert verdict.verdict == "wrong" and verdict.diagnoses == ("layer_index",), verdict.feedback


def test_the_deeper_net_a_rule_is_also_judged_on_is_backpropagated_right(tmp_path):
    # The deeper net's δ at its own point, by an independent NumPy backprop (sigmoid, half_sse,
    # δ = −∂L/∂net), equals what the judge holds each answer to.
    from symbackprop.judge.layer_rule import deeper_net

    grader = _ask_every_rule(tmp_path, LECTURE)
    judge = grader.layer_judge
    deeper = deeper_net(grader.exercise)
    sizes = deeper.layers["sizes"]
    assert len(sizes) == 5 and sizes[0] == 2 and sizes[-1] == 1
    weights = [np.array(w) for w in deeper.layers["weights"]]
    xs = [np.array([[0.4 - 0.3 * j] for j in (1, 2)])]
    for w in weights:
        xs.append(1 / (1 + np.exp(-(w @ xs[-1]))))
    deltas = [(np.array([[0.35]]) - xs[-1]) * xs[-1] * (1 - xs[-1])]
    for layer in range(len(weights) - 1, 0, -1):
        deltas.insert(0, xs[layer] * (1 - xs[layer]) * (weights[layer].T @ deltas[0]))
    rule = next(rule for rule in judge.rules.rules if rule.name == "delta_hidden")
    own_points = 1 + judge.random_points  # the exercise's net first: its point and the random ones
    on_deeper_point = judge.references(rule)[own_points : own_points + 3]
    assert all(np.allclose(got, want) for got, want in zip(on_deeper_point, deltas[:3], strict=True))


def test_a_grader_moved_to_a_students_point_judges_rules_there(tmp_path):
    # A variant's grader is a copy of the class's (Grader.moved): a rule judge the class's grader
    # already built at its own point must not be the one the student's copy uses.
    grader = _ask_every_rule(tmp_path, NETS[0])
    name = next(iter(grader.questions))
    grader.grade_rule(grader.questions[name], "0")  # builds and caches the class's judge
    point = dict(grader.exercise.point or {})
    moved_to = {key: value * 2 for key, value in point.items()}
    moved = grader.moved(moved_to)
    assert moved.layer_judge is not grader.layer_judge
    assert moved.layer_judge.exercise.point == moved_to and grader.layer_judge.exercise.point == point
