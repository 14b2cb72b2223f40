"""Every exercise file: it loads, derives and trains, its gradients are plain SymPy's, and it says where it is from."""

from __future__ import annotations

import re
import tomllib

import pytest
from conftest import EXERCISE_FILES, LECTURES
from reference import plain_gradient

from symbackprop.engine.derivation import derive
from symbackprop.engine.train import train
from symbackprop.exercise.model import load

FILES = EXERCISE_FILES

# The worked examples issue 3 lists, deck by deck.
EXPECTED = {
    "000": {
        "gd-quadratic",
        "fruit-price",
        "z-equals-t-squared",
        "three-layer-scalar-generic",
        "three-layer-scalar-relu",
        "softmax-gradient",
        "activation-gradients",
    },
    "001": {"fx-plus-y-times-z", "bp-2-2-1-sigmoid"},
    "002": {"linear-perceptron-two-samples", "sigmoid-perceptron-bias", "two-layer-perceptron", "softmax-jacobian"},
    "003": {
        "linear-regression-recap",
        "logistic-regression-recap",
        "inverse-square-exp",
        "two-path-exp",
        "four-paths",
        "two-branch-sigmoid",
        "one-hidden-unit-training",
        "relu-regression",
        "relu-sigmoid-classification",
    },
    "004": {"bp-2-2-2-sigmoid-no-bias"},
}


def test_every_listed_worked_example_has_a_file_and_its_deck():
    by_deck: dict[str, set[str]] = {}
    for path in FILES:
        source = tomllib.loads(path.read_text())["source"]
        by_deck.setdefault(source[:3], set()).add(path.stem)
    for deck, ids in EXPECTED.items():
        assert ids <= by_deck.get(deck, set()), deck


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_source_names_a_deck_and_a_slide_title_in_it(path):
    data = tomllib.loads(path.read_text())
    deck, _, title = data["source"].partition(" — ")
    assert re.fullmatch(r"00\d_[0-9a-f]{16}\.txt", deck) and title
    assert data.get("stated"), "every worked example records what the lecture states"
    assert data["id"] == path.stem
    if not LECTURES.is_dir():
        pytest.skip(f"the lecture decks are not beside the repository ({LECTURES})")
    text = (LECTURES / deck).read_text()
    first = re.split(r"[(:,]", title)[0].strip()  # "Gradient Descent (…)" → "Gradient Descent"
    assert first.lower() in text.lower(), first


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_engine_gradients_are_plain_sympy_of_the_substituted_loss(path):
    ex = load(path)
    derivation = derive(ex)
    base = {name: float(value) for name, value in ex.point.items()}
    samples = [base | {name: float(values[k]) for name, values in ex.data.items()} for k in range(ex.samples)]
    scale = 1 / len(samples) if ex.reduce == "mean" else 1
    for param in ex.params:
        expected = scale * sum(plain_gradient(ex.texts, ex.loss, param, point) for point in samples)
        assert derivation.gradient(param).value == pytest.approx(expected, rel=1e-9, abs=1e-12), param


@pytest.mark.parametrize("path", [p for p in FILES if "train" in tomllib.loads(p.read_text())], ids=lambda p: p.stem)
def test_training_lowers_the_loss_of_every_exercise_with_a_train_table(path):
    rows = train(load(path))
    assert len(rows) == tomllib.loads(path.read_text())["train"].get("steps", 1) + 1
    assert rows[-1].loss < rows[0].loss
