"""Benchmark of the NumPy evaluator, run by hand: python benchmarks/bench_numeric.py

Forward and backward of the two-branch sigmoid network (exercises/two-branch-sigmoid.toml)
over one batch of 100 000 samples, the loss summed, every weight's gradient:

1. symbackprop.numeric.evaluator, against
2. PyTorch's CPU autograd on the same float64 batch on one thread (target: the evaluator within
   2× of it, torch/numeric ≥ 0.5, NumPy's ops running on one thread too); for information also
   torch with its default threads, and the same network hand-written in NumPy with the fewest
   passes, in place (what NumPy on one core can do when nothing has to be general), and
3. the ``micrograd`` package, one sample at a time, as micrograd works (target: numeric ≥ 1000×).
   micrograd over 100 000 samples would take minutes, so it is timed on the first 2 000 and
   extrapolated linearly: its cost per sample does not depend on the sample.

Every ratio printed is measured in this one run; each time is the best of several repeats,
the functions timed in turns (see best_of_each).
Needs ``pip install torch==2.13.0 micrograd``.

Measured on a 2-core VM, three runs: the evaluator 0.90–0.91 ms, torch on one thread
0.86–0.92 ms (torch/numeric 0.95–1.01), on two 0.52–0.56 ms (0.57–0.61), NumPy by hand
0.60 ms, micrograd ≈ 2.25 s (≈ 2 500×).

The evaluator makes a new array for every op's value and every gradient, a few dozen of 800 kB
per call. glibc hands such memory back to the OS when it is freed (large blocks are mapped on
their own, and the heap's free top is trimmed) and takes it back as fresh pages next call, and
those page faults cost more than the arithmetic: 7.0 ms a call instead of 0.9 ms, in a process
without torch (torch's import happens to keep glibc from trimming, which hides it here).
This benchmark first calls symbackprop.numeric.memory.keep_freed_memory(), which asks glibc to
keep freed memory for reuse, as any program that runs the evaluator on large batches may; that,
not buffers of the evaluator's own, is what makes a plain forward and backward pass this fast.
The library never changes the allocator of the process it runs in by itself.
"""

from __future__ import annotations

import math
import os
import time

# Dot products (`@`, np.dot) would otherwise wake OpenBLAS's threads, which spin on the second
# core for about 0.1 s after each: into torch's turn, which needs that core.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # after the variable: OpenBLAS reads it when NumPy loads it
import torch
from micrograd.engine import Value

from symbackprop.exercise.model import load
from symbackprop.numeric import evaluator as numeric
from symbackprop.numeric.memory import keep_freed_memory

SAMPLES = 100_000
MICROGRAD_SAMPLES = 2_000


def best_of(function, repeat: int) -> tuple[float, object]:
    """The fastest of ``repeat`` runs after one warm-up, and the last result."""
    (found,) = best_of_each([function], repeat, rounds=1)
    return found


def best_of_each(functions, repeat: int, rounds: int = 5) -> list[tuple[float, object]]:
    """For each function, the fastest run and its last result, over ``rounds`` turns of ``repeat`` runs each.

    Each turn runs one function ``repeat`` times in a row after a warm-up, so that it is timed
    warm (its arrays in cache, torch's threads awake), as timeit and torch.utils.benchmark time;
    the functions take turns, so that a spell of load on the machine falls on all of them
    rather than on whichever was being timed, and their ratios hold from run to run. (Running
    them one call each in turn instead slows every one, torch's two threads most.)
    """
    best = [math.inf] * len(functions)
    results: list[object] = [None] * len(functions)
    for _ in range(rounds):
        for index, function in enumerate(functions):
            results[index] = function()  # warm-up
            for _ in range(repeat):
                start = time.perf_counter()
                results[index] = function()
                best[index] = min(best[index], time.perf_counter() - start)
    return list(zip(best, results, strict=True))


def torch_gradients(x: np.ndarray, t: np.ndarray, weights: dict[str, float]) -> dict[str, float]:
    """The same network written in torch, on the same float64 batch."""
    xt, tt = torch.from_numpy(x), torch.from_numpy(t)
    w = {name: torch.tensor(value, dtype=torch.float64, requires_grad=True) for name, value in weights.items()}
    h1 = torch.sigmoid(xt * w["w1"])
    h2, h3 = torch.sigmoid(h1 * w["w2"]), torch.sigmoid(h1 * w["w3"])
    y = h2 * w["w4"] + h3 * w["w5"]
    loss = ((tt - y) ** 2 / 2).sum()
    loss.backward()
    return {name: float(tensor.grad) for name, tensor in w.items()}


class NumpyByHand:
    """This one network's backward pass written out in NumPy with the fewest passes we found.

    The fewest passes over the batch (the negation of σ's exponent folded into the weight, δs
    built in place), every pass written into scratch arrays allocated once, outside the timed
    call: what NumPy on one core can do for this network when nothing has to be general.
    """

    def __init__(self, samples: int) -> None:
        self.h1, self.h2, self.h3, self.r, self.a, self.b = (np.empty(samples) for _ in range(6))

    def __call__(self, x: np.ndarray, t: np.ndarray, weights: dict[str, float]) -> dict[str, float]:
        w1, w2, w3, w4, w5 = (weights[f"w{k}"] for k in range(1, 6))
        h1, h2, h3, r, a, b = self.h1, self.h2, self.h3, self.r, self.a, self.b
        sigmoid(x, w1, out=h1)
        sigmoid(h1, w2, out=h2)
        sigmoid(h1, w3, out=h3)
        np.multiply(h2, w4, out=r)
        np.multiply(h3, w5, out=a)
        r += a
        r -= t  # ∂E/∂y = y − t
        np.subtract(1.0, h2, out=a)
        a *= h2
        a *= r
        a *= w4  # δ₂ = (y − t)·w4·h2(1 − h2)
        np.subtract(1.0, h3, out=b)
        b *= h3
        b *= r
        b *= w5  # δ₃
        gradients = {"w2": a @ h1, "w3": b @ h1, "w4": r @ h2, "w5": r @ h3}
        a *= w2
        b *= w3
        a += b
        np.subtract(1.0, h1, out=b)
        b *= h1
        a *= b  # δ₁ = (δ₂·w2 + δ₃·w3)·h1(1 − h1)
        return {"w1": a @ x, **gradients}


