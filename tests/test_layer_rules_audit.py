"""audit on the general formulas lectures 001 and 002 print: layer rules, and update rules."""

from __future__ import annotations

import pytest
import sympy

from symbackprop.auditing.checker import audit
from symbackprop.exercise.model import load
from symbackprop.parse.plain import parse


def _entries(exercise_id):
    return [(entry.key, entry.stated, entry.verdict, entry.diagnosis) for entry in audit(load(exercise_id))]


def test_lecture_001s_rules_match_and_its_index_typo_is_found():
    entries = _entries("lecture001-general-rules")
    verdicts = {(key, stated): verdict for key, stated, verdict, _ in entries}
    # The derivation on the slides gives x_j^{l−1}: the forms with it are right ...
    assert verdicts[("rule:delta_output", r"\delta_i^L = (t_i - y_i)\sigma'(net_i^L)")] == "match"
    assert all(verdict == "match" for (key, stated), verdict in verdicts.items() if "x_j" in stated)
    assert verdicts[next(k for k in verdicts if k[0] == "rule:delta_hidden")] == "match"
    # ... and the slides that print x_i^{l−1} are not
    typos = [(key, diagnosis) for key, stated, verdict, diagnosis in entries if "x_i^{" in stated]
    assert {key for key, _ in typos} == {"rule:dW_output", "rule:dW_hidden"}
    for key, stated, verdict, diagnosis in entries:
        if "x_i^{" in stated:
            assert verdict == "mismatch" and "_j, not _i" in diagnosis, key


def _two_samples_update(scale):
    """w − γ·scale·Σᵢ(ỹⁱ − yⁱ)xⁱ on lecture 002's linear perceptron with our two samples."""
    xs, ys, w, lr = [(1.0, 2.0), (2.0, 1.0)], [1.0, -1.0], (0.5, -0.5), 0.05
    residuals = [x[0] * w[0] + x[1] * w[1] - y for x, y in zip(xs, ys, strict=True)]
    return [w[k] - lr * scale * sum(r * x[k] for r, x in zip(residuals, xs, strict=True)) for k in range(2)]


@pytest.mark.parametrize(
    ("exercise_id", "slide_scale"),
    [("linear-perceptron-update-rules", 1.0), ("linear-perceptron-mean-update", 0.5)],
)
def test_lecture_002s_update_rules_are_reported_against_the_summed_loss(exercise_id, slide_scale):
    exact = _two_samples_update(2.0)  # d/dw Σ(ỹ − y)² = 2Σ(ỹ − y)x
    slide = _two_samples_update(slide_scale)  # the slide's rule: no 2, and γ/n on the mean-update slide
    entries = audit(load(exercise_id))
    for entry in entries:
        k = int(entry.key[1]) - 1
        assert entry.verdict == "mismatch", entry
        assert float(entry.computed) == pytest.approx(exact[k])
    words = "(γ/n), and without the 2 of the square" if slide_scale == 0.5 else "factor of ½"
    assert all(words in entry.diagnosis for entry in entries)
    # the file's numbers are the slide's rule, worked out here too
    numbers = {entry.key: float(parse(entry.stated, sympy.Symbol)) for entry in entries}
    assert numbers == {"w1@1": pytest.approx(slide[0]), "w2@1": pytest.approx(slide[1])}


def test_the_vector_exercise_states_da_dw_equal_to_x_and_the_chain_rule():
    entries = _entries("sigmoid-perceptron-vector")
    assert [(key, stated) for key, stated, _, _ in entries][:2] == [("da/dw1", "x1"), ("da/dw2", "x2")]
    assert {verdict for _, _, verdict, _ in entries} == {"match"}
