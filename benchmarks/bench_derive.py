"""Benchmark of every command a user runs on a big net (issue 16), run by hand: python benchmarks/bench_derive.py

Every figure is a whole process, as a user runs it, the median of ``--repeat`` runs (5 by
default), and is printed as a ratio to ``python -c "import sympy"`` (``--help`` to ``python -c
pass``) measured in the same run, interleaved with the commands so that a busy machine weighs
on both alike. The nets are dense sigmoid nets written as ``[graph]`` equations
(:func:`dense_sigmoid_net`): 2-4-4-1 (28 weights), 4-4-4-4-1 (52), 8-8-8-1 (136) and a deeper
4-4-4-4-4-4-1 (84, deeper). Printed:

1. the targets: ``derive`` on the built-in example (≤ 1.3×), ``--help`` (≤ 2.5× ``python -c
   pass``), ``derive`` and ``derive --json`` on 4-4-4-4-1 (≤ 3×), ``latex`` on it (≤ 4×),
   ``derive --json`` on 8-8-8-1 (≤ 5×), ``train bp-2-2-1-sigmoid --steps 10000 --json`` (≤ 3×),
   and ``derive`` on 2-4-4-1 against plain SymPy (``diff`` of the substituted loss, then
   ``subs``) in a process of its own (≥ 8× faster);
2. the parts of ``derive``'s run on the built-in example (SymPy and the sympy.tensor it imports
   at its first sum, derive's imports, typer), each in a process that exits as the commands do
   (without Python's collections at exit), and what a command given options adds (typer's
   pydantic) or train and check (NumPy);
3. how each command's cost grows with the number of weights: CPU seconds above the baseline's
   per net, and the exponent k of cost ∝ weightsᵏ between consecutive nets.

The package's bytecode is compiled first, as installing it does, so that no run compiles the
package from source (where PYTHONDONTWRITEBYTECODE is set, every run would).

Beside each wall-clock ratio is the same ratio in CPU seconds, which a machine shared with
other work moves far less; the targets are judged on the wall clock.
"""

from __future__ import annotations

import argparse
import itertools
import math
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SYMPY = [sys.executable, "-c", "import sympy"]
PASS = [sys.executable, "-c", "pass"]
TOOL = [sys.executable, "-m", "symbackprop"]
# A command run as a process skips Python's collections at exit (symbackprop.cli.main); so do the parts timed beside it.
EXIT_AS_THE_COMMANDS_DO = "import atexit, gc; atexit.register(gc.freeze)"
TRAIN = [*TOOL, "train", "bp-2-2-1-sigmoid", "--steps", "10000"]
NETS = {"2-4-4-1": [2, 4, 4, 1], "4-4-4-4-1": [4, 4, 4, 4, 1], "8-8-8-1": [8, 8, 8, 1], "4-4-4-4-4-4-1": [4] * 6 + [1]}


def dense_sigmoid_net(sizes: list[int]) -> str:
    """An exercise file: a fully connected sigmoid net, half squared error, one target, fixed varied weights."""
    equations, params, point = [], [], {}
    previous = [f"x{j}" for j in range(1, sizes[0] + 1)]
    point.update({name: round(0.1 * k, 1) for k, name in enumerate(previous, 1)})
    for layer in range(1, len(sizes)):
        current = []
        for i in range(1, sizes[layer] + 1):
            weights = [f"W{layer}_{i}_{j}" for j in range(1, len(previous) + 1)]
            params += weights
            point.update({w: ((sum(map(ord, w)) * 7) % 17 - 8) / 10 for w in weights})
            total = " + ".join(f"{w}*{x}" for w, x in zip(weights, previous, strict=True))
            equations += [(f"net{layer}_{i}", total), (f"o{layer}_{i}", f"sigmoid(net{layer}_{i})")]
            current.append(f"o{layer}_{i}")
        previous = current
    equations.append(("E", f"(t - {previous[0]})**2/2"))
    point["t"] = 1.0
    lines = [f'id = "dense-{"-".join(map(str, sizes))}"', "[graph]", *(f'{n} = "{rhs}"' for n, rhs in equations)]
    lines += ["[roles]", 'loss = "E"', "params = [" + ", ".join(f'"{p}"' for p in params) + "]", "[at]"]
    lines += [f"{name} = {value}" for name, value in point.items()]
    return "\n".join(lines) + "\n"


