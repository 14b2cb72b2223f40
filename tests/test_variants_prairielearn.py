"""examples/prairielearn: generate() draws a diagnosable variant from the seeded RNG, grade() grades at it."""

from __future__ import annotations

import importlib.util
import json
import math
import random
from decimal import Decimal

import pytest
from conftest import EXAMPLES

QUESTION = EXAMPLES / "prairielearn" / "sigmoid-neuron"


@pytest.fixture(scope="module")
def server():
    spec = importlib.util.spec_from_file_location("pl_server", QUESTION / "server.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def by_hand(values: dict[str, str]) -> dict[str, float]:
    """s = w x + b, h = σ(s), E = (t - h)²/2: dE/db = -(t - h)·h(1 - h), dE/dw = dE/db · x."""
    x, w, b, t = (float(values[name]) for name in ("x", "w", "b", "t"))
    h = 1 / (1 + math.exp(-(w * x + b)))
    db = -(t - h) * h * (1 - h)
    return {"dw": db * x, "db": db, "h": h}


def generated(server, seed: int) -> dict:
    random.seed(seed)  # as PrairieLearn does before generate()
    data: dict = {"params": {}, "correct_answers": {}}
    server.generate(data)
    return data


def test_the_question_files_are_there():
    info = json.loads((QUESTION / "info.json").read_text())
    assert info["type"] == "v3" and info["uuid"]
    html = (QUESTION / "question.html").read_text()
    assert html.count("<pl-string-input") == 2 and 'answers-name="dw"' in html and 'answers-name="db"' in html


def test_generate_draws_from_the_seeded_rng_within_the_variants(server):
    first = generated(server, 11)
    assert first == generated(server, 11)  # the same seed, the same variant
    seen = set()
    for seed in range(25):
        values = generated(server, seed)["params"]["values"]
        assert values["x"] in ("0.5", "1.5", "2", "2.5") and values["t"] in ("0.2", "0.8")
        w = Decimal(values["w"])
        assert -Decimal("1.5") <= w <= Decimal("1.5") and w % Decimal("0.25") == 0 and w != 0
        seen.add(tuple(values.values()))
    assert len(seen) > 15


def test_every_generated_variant_is_diagnosable(server):
    for seed in range(25):
        values = generated(server, seed)["params"]["values"]
        work = by_hand(values)
        # σ written for σ′ = h(1 - h) must give another value at 3 significant figures, and neither is 0.
        assert f"{work['db']:.3g}" != f"{-(float(values['t']) - work['h']) * work['h']:.3g}"
        assert abs(work["db"]) > 0 and abs(work["dw"]) > 0


def test_grade_scores_right_answers_and_names_a_mistake(server):
    data = generated(server, 5)
    work = by_hand(data["params"]["values"])
    assert float(data["correct_answers"]["dw"]) == pytest.approx(work["dw"], rel=5e-3)
    sigma_for_derivative = (
        -(float(data["params"]["values"]["t"]) - work["h"]) * work["h"] * float(data["params"]["values"]["x"])
    )
    data["submitted_answers"] = {"dw": f"{sigma_for_derivative:.4g}", "db": f"{work['db']:.4g}"}
    data["partial_scores"] = {}
    server.grade(data)
    assert data["partial_scores"]["db"]["score"] == 1.0
    dw = data["partial_scores"]["dw"]
    assert dw["score"] == 0.5 and "derivative of sigmoid" in dw["feedback"]  # partial = 0.5 for it
    assert data["score"] == pytest.approx(0.75)


def test_grade_takes_an_unreadable_or_missing_answer_without_failing(server):
    data = generated(server, 6)
    data["submitted_answers"] = {"dw": "__import__('os').system('x')"}
    data["partial_scores"] = {}
    server.grade(data)
    assert data["score"] == 0.0
    assert data["partial_scores"]["db"]["feedback"] == "no answer"
