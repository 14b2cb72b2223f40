"""Every malformed input is one line naming the file, the key and the problem, exit status 2."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from symbackprop.cli import app, main

runner = CliRunner()

GOOD = """
[graph]
s = "w*x"
h = "sigmoid(s)"
E = "(t - h)**2/2"

[roles]
loss = "E"
params = ["w"]

[at]
w = 0.5
x = 1.0
t = 1.0
"""


def write(tmp_path, text: str):
    path = tmp_path / "ex.toml"
    path.write_text(text)
    return path


def run_derive(path):
    return runner.invoke(app, ["derive", str(path)])


def one_error_line(result) -> str:
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert "Traceback" not in result.output
    return lines[0]


def test_the_good_file_works(tmp_path):
    assert run_derive(write(tmp_path, GOOD)).exit_code == 0


@pytest.mark.parametrize(
    ("mutation", "key", "message"),
    [
        (lambda t: t.replace('s = "w*x"', 's = "w*x'), None, "TOML syntax"),
        (lambda t: t.replace('h = "sigmoid(s)"', 'h = "sigmoid(s)"\nh = "s"'), None, "TOML syntax"),
        (lambda t: t.replace('s = "w*x"', 's = "w*h"'), "graph.s", "cycle: "),
        (
            lambda t: t.replace('h = "sigmoid(s)"', 'h = "sigmoid(s) + E2"\nE2 = "s"'),
            "graph.h",
            "uses 'E2' before it is defined",
        ),
        (lambda t: t.replace("sigmoid(s)", "sigmod(s)"), "graph.h", "unknown function 'sigmod'"),
        (lambda t: t.replace("w = 0.5\n", ""), "at", "missing value for w"),
        (lambda t: t.replace("w = 0.5", 'w = "half"'), "at.w", "expected a number"),
        (lambda t: t.replace("w = 0.5", "w = nan"), "at.w", "expected a finite number, not nan"),
        (lambda t: t.replace("x = 1.0", "x = -inf"), "at.x", "expected a finite number, not -inf"),
        (lambda t: t.replace("w = 0.5", 'w = "10^9999"'), "at.w", "10^9999 is beyond what a float can hold"),
        (lambda t: t.replace("w = 0.5", 'w = "exp(exp(exp(10)))"'), "at.w", "beyond what a float can hold"),
        (lambda t: t.replace('s = "w*x"', 's = "w*x*10^400"'), "graph.s", "a number in it is beyond"),
        (
            lambda t: t + "\n[conventions]\nrelu_grad_at_zero = inf\n",
            "conventions.relu_grad_at_zero",
            "must be a finite number, not inf",
        ),
        (lambda t: t.replace("w = 0.5", "w = 0.5\nq = 1"), "at.q", "'q' is not used by any equation"),
        (lambda t: t.replace('loss = "E"', 'loss = "L"'), "roles.loss", "the loss 'L' is not defined"),
        (lambda t: t.replace('params = ["w"]', 'params = ["s"]'), "roles.params.s", "defined by an equation"),
        (lambda t: t + "\n[extra]\na = 1\n", "extra", "unknown section"),
        (lambda t: t.replace('h = "sigmoid(s)"', 'h = "sigmoid(s,)"'), "graph.h", "at column 11"),
        (
            lambda t: t.replace('h = "sigmoid(s)"', 'h = "sigmoid(s, 1, 2)"'),
            "graph.h",
            "sigmoid takes 1 to 2 arguments",
        ),
        (lambda t: t + "\n[conventions]\nrelu_grad_at_0 = 1\n", "conventions.relu_grad_at_0", "unknown convention"),
        (lambda t: t + "\n[train]\nlr = inf\n", "train.lr", "expected a positive finite number, not inf"),
    ],
)
def test_malformed_files(tmp_path, mutation, key, message):
    path = write(tmp_path, mutation(GOOD))
    line = one_error_line(run_derive(path))
    assert line.startswith(f"symbackprop: error: {path}")
    if key:
        assert f": {key}: " in line
    assert message in line


LAYERS = """
[layers]
sizes = [2, 1]
loss = "half_sse"
weights = [[[0.1, 0.2]]]

