"""``symbackprop new NAME``: a commented exercise file to start from, which loads, derives and audits."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from symbackprop.cli.common import app, console, reports_errors, write_atomic

# Every section a file may have, the optional ones commented out. The numbers under [stated]
# are this network's at this point (σ(0.5) = 0.6225), so `audit` on the new file matches.
TEMPLATE = """\
# An exercise for symbackprop (docs/exercise-format.md describes every section).
id = "{id}"
title = "One sigmoid unit with a bias, one step of gradient descent"
source = ""  # the lecture deck and example: "003_….txt — Example: …"

# The graph: one equation per node, in order; each may use only names defined above it.
# Functions: sigmoid, tanh, relu, exp, log, sqrt, sin, cos, … (see the README).
[graph]
s = "w*x + b"
y = "sigmoid(s)"
E = "(t - y)**2/2"

# The loss and the params (what gets a gradient). Without loss, the one node no other
# equation uses is the loss; without params, every free name is one.
[roles]
loss = "E"
params = ["w", "b"]

# A value for every input and param.
[at]
x = 1
t = 1
w = 0.5
b = 0

# Gradient descent, for `train` and for stated values after a step (w@1).
[train]
lr = 0.1
steps = 1

# What the lecture prints, verbatim, for `audit`: a value (y), a gradient (dE/dw),
# δ as -dE/ds, any key @step. A list holds the formula, the numbers put in, the result.
[stated]
"y" = "0.6225"
"E" = "0.0713"
"dE/dw" = ["-(t - y)*y*(1 - y)*x", "-0.0887"]
"w@1" = ["0.5 - 0.1 * (-0.0887)", "0.5089"]

# The deck line each stated key is printed on (one number, or one per form), for `audit`.
# [lines]
# "y" = 12

# Several samples, instead of x and t in [at]: the loss is their sum (or reduce = "mean").
# [data]
# x = [1, 2]
# t = [1, 0]
# reduce = "sum"

# The derivative taken where none exists (relu at 0, …); these are the defaults.
# [conventions]
# relu_grad_at_zero = 0

# What `grade` asks; without it every dE/dparam is a symbolic question worth 1 point.
# [questions.q1]
# ask = "dE/dw"
# form = "symbolic"
# points = 2
"""


@app.command()
@reports_errors
def new(
    name: Annotated[str, typer.Argument(help="The exercise's id; the file is NAME.toml (or NAME if it ends so).")],
) -> None:
    """Write a commented exercise template, NAME.toml, to start a worked example from."""
    from symbackprop.errors import SymbackpropError

    path = Path(name if name.endswith(".toml") else f"{name}.toml")
    if not path.stem.strip() or path.name.startswith("."):
        raise SymbackpropError("expected a name for the exercise, such as my-example", source=repr(name))
    if path.exists():
        raise SymbackpropError("already exists: new never overwrites a file", source=str(path))
    write_atomic(path, TEMPLATE.format(id=path.stem.replace('"', "")))
    out = console()
    out.print(f"wrote {path}")
    out.print(f"next: symbackprop derive {path}; symbackprop audit {path}")
