import doctest
import importlib

import pytest

MODULES = ["formula", "kb", "calculators", "compare"]


@pytest.mark.parametrize("name", MODULES)
def test_module_examples(name):
    mod = importlib.import_module(f"sselab.materials.{name}")   # (the package re-exports a function `compare`)
    res = doctest.testmod(mod)
    assert res.attempted > 0 and res.failed == 0
