"""The activation registry: what a new activation may be called, and the tables read from it."""

from __future__ import annotations

import subprocess
import sys

import pytest
import sympy

from symbackprop.core.activation import ACTIVATIONS, RegistryView, register, unregister
from symbackprop.core.functions import ActivationBase
from symbackprop.errors import SymbackpropError
from symbackprop.exercise.layers import expand


@pytest.mark.parametrize("name", ["e", "pi", "identity", "exp", "sigmoid"])
def test_a_name_that_already_means_something_is_refused(name):
    with pytest.raises(SymbackpropError, match=repr(name)):

        class Clash(ActivationBase):
            nargs = 1

        Clash.name = name  # set after the class, so that only this register() runs
        register(Clash)
    assert ACTIVATIONS.get(name) is not Clash


def test_a_registered_entry_never_replaces_a_fixed_one():
    class Shadow(ActivationBase):
        """Declares the LaTeX name of a fixed macro; the fixed meaning stays."""

        nargs = 1
        name, latex = "shadow", r"\exp"

    try:
        macros = RegistryView(lambda cls: (cls.latex[1:], cls.name), fixed={"exp": "exp"})
        assert macros["exp"] == "exp"
        assert "shadow" in ACTIVATIONS
    finally:
        unregister(Shadow)
    assert "shadow" not in ACTIVATIONS


@pytest.mark.parametrize("activation", [["sigmoid"], {"name": "sigmoid"}, 3])
def test_an_activation_that_is_not_a_name_is_a_one_line_error(activation):
    # A list or a table where a name belongs once raised TypeError (unhashable) out of the lookup.
    with pytest.raises(SymbackpropError):
        expand({"sizes": [2, 1], "activation": [activation]})


def test_a_registry_view_answers_membership_for_any_key():
    view = RegistryView(lambda cls: (cls.name, cls))
    assert "sigmoid" in view
    assert ["sigmoid"] not in view and {"a": 1} not in view and None not in view
    assert isinstance(view["sigmoid"](sympy.Symbol("s")), ActivationBase)


def test_deriving_and_printing_never_import_numpy():
    # NumPy is only for the NumPy rules (check); every other command starts without it.
    code = (
        "import sys; from symbackprop import derive, load, derivation_latex; "
        "d = derive(load('two-branch-sigmoid')); derivation_latex(d); print('numpy' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_the_delta_sign_convention_is_read_and_checked():
    from symbackprop.core.activation import Conventions
    from symbackprop.errors import SymbackpropError

    assert Conventions().delta_sign == "dL/dnet"
    assert Conventions.from_mapping({"delta_sign": "-dL/dnet"}).delta_sign == "-dL/dnet"
    with pytest.raises(SymbackpropError, match=r"conventions\.delta_sign: must be 'dL/dnet' or '-dL/dnet'"):
        Conventions.from_mapping({"delta_sign": "dnet/dL"})
