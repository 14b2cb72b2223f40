"""The command line through typer's CliRunner: derive, list, show."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys

import pytest
from conftest import EXERCISE_FILES, EXERCISES
from reference import sigmoid
from typer.testing import CliRunner

from symbackprop.cli import app

runner = CliRunner()


def invoke(*args: str):
    result = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.output


def test_derive_with_no_exercise_works_the_two_branch_network():
    out = invoke("derive")
    assert "two-branch-sigmoid" in out
    for param in ("w₁", "w₂", "w₃", "w₄", "w₅"):
        assert f"∂E/∂{param}" in out
    # one line per path, in the lecture's terms
    assert "w₁ → s₁ → h₁ → s₂ → h₂ → s₄ → y → E" in out
    assert "-(yₜ - y)·w₄·h₂(1 - h₂)·w₂·h₁(1 - h₁)·xₜ" in out
    assert "δ_h₁ = ∂E/∂h₁ = δ_s₂·w₂ + δ_s₃·w₃" in out  # δ = ∂E/∂n, the default


PRODUCT_1 = "-(yₜ - y)·w₄·h₂(1 - h₂)·w₂·h₁(1 - h₁)·xₜ"
PRODUCT_2 = "-(yₜ - y)·w₅·h₃(1 - h₃)·w₃·h₁(1 - h₁)·xₜ"


def two_branch_paths() -> tuple[float, float]:
    """Deck 003's two products for ∂E/∂w1, by hand at the catalog's point."""
    x_t, y_t, w1, w2, w3, w4, w5 = 1.0, 1.0, 1.0, 0.5, -1.0, 1.5, -0.5
    h1 = sigmoid(x_t * w1)
    h2, h3 = sigmoid(h1 * w2), sigmoid(h1 * w3)
    y = h2 * w4 + h3 * w5
    return (
        -(y_t - y) * w4 * h2 * (1 - h2) * w2 * h1 * (1 - h1) * x_t,
        -(y_t - y) * w5 * h3 * (1 - h3) * w3 * h1 * (1 - h1) * x_t,
    )


def panel_lines(columns: int, form: str = "paths") -> list[str]:
    """derive two-branch-sigmoid --wrt w1 --form FORM at a terminal width, each line's inside of the panel."""
    result = runner.invoke(app, ["derive", "--wrt", "w1", "--form", form], env={"COLUMNS": str(columns)})
    assert result.exit_code == 0, result.output
    return [line.strip("│").rstrip() for line in result.output.splitlines() if line.startswith("│")]


def test_derive_paths_on_a_wide_terminal_one_line_each_the_sum_under_the_products():
    lines = panel_lines(160)
    first, second = two_branch_paths()
    path_1 = next(line for line in lines if "w₁ → s₁ → h₁ → s₂" in line)
    assert PRODUCT_1 in path_1 and f"= {first:.6g}" in path_1
    # The sum's terms stand one a line in the products' column, the second with its sign.
    total = lines.index(next(line for line in lines if line.lstrip().startswith("Σ")))
    assert lines[total].endswith(PRODUCT_1)
    assert lines[total + 1].endswith("- " + PRODUCT_2[1:] + f"  = {first + second:.6g}")
    assert lines[total].index(PRODUCT_1) == path_1.index(PRODUCT_1)


def test_derive_paths_on_a_narrow_terminal_put_each_product_under_its_path_and_break_only_between_factors():
    for columns in (80, 60):
        lines = panel_lines(columns)
        route = next(index for index, line in enumerate(lines) if "w₁ → s₁ → h₁ → s₂" in line)
        text = "\n".join(lines[route:])
        # Wherever a product is cut, the next line starts with the factor's ·, never inside "(1 - h)".
        assert not any(line.endswith(("(1 -", "(1", "-")) for line in lines), text
        joined = "".join(line.split("  = ")[0].strip() for line in lines[route:])
        assert PRODUCT_1 in joined and PRODUCT_2[1:] in joined, text


@pytest.mark.parametrize("path", EXERCISE_FILES, ids=lambda path: path.stem)
def test_derive_at_any_common_width_cuts_nothing_and_breaks_no_factor(path):
    for columns in (60, 80, 152):
        for form in ("chain", "paths"):
            result = runner.invoke(app, ["derive", str(path), "--form", form], env={"COLUMNS": str(columns)})
            assert result.exit_code == 0, result.output
            for line in (line for line in result.output.splitlines() if line.startswith("│")):
                assert "…" not in line or "paths not listed" in line, (columns, form, line)  # nothing cut off
                assert line.count("(") == line.count(")") and line.count("[") == line.count("]"), (columns, line)


