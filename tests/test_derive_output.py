"""What derive shows and what it leaves out: brackets in the δ form, closed forms past a size bound, big nets."""

from __future__ import annotations

import json
import math

import sympy
from typer.testing import CliRunner

from symbackprop.cli import app
from symbackprop.engine.derivation import derive
from symbackprop.exercise.model import from_equations

runner = CliRunner()

# σ(σ(σ(w·x))) differentiated: a closed form of a few dozen nodes, far past a bound of 10.
NESTED = ("-e", "E = sigmoid(sigmoid(sigmoid(w*x)))", "--wrt", "w", "--at", "w=0.1", "--at", "x=1")


def invoke(*args: str) -> str:
    result = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.output


def nested_closed_size() -> int:
    """The closed form's node count as SymPy's own traversal counts it."""
    ex = from_equations({"E": "sigmoid(sigmoid(sigmoid(w*x)))"}, params=["w"], at={"w": 0.1, "x": 1})
    return len(list(sympy.preorder_traversal(derive(ex).gradient("w").closed)))


def one_spaced(text: str) -> str:
    """``text`` with every run of spaces one space: the terminal's tables pad their columns."""
    return " ".join(text.split())


def test_delta_form_keeps_a_sum_in_brackets():
    # u = w² + w, E = u·t: ∂E/∂w = δᵤ·(2w + 1) = 3·(2·2 + 1) = 15; without brackets it reads 3·1 + 2·2 = 7.
    out = one_spaced(
        invoke(
            "derive",
            "-e",
            "u = w**2 + w",
            "-e",
            "E = u*t",
            "--wrt",
            "w",
            "--at",
            "w=2",
            "--at",
            "t=3",
            "--form",
            "delta",
        )
    )
    assert "∂E/∂w = δ_u·(1 + 2·w) = 15" in out or "∂E/∂w = δ_u·(2·w + 1) = 15" in out, out


def test_delta_form_of_the_lecture_net_keeps_the_loss_derivative_in_brackets():
    # E_total = E_o1 + E_o2, E_o1 = (target_o1 − out_o1)²/2: ∂E_o1/∂out_o1 = out_o1 − target_o1, one factor.
    out = invoke("derive", "bp-2-2-2-sigmoid-no-bias", "--wrt", "w5", "--form", "delta")
    assert "δ_E_o1·(out_o1 - target_o1)" in out, out


def test_json_closed_is_null_past_the_bound_with_its_size_beside_it():
    data = json.loads(invoke("derive", *NESTED, "--json", "--closed-limit", "10"))
    gradient = data["gradients"]["w"]
    assert gradient["closed"] is None and gradient["closed_size"] == nested_closed_size() > 10
    assert data["closed_limit"] == 10


def test_json_closed_is_printed_within_the_bound_and_with_no_bound():
    for limit in ("0", "100000"):
        gradient = json.loads(invoke("derive", *NESTED, "--json", "--closed-limit", limit))["gradients"]["w"]
        closed = sympy.sympify(
            gradient["closed"].replace("sigmoid", "S"), locals={"S": lambda u: 1 / (1 + sympy.exp(-u))}
        )
        w, x = sympy.symbols("w x")
        by_hand = sympy.diff(1 / (1 + sympy.exp(-1 / (1 + sympy.exp(-1 / (1 + sympy.exp(-w * x)))))), w)
        assert abs(float((closed - by_hand).subs({w: 0.1, x: 1}))) < 1e-12
        assert gradient["closed_size"] == nested_closed_size()


def test_terminal_and_latex_state_the_same_size_and_bound():
    size = nested_closed_size()
    assert f"closed_size = {size} (over 10 terms and factors: --form closed prints it)" in invoke(
        "derive", *NESTED, "--closed-limit", "10"
    )
    assert rf"closed\_size = {size}, over 10 terms and factors" in invoke(
        "derive", *NESTED, "--latex", "--closed-limit", "10"
    )


def test_form_closed_asked_for_prints_it_whatever_its_size():
    out = invoke("derive", *NESTED, "--form", "closed", "--closed-limit", "10")
    assert "closed_size" not in out and "σ(σ(w·x))" in out


def test_params_named_with_wrt_are_all_shown_in_full():
    # Twelve params named one by one: none is folded into a one-line summary.
    equations = [f"h{i} = sigmoid(w{i}*x)" for i in range(1, 13)]
    args = [item for eq in equations for item in ("-e", eq)] + [
        "-e",
        "E = " + " + ".join(f"h{i}" for i in range(1, 13)),
    ]
    wrt = [item for i in range(1, 13) for item in ("--wrt", f"w{i}")]
    out = invoke("derive", *args, *wrt)
    assert out.count("╭─") == 12 and "more params" not in out


