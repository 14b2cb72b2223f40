"""Benchmark of `derive` (issue 2), run by hand: python benchmarks/bench_derive.py

Prints, measured in this one run:
1. `symbackprop --help` as a whole process (target < 0.3 s), beside `python -c "import sympy"`.
2. Every gradient of a fully connected sigmoid 4-4-4-4-1 net (52 weights) in local form with
   its value, in-process (target < 1 s).
3. The ratio against plain SymPy (`diff` of the fully substituted loss, then `subs`) on a
   2-4-4-1 net, where plain SymPy still finishes in seconds.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

import sympy

from symbackprop.engine.derivation import derive
from symbackprop.exercise.model import from_equations


def dense_sigmoid_net(sizes: list[int]):
    """Scalar equations of a fully connected sigmoid net, half squared error, one target."""
    equations, params, point = [], [], {}
    previous = [f"x{j}" for j in range(1, sizes[0] + 1)]
    point.update({name: 0.1 * k for k, name in enumerate(previous, 1)})
    for layer in range(1, len(sizes)):
        current = []
        for i in range(1, sizes[layer] + 1):
            weights = [f"W{layer}_{i}{j}" for j in range(1, len(previous) + 1)]
            params += weights
            point.update({w: ((sum(map(ord, w)) * 7) % 17 - 8) / 10 for w in weights})  # fixed, varied
            total = " + ".join(f"{w}*{x}" for w, x in zip(weights, previous, strict=True))
            equations += [(f"net{layer}_{i}", total), (f"o{layer}_{i}", f"sigmoid(net{layer}_{i})")]
            current.append(f"o{layer}_{i}")
        previous = current
    equations.append(("E", f"(t - {previous[0]})**2/2"))
    point["t"] = 1.0
    return from_equations(equations, params=params, at=point)


def all_gradients_local_form(sizes: list[int]) -> dict[str, float]:
    """Build the exercise from its equations, derive, and write every gradient in local form."""
    exercise = dense_sigmoid_net(sizes)
    derivation = derive(exercise)
    values = {}
    for param in exercise.params:
        gradient = derivation.gradient(param)
        gradient.path_sum_text()  # the path sum in node names, as the lecture writes it
        values[param] = gradient.value
    return values


def plain_sympy(exercise) -> dict[str, float]:
    """The baseline: substitute every node into the loss, diff it, then subs the point."""
    closed = {}
    for node, rhs in exercise.equations.items():
        closed[exercise.symbols[node]] = rhs.xreplace(closed).rewrite(sympy.exp)
    loss = closed[exercise.symbols[exercise.loss]]
    point = {exercise.symbols[n]: v for n, v in exercise.point.items()}
    return {p: float(sympy.diff(loss, exercise.symbols[p]).subs(point).evalf()) for p in exercise.params}


def timed(function, *args, repeat: int = 3) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function(*args)
        times.append(time.perf_counter() - start)
    return min(times), result


def process_seconds(argv: list[str], repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(argv, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    help_time = process_seconds([sys.executable, "-m", "symbackprop", "--help"])
    sympy_import = process_seconds([sys.executable, "-c", "import sympy"])
    print(f"symbackprop --help (whole process): {help_time:.3f} s   (target < 0.3 s)")
    print(f"  baseline python -c 'import sympy':  {sympy_import:.3f} s   ratio {sympy_import / help_time:.1f}x")

    big_time, big = timed(all_gradients_local_form, [4, 4, 4, 4, 1])
    print(
        f"4-4-4-4-1 sigmoid net, {len(big)} weights, parsed and every gradient in local form + value: "
        f"{big_time:.3f} s   (target < 1 s)"
    )

    small = dense_sigmoid_net([2, 4, 4, 1])
    ours_time, ours = timed(all_gradients_local_form, [2, 4, 4, 1])
    plain_time, plain = timed(plain_sympy, small, repeat=1)
    worst = max(abs(ours[p] - plain[p]) / max(abs(plain[p]), 1e-300) for p in small.params)
    print(
        f"2-4-4-1 sigmoid net, {len(small.params)} weights: symbackprop {ours_time:.3f} s, "
        f"plain SymPy diff+subs {plain_time:.2f} s   ratio {plain_time / ours_time:.0f}x "
        f"(largest relative difference {worst:.1e})"
    )


if __name__ == "__main__":
    main()