def test_derive_chain_on_a_narrow_terminal_breaks_only_between_fractions():
    chain = "∂E/∂y·∂y/∂s₄·∂s₄/∂h₂·∂h₂/∂s₂·∂s₂/∂h₁·∂h₁/∂s₁·∂s₁/∂w₁"
    lines = panel_lines(64, "chain")
    chain_lines = [line.split("chain")[-1].strip().removeprefix("∂E/∂w₁ = ") for line in lines[:-1]]
    assert all(line.endswith(("₁", "₂", "₃", "₄", "y")) for line in chain_lines), lines
    assert "".join(chain_lines[:2]) == chain
    assert "".join(chain_lines[2:]).removeprefix("+ ") == chain.replace("h₂", "h₃").replace("s₂", "s₃")


def test_derive_prints_a_power_with_a_symbolic_exponent_as_one_factor():
    # d/dw a·w^x = a·x·w^(x − 1); at a = 2, w = 4, x = 1.5: 2·1.5·√4 = 6
    out = invoke("derive", "-e", "E = a*w**x", "--wrt", "w", "--at", "a=2", "--at", "w=4", "--at", "x=1.5")
    assert "∂E/∂w = a·x·w^(x - 1)" in out and "∂E/∂w = 6" in out


def test_derive_leaves_out_a_single_edges_chain_rule_unless_it_is_asked_for():
    # E = w·x: the chain rule along the one edge would say only ∂E/∂w = ∂E/∂w
    args = ("derive", "-e", "E = w*x", "--wrt", "w", "--at", "w=2", "--at", "x=3")
    assert "chain" not in invoke(*args)
    assert "∂E/∂w = ∂E/∂w" in invoke(*args, "--form", "chain")


def test_derive_json_keeps_the_spec_fields():
    data = json.loads(invoke("derive", "two-branch-sigmoid", "--json", "--wrt", "w1"))
    assert data["exercise"] == "two-branch-sigmoid" and data["loss"] == "E"
    assert data["point"]["w2"] == 0.5
    w1 = data["gradients"]["w1"]
    assert set(w1) >= {"local", "closed", "value", "paths", "paths_total"}
    assert w1["paths_total"] == 2
    first = w1["paths"][0]
    assert first["nodes"] == ["w1", "s1", "h1", "s2", "h2", "s4", "y", "E"]
    assert first["factors"] == ["x_t", "h1*(1 - h1)", "w2", "h2*(1 - h2)", "w4", "1", "-(y_t - y)"]
    assert math.isclose(sum(p["value"] for p in w1["paths"]), w1["value"], rel_tol=1e-12)


def test_json_expressions_parse_back_in_the_plain_syntax():
    from symbackprop.exercise.model import symbol
    from symbackprop.parse.plain import parse

    data = json.loads(invoke("derive", "four-paths", "--json"))
    gradient = data["gradients"]["w"]
    closed = parse(gradient["closed"], symbol)
    assert math.isclose(float(closed.subs(symbol("w"), 0).evalf()), 2 * math.pi - 3)
    assert gradient["exact"] == "-3 + 2*pi" or parse(gradient["exact"], symbol).equals(2 * parse("pi", symbol) - 3)


def test_form_selects_what_is_shown():
    out = invoke("derive", "fx-plus-y-times-z", "--form", "paths", "--wrt", "z")
    assert "z → f" in out and "closed" not in out and "delta" not in out


def test_ad_hoc_equations_with_at():
    out = invoke(
        "derive", "-e", "E = (t - sigmoid(w*x))**2/2", "--wrt", "w", "--at", "w=0", "--at", "x=2", "--at", "t=1"
    )
    # ∂E/∂w = −(t − σ(wx))·σ(1 − σ)·x = −(1 − ½)·¼·2 = −0.25 at w = 0
    assert "∂E/∂w = -1/4 ≈ -0.25" in out


def test_ad_hoc_equations_without_a_point_are_symbolic():
    out = invoke("derive", "-e", "s = w*x", "-e", "E = s**2", "--wrt", "w")
    assert "∂E/∂w" in out and "value" not in out


def test_list_groups_by_lecture_and_json():
    entries = json.loads(invoke("list", "--json"))
    ids = {entry["id"] for entry in entries}
    assert {"two-branch-sigmoid", "fx-plus-y-times-z", "z-equals-t-squared", "four-paths"} <= ids
    assert all(set(entry) >= {"id", "title", "source", "path"} for entry in entries)
    out = invoke("list")
    assert "003_86bcd916b05bbcd3.txt" in out
    # each lecture is headed by its title, as the deck's first lines give it
    assert "A Learning Algorithm: Error Back Propagation Algorithm  (003_86bcd916b05bbcd3.txt)" in out
    assert out.index("Lecture 5 – Backpropagation") < out.index("fruit-price")
    titles = {entry["id"]: entry["lecture"] for entry in entries}
    assert titles["bp-2-2-2-sigmoid-no-bias"].startswith("Deep Learning Basic")


def test_show_prints_equations_roles_and_point():
    out = invoke("show", "two-branch-sigmoid")
    assert "h₁ = σ(s₁)" in out and "params  w₁, w₂, w₃, w₄, w₅" in out and "w₂ = 0.5" in out