def plain_sympy(path: str) -> None:
    """The baseline, run as its own process: substitute every node into the loss, diff it, then subs the point."""
    import sympy

    from symbackprop.exercise.model import load

    exercise = load(path)
    closed = {}
    for node, rhs in exercise.equations.items():
        closed[exercise.symbols[node]] = rhs.xreplace(closed).rewrite(sympy.exp)
    loss = closed[exercise.symbols[exercise.loss]]
    point = {exercise.symbols[n]: v for n, v in exercise.point.items()}
    for p in exercise.params:
        print(p, float(sympy.diff(loss, exercise.symbols[p]).subs(point).evalf()))


def compile_bytecode() -> Path:
    """Compile the package's bytecode first, as installing it does (pip compiles every module).

    Where PYTHONDONTWRITEBYTECODE is set, Python never writes it, and every timed run would
    compile each of the package's modules from source again, which no installed copy does.
    """
    import compileall

    import symbackprop

    package = Path(symbackprop.__file__).parent
    compileall.compile_dir(package, quiet=1)
    return package


def seconds(argv: list[str]) -> tuple[float, float]:
    """One whole process, its output thrown away: wall-clock and CPU seconds; a failure stops the benchmark.

    CPU time (user + system of the child) is printed beside the wall clock: on a machine that
    others share it moves far less than the wall clock does.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


class Runs:
    """Commands timed in rounds, each round with the baselines beside them; medians at the end."""

    def __init__(self, repeat: int):
        self.repeat = repeat
        self.times: dict[str, list[tuple[float, float]]] = {}

    def measure(self, commands: dict[str, list[str]]) -> None:
        for _ in range(self.repeat):
            for label, argv in {"sympy": SYMPY, "pass": PASS, **commands}.items():
                self.times.setdefault(label, []).append(seconds(argv))

    def median(self, label: str, cpu: bool = False) -> float:
        return statistics.median(times[cpu] for times in self.times[label])

    def ratio(self, label: str, baseline: str = "sympy", cpu: bool = False) -> float:
        return self.median(label, cpu) / self.median(baseline, cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per command, at least 3 (the median is printed)")
    parser.add_argument("--plain", help=argparse.SUPPRESS)  # the plain-SymPy process itself
    args = parser.parse_args()
    if args.repeat < 3:
        parser.error("--repeat: at least 3 runs, so that the median means something")
    if args.plain:
        plain_sympy(args.plain)
        return
    package = compile_bytecode()
    folder = Path(tempfile.mkdtemp(prefix="bench_derive_"))
    files = {}
    for name, sizes in NETS.items():
        files[name] = folder / f"dense-{'-'.join(map(str, sizes))}.toml"
        files[name].write_text(dense_sigmoid_net(sizes))
    weights = {name: sum(a * b for a, b in itertools.pairwise(sizes)) for name, sizes in NETS.items()}
    runs = Runs(args.repeat)
    targets = {
        "derive (built-in example)": [*TOOL, "derive"],
        "--help": [*TOOL, "--help"],
        "train bp-2-2-1-sigmoid --steps 10000 --json": [*TRAIN, "--json"],
        "train bp-2-2-1-sigmoid --steps 10000 (table)": TRAIN,
        # The parts of derive's run on the built-in example before it derives anything, in processes
        # that exit as the commands do (without Python's collections at exit, which cost
        # `import sympy` a quarter of its time): SymPy; SymPy with sympy.tensor, which SymPy imports
        # at its first sum (Add.flatten); derive's own imports; and, on its own, typer (its command
        # modules declare their options with it).
        "sympy, exiting as the commands do": [sys.executable, "-c", f"import sympy; {EXIT_AS_THE_COMMANDS_DO}"],
        "sympy and its first sum": [sys.executable, "-c", f"import sympy.tensor.tensor; {EXIT_AS_THE_COMMANDS_DO}"],
        "derive's imports": [
            sys.executable,
            "-c",
            "import sympy.tensor.tensor, symbackprop.engine.derivation, symbackprop.render.json, rich.console,"
            f" rich.panel, rich.table, symbackprop.cli.derive; {EXIT_AS_THE_COMMANDS_DO}",
        ],
        "typer": [sys.executable, "-c", "import typer"],
        # What a command given options imports besides: typer's converters (pydantic), and NumPy for train and check.
        "pydantic": [sys.executable, "-c", "import typer, typer._adapters"],
        "numpy": [sys.executable, "-c", "import numpy"],
    }
    growth = {
        f"{command} {net}": [*TOOL, *command.split(), str(files[net])]
        for net in NETS
        for command in ("derive", "derive --json", "latex")
    }
    runs.measure(targets | growth)
    print(
        f"baselines: python -c 'import sympy' {runs.median('sympy'):.3f} s, python -c pass {runs.median('pass'):.3f} s"
    )
    print(f"(whole processes, median of {args.repeat}, ratios to import sympy measured in the same run)")
    print(f"(the bytecode of {package} compiled first, as installing the package does)\n")
    rows = [
        ("derive (built-in example)", "derive (built-in example)", 1.3, "sympy"),
        ("--help", "--help", 2.5, "pass"),
        ("derive on 4-4-4-4-1", "derive 4-4-4-4-1", 3, "sympy"),
        ("derive --json on 4-4-4-4-1", "derive --json 4-4-4-4-1", 3, "sympy"),
        ("latex on 4-4-4-4-1", "latex 4-4-4-4-1", 4, "sympy"),
        (f"derive --json on 8-8-8-1 ({weights['8-8-8-1']} weights)", "derive --json 8-8-8-1", 5, "sympy"),
        ("train bp-2-2-1-sigmoid --steps 10000 --json", "train bp-2-2-1-sigmoid --steps 10000 --json", 3, "sympy"),
        ("train … --steps 10000 as a table", "train bp-2-2-1-sigmoid --steps 10000 (table)", None, "sympy"),
        ("derive's parts, each exiting as derive does:", None, None, "sympy"),
        ("  import sympy", "sympy, exiting as the commands do", None, "sympy"),
        ("  import sympy, sympy.tensor", "sympy and its first sum", None, "sympy"),
        ("  derive's imports (sympy, engine, rich, typer)", "derive's imports", None, "sympy"),
        ("python -c 'import typer' (on derive's path)", "typer", None, "sympy"),
        ("a command with options: typer's pydantic", "pydantic", None, "sympy"),
        ("train and check: python -c 'import numpy'", "numpy", None, "sympy"),
    ]
    print(f"{'command':<46} {'seconds':>8} {'ratio':>7} {'CPU ratio':>9}  target (on the wall-clock ratio)")
    for title, label, target, baseline in rows:
        if label is None:
            print(title)
            continue
        ratio = runs.ratio(label, baseline)
        against = "× import sympy" if baseline == "sympy" else "× python -c pass"
        verdict = "" if target is None else f"≤ {target}{against}  {'met' if ratio <= target else 'NOT met'}"
        cpu = runs.ratio(label, baseline, cpu=True)
        print(f"{title:<46} {runs.median(label):>8.3f} {ratio:>6.2f}× {cpu:>8.2f}×  {verdict or '(for information)'}")

    plain = [seconds([sys.executable, __file__, "--plain", str(files["2-4-4-1"])]) for _ in range(args.repeat)]
    plain_wall = statistics.median(wall for wall, _ in plain)
    speedup = plain_wall / runs.median("derive 2-4-4-1")
    cpu = statistics.median(cpu for _, cpu in plain) / runs.median("derive 2-4-4-1", cpu=True)
    print(
        f"{'plain SymPy diff+subs on 2-4-4-1 (a process)':<46} {plain_wall:>8.3f} {speedup:>6.1f}× {cpu:>8.1f}×  "
        f"slower than derive on it; target ≥ 8×  {'met' if speedup >= 8 else 'NOT met'}"
    )

    print(
        "\ngrowth with the number of weights: CPU seconds above import sympy's (k: cost ∝ weightsᵏ from the net before)"
    )
    order = sorted(NETS, key=weights.get)
    print(f"{'command':<16}" + "".join(f"{f'{net} ({weights[net]} w)':>22}" for net in order))
    base = runs.median("sympy", cpu=True)
    for command in ("derive", "derive --json", "latex"):
        cells, previous = [], None
        for net in order:
            above = max(runs.median(f"{command} {net}", cpu=True) - base, 1e-3)
            exponent = ""
            if previous is not None:
                exponent = f" k={math.log(above / previous[1]) / math.log(weights[net] / previous[0]):.2f}"
            cells.append(f"{above:.3f} s{exponent}")
            previous = (weights[net], above)
        print(f"{command:<16}" + "".join(f"{cell:>22}" for cell in cells))


if __name__ == "__main__":
    main()