def test_default_params_past_the_bound_are_one_line_each_with_value_and_paths(tmp_path):
    # A 3-3-1 net as a file with its params declared: derive with no --wrt shows 3 panels, then 9 lines.
    lines = ["[graph]"]
    for i in range(1, 4):
        lines.append(f'net1_{i} = "' + " + ".join(f"W1_{i}{j}*x{j}" for j in range(1, 4)) + '"')
        lines.append(f'o1_{i} = "sigmoid(net1_{i})"')
    lines.append('y = "' + " + ".join(f"W2_1{j}*o1_{j}" for j in range(1, 4)) + '"')
    lines.append('E = "(t - y)**2/2"')
    params = [f"W1_{i}{j}" for i in range(1, 4) for j in range(1, 4)] + [f"W2_1{j}" for j in range(1, 4)]
    lines += ["[roles]", 'loss = "E"', "params = [" + ", ".join(f'"{p}"' for p in params) + "]", "[at]"]
    lines += [f"x{j} = {j}" for j in range(1, 4)] + [f"{p} = 0.5" for p in params] + ["t = 1"]
    path = tmp_path / "net.toml"
    path.write_text("\n".join(lines) + "\n")
    out = invoke("derive", str(path))
    assert out.count("╭─") == 3
    assert "9 more params, one line each (the first 3 are in full above; --wrt P shows any param in full)" in out
    # W²₁₃: y depends on it through one edge, so ∂E/∂W²₁₃ = −(t − y)·o¹₃ with every W = 0.5, x = (1, 2, 3):
    # net¹ᵢ = 0.5·6 = 3, o¹ᵢ = σ(3), y = 1.5·σ(3).
    s3 = 1 / (1 + sympy.exp(-3))
    expected = float(-(1 - 1.5 * s3) * s3)
    row = next(line for line in out.splitlines() if line.startswith("∂E/∂W²₁₃"))
    assert f"= {expected:.6g}" in row and "1 path" in row
    # With --form delta each line carries the param's own δ step.
    delta = invoke("derive", str(path), "--form", "delta")
    row = next(line for line in delta.splitlines() if line.startswith("∂E/∂W²₁₃"))
    assert "∂E/∂W²₁₃ = δ_y·o¹₃" in row


def test_the_chain_rule_line_is_left_out_beside_the_paths_it_repeats():
    everything = invoke("derive", "--wrt", "w1")
    assert "chain" not in everything and "w₁ → s₁ → h₁ → s₂ → h₂ → s₄ → y → E" in everything
    assert "∂E/∂y·∂y/∂s₄" in invoke("derive", "--wrt", "w1", "--form", "chain")


def test_exact_value_comes_from_the_graph_not_the_closed_form():
    # y = 1/(x + t), x = v² + w, t = sin((w + v)π), v = eʷ at w = 0: dy/dw = 2π − 3 (deck 003).
    ex = from_equations(
        {"v": "exp(w)", "x": "v**2 + w", "t": "sin((w + v)*pi)", "y": "1/(x + t)"}, params=["w"], at={"w": 0}
    )
    d = derive(ex)
    gradient = d.gradient("w")
    assert gradient.exact == 2 * sympy.pi - 3
    assert "closed" not in vars(gradient)  # the closed form was never built to find it
    assert d.exact_adjoints["v"] is not None  # every node on the way has its exact adjoint
    # A sigmoid of a non-zero rational stays unevaluated: no short exact value, only the float.
    net = derive(from_equations({"h": "sigmoid(w*x)", "E": "(1 - h)**2/2"}, params=["w"], at={"w": 1, "x": 1}))
    assert net.gradient("w").exact is None and net.exact_adjoints["w"] is None


def test_a_closed_form_within_the_node_bound_but_long_states_its_size_and_length():
    # ∂E/∂w of E = w·(a + b + …) over 30 long names is the sum of those names: 31 nodes (the sum
    # and its 30 terms), written with " + " between them: longer than the terminal's 600 characters.
    names = [f"input_number_{k:02d}_of_thirty" for k in range(30)]
    out = invoke("derive", "-e", f"E = w*({' + '.join(names)})", "--wrt", "w", "--form", "all")
    length = sum(map(len, names)) + 3 * (len(names) - 1)
    assert length > 600
    assert f"… closed_size = 31 ({length} characters: --form closed prints it)" in out
    asked = invoke("derive", "-e", f"E = w*({' + '.join(names)})", "--wrt", "w", "--form", "closed")
    assert "closed_size" not in asked and names[0] in asked  # asked for alone: printed whatever its length


def lecture_001_error_terms() -> tuple[float, float]:
    """Lecture 001's 2-2-1 net by hand: (∂L/∂net²₁, ∂L/∂net¹₁) with L = (t − y)²/2, no biases."""
    x1, x2, t = 0.35, 0.9, 0.5
    h1 = 1 / (1 + math.exp(-(0.1 * x1 + 0.8 * x2)))
    h2 = 1 / (1 + math.exp(-(0.4 * x1 + 0.6 * x2)))
    y = 1 / (1 + math.exp(-(0.3 * h1 + 0.9 * h2)))
    dnet2 = -(t - y) * y * (1 - y)  # ∂L/∂y · σ′(net²₁)
    dnet1 = dnet2 * 0.3 * h1 * (1 - h1)  # · W²₁₁ · σ′(net¹₁)
    return dnet2, dnet1