[at]
x0_1 = 1
x0_2 = 2
t_1 = 1
"""


@pytest.mark.parametrize(
    ("mutation", "message"),
    [
        (lambda t: t.replace('loss = "half_sse"', 'loss = ["mse"]'), "unknown loss ['mse']"),
        (lambda t: t.replace("sizes = [2, 1]", "sizes = [100000, 100000, 1]"), "10000100000 weights: at most 2000"),
    ],
)
def test_malformed_layers(tmp_path, mutation, message):
    path = write(tmp_path, mutation(LAYERS))
    line = one_error_line(run_derive(path))
    assert f"{path}: layers." in line and message in line


def test_a_param_no_equation_uses_is_an_error_that_names_the_close_one(tmp_path):
    # "w_" for "w": a misspelt param would otherwise be a param of gradient 0 and a silent input w
    path = write(tmp_path, GOOD.replace('params = ["w"]', 'params = ["w_"]'))
    line = one_error_line(run_derive(path))
    assert f"{path}: roles.params: 'w_' is not used by any equation (did you mean 'w'?)" in line


def test_an_omitted_loss_is_the_one_node_no_equation_uses(tmp_path):
    path = write(tmp_path, GOOD.replace('loss = "E"\n', ""))
    result = runner.invoke(app, ["derive", str(path), "--json"])
    assert result.exit_code == 0, result.output
    assert '"loss": "E"' in result.output


def test_an_omitted_loss_with_two_candidates_is_an_error(tmp_path):
    # E and z are both used by no other equation: either could be meant
    text = GOOD.replace('loss = "E"\n', "").replace('E = "(t - h)**2/2"', 'E = "(t - h)**2/2"\nz = "2*h"')
    line = one_error_line(run_derive(write(tmp_path, text)))
    assert "roles.loss: no loss given, and E, z could each be it" in line


def test_a_param_that_does_not_reach_the_loss_is_a_warning(tmp_path):
    path = write(tmp_path, GOOD.replace('params = ["w"]', 'params = ["w", "u"]').replace("t = 1.0", "t = 1.0\n"))
    path.write_text(path.read_text().replace('E = "(t - h)**2/2"', 'E = "(t - h)**2/2"\nz = "u*2"'))
    path.write_text(path.read_text().replace("t = 1.0", "t = 1.0\nu = 3"))
    result = runner.invoke(app, ["derive", str(path), "--form", "paths"])
    assert result.exit_code == 0, result.output
    assert "warning:" in result.output and "'u' does not reach the loss E; its gradient is 0" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["derive", "no-such-exercise"], "unknown exercise 'no-such-exercise'"),
        (["derive", "missing.toml"], "missing.toml: no such file"),
        (["derive", "fx-plus-y-times-z", "--wrt", "w9"], "--wrt: 'w9' is not a name"),
        (["derive", "fx-plus-y-times-z", "--at", "x"], "--at: expected NAME=VALUE"),
        (["derive", "fx-plus-y-times-z", "--at", "w=1"], "--at: 'w' is not an input or param"),
        (["derive", "fx-plus-y-times-z", "--at", "x=abc"], "expected a number, found the name 'abc'"),
        (["derive", "fx-plus-y-times-z", "--form", "pretty"], "--form: unknown form 'pretty'"),
        (["derive", "fx-plus-y-times-z", "--form", "paths", "--json"], "--json gives every form"),
        (["derive", "-e", "E = w*"], "-e.E: at column 3: expected a number"),
        (["derive", "-e", "E w"], "-e: equation 1: expected NAME = expression"),
        (["derive", "-e", "a = x", "-e", "a = y"], "'a' is defined twice"),
        (["derive", "-e", "E = log(w)", "--at", "w=-1"], "has no value at this point"),
        (["show", "nothing-here"], "unknown exercise 'nothing-here'"),
    ],
)
def test_bad_options_are_one_line(args, message):
    line = one_error_line(runner.invoke(app, args))
    assert message in line, line


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["derive", "--bogus"], "No such option: --bogus (try 'symbackprop derive --help')"),
        (["grade"], "Missing argument 'exercise' (try 'symbackprop grade --help')"),
        (["nosuch"], "No such command 'nosuch' (try 'symbackprop --help')"),
        (["train", "--steps", "abc"], "Invalid value for '--steps'"),
        (["derive", "-e"], "Option '-e' requires an argument"),
    ],
)
def test_usage_errors_of_the_command_line_itself_are_one_line(args, message, capsys):
    # click would print a usage block and a hint over three lines; main() prints one, like ours.
    with pytest.raises(SystemExit) as exit_:
        main(args)
    err = capsys.readouterr().err
    assert exit_.value.code == 2, err
    assert err.count("\n") == 1 and err.startswith("symbackprop: error: "), err
    assert message in err, err


def test_the_bare_command_shows_its_help_and_exits_2(capsys):
    with pytest.raises(SystemExit) as exit_:
        main([])
    assert exit_.value.code == 2
    assert "Commands:" in capsys.readouterr().err


def test_help_and_a_good_command_exit_0_through_main(capsys):
    for args in (["derive", "--help"], ["list"]):
        with pytest.raises(SystemExit) as exit_:
            main(args)
        assert exit_.value.code == 0, capsys.readouterr()
    assert "two-branch-sigmoid" in capsys.readouterr().out


@pytest.mark.parametrize("command", ["derive", "latex"])
def test_an_unknown_form_names_every_form_layer_too(command):
    # The forms are those the commands take (README's table): the scalar ones, all, and layer.
    line = one_error_line(runner.invoke(app, [command, "lecture001-general-rules", "--form", "bogus"]))
    assert "--form: unknown form 'bogus' (one of chain, paths, delta, closed, all, layer)" in line, line