def sigmoid(z: np.ndarray, w: float, out: np.ndarray) -> np.ndarray:
    """σ(z·w) into ``out``: four passes, exp(−z·w) taking its sign from the weight."""
    np.multiply(z, -w, out=out)
    np.exp(out, out=out)
    out += 1.0
    return np.divide(1.0, out, out=out)


def micrograd_sigmoid(v: Value) -> Value:
    """σ as a micrograd op (the package has only +, *, ** and relu), written micrograd's way."""
    s = 1.0 / (1.0 + math.exp(-v.data))
    out = Value(s, (v,), "sigmoid")

    def _backward():
        v.grad += s * (1.0 - s) * out.grad

    out._backward = _backward
    return out


def micrograd_gradients(x: np.ndarray, t: np.ndarray, weights: dict[str, float]) -> dict[str, float]:
    """One graph per sample, micrograd's ``backward`` on each, gradients summed over the samples."""
    totals = dict.fromkeys(weights, 0.0)
    for xi, ti in zip(x.tolist(), t.tolist(), strict=True):
        w = {name: Value(value) for name, value in weights.items()}
        h1 = micrograd_sigmoid(w["w1"] * xi)
        h2, h3 = micrograd_sigmoid(h1 * w["w2"]), micrograd_sigmoid(h1 * w["w3"])
        y = h2 * w["w4"] + h3 * w["w5"]
        loss = (ti - y) ** 2 * 0.5
        loss.backward()
        for name, value in w.items():
            totals[name] += value.grad
    return totals


def largest_difference(a: dict[str, float], b: dict[str, float]) -> float:
    return max(abs(a[k] - b[k]) / max(abs(b[k]), 1e-300) for k in b)


def main() -> None:
    keep_freed_memory()
    ex = load("two-branch-sigmoid")
    weights = {name: float(ex.point[name]) for name in ex.params}
    rng = np.random.default_rng(0)
    x, t = rng.normal(size=SAMPLES), rng.normal(size=SAMPLES)
    inputs = {"x_t": x, "t": t} if "t" in ex.inputs else {"x_t": x, "y_t": t}

    # The target's comparison on one thread, timed in turns; then torch's own threads, for
    # information (switching torch's thread count between turns would time the switch too).
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    by_hand = NumpyByHand(SAMPLES)
    (ours_time, ours), (torch_time, reference), (hand_time, hand) = best_of_each(
        [
            lambda: numeric.gradients(ex, inputs),
            lambda: torch_gradients(x, t, weights),
            lambda: by_hand(x, t, weights),
        ],
        repeat=10,
    )
    torch.set_num_threads(threads)
    torch_threads_time, _ = best_of(lambda: torch_gradients(x, t, weights), repeat=30)
    subset = slice(0, MICROGRAD_SAMPLES)
    micro_subset_time, micro = best_of(lambda: micrograd_gradients(x[subset], t[subset], weights), repeat=3)
    micro_time = micro_subset_time * SAMPLES / MICROGRAD_SAMPLES
    check_subset = numeric.gradients(ex, {"x_t": x[subset], "y_t": t[subset]})

    torch_ratio, micro_ratio = torch_time / ours_time, micro_time / ours_time
    print(f"two-branch sigmoid network, forward + backward, {SAMPLES:,} samples, float64, loss summed")
    print(f"  symbackprop.numeric.evaluator: {ours_time * 1e3:8.2f} ms")
    print(
        f"  torch autograd, 1 thread:      {torch_time * 1e3:8.2f} ms   torch/numeric = {torch_ratio:.2f}   "
        f"(target ≥ 0.5: {'met' if torch_ratio >= 0.5 else 'MISSED'})"
    )
    print(
        f"  torch autograd, {threads} threads:     {torch_threads_time * 1e3:8.2f} ms   "
        f"torch/numeric = {torch_threads_time / ours_time:.2f}   (information)"
    )
    print(
        f"  NumPy by hand, this net only:  {hand_time * 1e3:8.2f} ms   hand/numeric = {hand_time / ours_time:.2f}   "
        f"(fewest passes, in place; information)"
    )
    print(
        f"  micrograd, one by one:         {micro_time * 1e3:8.0f} ms   extrapolated from {MICROGRAD_SAMPLES:,} "
        f"samples ({micro_subset_time * 1e3:.0f} ms)   "
        f"micrograd/numeric = {micro_ratio:,.0f}   (target ≥ 1000: {'met' if micro_ratio >= 1000 else 'MISSED'})"
    )
    print(
        "  largest relative difference: numeric vs torch "
        f"{largest_difference(ours, reference):.1e}, vs NumPy by hand {largest_difference(ours, hand):.1e}, "
        f"vs micrograd on its subset {largest_difference(check_subset, micro):.1e}"
    )


if __name__ == "__main__":
    main()