def test_lecture_001_delta_is_minus_dl_dnet_in_the_terminal_and_json():
    dnet2, dnet1 = lecture_001_error_terms()
    # the deck's δ²₁ = −0.0406 and δ¹₁ = −0.0027 (from y rounded to 0.69): negative, as −∂L/∂net is here
    assert abs(-dnet2 - -0.0406) < 2e-4 and abs(-dnet1 - -0.0027) < 1e-4
    out = invoke("derive", "bp-2-2-1-sigmoid", "--wrt", "W1_11", "--form", "delta")
    assert 'δₙ = -∂L/∂n for every node n ([conventions] delta_sign = "-dL/dnet", lecture 001\'s)' in one_spaced(out)
    rows = {line.split("=")[0].strip("│ ").removeprefix("delta").strip(): line for line in out.splitlines()}
    assert rows["δ²₁"].rstrip(" │").endswith(f"= {-dnet2:.6g}")
    assert rows["δ¹₁"].rstrip(" │").endswith(f"= {-dnet1:.6g}")
    # ∂L/∂W¹₁₁ = −δ¹₁·x⁰₁: the gradient keeps its own sign
    assert f"∂L/∂W¹₁₁ = -δ¹₁·x⁰₁ = {dnet1 * 0.35:.6g}" in one_spaced(out)
    data = json.loads(invoke("derive", "bp-2-2-1-sigmoid", "--wrt", "W1_11", "--json"))
    assert data["delta_sign"] == "-dL/dnet"
    steps = {step["node"]: step for step in data["gradients"]["W1_11"]["delta"]}
    assert abs(steps["net2_1"]["delta"] - -dnet2) < 1e-12 and abs(steps["net2_1"]["value"] - dnet2) < 1e-12
    assert abs(steps["net1_1"]["delta"] - -dnet1) < 1e-12
    assert steps["W1_11"]["delta"] is None  # the param's own step is ∂L/∂W, not an error term


def test_default_delta_is_dl_dnet_in_the_terminal_and_json():
    # E = (t − σ(net))²/2, net = w·x at w = 0.5, x = 2, t = 1: δ = ∂E/∂net = −(t − y)·y(1 − y) < 0.
    y = 1 / (1 + math.exp(-1.0))
    by_hand = -(1 - y) * y * (1 - y)
    args = ("derive", "-e", "net = w*x", "-e", "y = sigmoid(net)", "-e", "E = (t - y)**2/2", "--wrt", "w")
    point = ("--at", "w=0.5", "--at", "x=2", "--at", "t=1")
    out = one_spaced(invoke(*args, *point, "--form", "delta"))
    assert 'δₙ = ∂E/∂n for every node n ([conventions] delta_sign = "dL/dnet", the default)' in out
    assert f"δ_net = ∂E/∂net = δ_y·y(1 - y) = {by_hand:.6g}" in out
    assert f"∂E/∂w = δ_net·x = {2 * by_hand:.6g}" in out
    data = json.loads(invoke(*args, *point, "--json"))
    assert data["delta_sign"] == "dL/dnet"
    (step,) = [step for step in data["gradients"]["w"]["delta"] if step["node"] == "net"]
    assert abs(step["delta"] - by_hand) < 1e-12 and step["delta"] == step["value"]


def test_the_convention_line_is_printed_only_with_the_delta_form():
    assert "delta_sign" not in invoke("derive", "fx-plus-y-times-z", "--form", "paths")
    assert "delta_sign" in invoke("derive", "fx-plus-y-times-z")


def test_form_layer_json_is_plain_json_with_its_closed_form_bound():
    # One copy of the layer block: --form layer --json is --json, bounds and all (issue 18).
    for bound in ([], ["--closed-limit", "3"]):
        layered = json.loads(invoke("derive", "bp-2-2-1-sigmoid", "--form", "layer", "--json", *bound))
        assert layered == json.loads(invoke("derive", "bp-2-2-1-sigmoid", "--json", *bound))
        assert layered["layer"]["rules"] and layered["closed_limit"] == (3 if bound else 300)
    gradients = layered["gradients"].values()
    # σ′ alone is x(1 − x), five nodes: every closed form of this net is past a bound of 3
    assert gradients and all(item["closed"] is None and item["closed_size"] > 3 for item in gradients)


def test_form_layer_in_the_terminal_refuses_a_closed_limit():
    result = runner.invoke(app, ["derive", "bp-2-2-1-sigmoid", "--form", "layer", "--closed-limit", "3"])
    assert result.exit_code == 2 and "--closed-limit" in result.output
    assert len(result.output.strip().splitlines()) == 1