@pytest.mark.parametrize("command", [["--help"], ["derive", "--help"]])
def test_help_does_not_import_sympy(command):
    code = (
        "import sys; from symbackprop.cli import app\n"
        f"try:\n    app({command!r})\nexcept SystemExit:\n    pass\n"
        "assert 'sympy' not in sys.modules and 'numpy' not in sys.modules, 'imported'"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_the_relu_step_prints_as_its_bracket_in_every_form():
    # [s₁ > 0] is the Iverson bracket of ReLU's derivative, not one of rich's [style] tags
    out = invoke("derive", "relu-regression", "--wrt", "w1")
    assert "-(yₜ - y)·w₂·[s₁ > 0]·xₜ" in out
    assert "δ_s₁ = ∂E/∂s₁ = δ_h·[s₁ > 0]" in out
    assert "·[w₁·xₜ > 0]" in out


@pytest.mark.parametrize("command", [["derive"], ["show"], ["train", "--lr", "0.1"], ["audit"], ["check"]])
def test_a_title_with_brackets_prints_as_written(tmp_path, command):
    source = (EXERCISES / "fx-plus-y-times-z.toml").read_text()
    title = "Bad [/] title [red]x[/red]"
    path = tmp_path / "brackets.toml"
    path.write_text(re.sub(r"(?m)^title = .*$", f'title = "{title}"', source).replace('id = "', 'id = "[b]'))
    result = runner.invoke(app, [command[0], str(path), *command[1:]], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "[b]fx-plus-y-times-z" in result.output
    if command[0] in ("derive", "show"):
        assert title in result.output


def test_help_shows_toml_section_names_literally():
    # "[stated]" must not be swallowed as rich markup
    assert "[stated]" in invoke("--help")
    assert "[train]" in invoke("train", "--help")


def test_derive_on_a_data_set_says_its_formulas_are_per_sample_and_its_values_summed():
    out = invoke("derive", "linear-perceptron-two-samples", "--wrt", "w1")
    assert "formulas per sample; values summed over the 2 samples of x₁, x₂, y" in out


def test_derive_json_on_a_data_set_carries_the_samples_its_values_are_summed_over():
    data = json.loads(invoke("derive", "linear-perceptron-two-samples", "--wrt", "w1", "--json"))
    assert data["reduce"] == "sum" and set(data["data"]) == {"x1", "x2", "y"}
    assert len({len(values) for values in data["data"].values()}) == 1


def test_derive_with_nothing_to_differentiate_is_bad_input_not_an_empty_page():
    result = runner.invoke(app, ["derive", "-e", "E = 2"])
    assert result.exit_code == 2 and "nothing to differentiate" in result.output and "cycle" not in result.output


def test_derive_does_not_print_a_closed_form_past_the_node_limit_unless_asked(monkeypatch):
    from symbackprop.cli import derive as derive_command

    monkeypatch.setattr(derive_command, "CLOSED_DISPLAY_NODES", 10)
    args = ("derive", "-e", "E = sigmoid(sigmoid(sigmoid(w*x)))", "--wrt", "w", "--at", "w=0.1", "--at", "x=1")
    assert "(over 10 terms and factors: --form closed prints it)" in invoke(*args)
    assert "over 10 terms" not in invoke(*args, "--form", "closed")


def test_version_prints_the_projects_version():
    import tomllib

    with open(EXERCISES.parent / "pyproject.toml", "rb") as handle:
        version = tomllib.load(handle)["project"]["version"]
    assert invoke("--version").strip() == f"symbackprop {version}"


def test_new_writes_a_commented_template_that_loads_derives_and_audits(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = invoke("new", "my-example")
    path = tmp_path / "my-example.toml"
    assert "wrote my-example.toml" in out and path.is_file()
    text = path.read_text()
    for section in ("[graph]", "[roles]", "[at]", "[train]", "[stated]", "# [data]", "# [conventions]", "# [lines]"):
        assert section in text
    assert 'id = "my-example"' in text and text.count("\n# ") > 10  # commented for a first reader
    # s = 0.5, y = σ(0.5), E = (1 − y)²/2, ∂E/∂w = −(1 − y)·y(1 − y)·x: the template's numbers are right
    y = sigmoid(0.5)
    gradient = -(1 - y) * y * (1 - y)
    derived = json.loads(invoke("derive", str(path), "--wrt", "w", "--json"))
    assert derived["gradients"]["w"]["value"] == pytest.approx(gradient, rel=1e-12)
    audited = json.loads(invoke("audit", str(path), "--json"))["entries"]
    assert {entry["verdict"] for entry in audited} == {"match"}
    assert f"{0.5 - 0.1 * gradient:.4f}" in text
    again = runner.invoke(app, ["new", "my-example"])
    assert again.exit_code == 2 and "already exists" in again.output
    assert path.read_text() == text


@pytest.mark.parametrize("name", ["", ".toml", "  "])
def test_new_needs_a_name(tmp_path, monkeypatch, name):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["new", name])
    assert result.exit_code == 2 and "expected a name for the exercise" in result.output
    assert list(tmp_path.iterdir()) == []
