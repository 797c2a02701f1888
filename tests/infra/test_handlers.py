"""Every handler string in the stack definition imports and is callable, as Lambda loads it."""

from __future__ import annotations

import pytest

from infra import definition
from local.runtime.invoke import load_handler


@pytest.mark.parametrize("function", definition.FUNCTIONS, ids=lambda f: f.key)
def test_handler_imports_and_is_callable(function: definition.Function) -> None:
    handler = load_handler(function.handler)
    assert callable(handler)
    module = function.handler.rpartition(".")[0]
    assert module.startswith(f"functions.{function.key}.")


def test_handler_strings_are_lambda_module_paths_under_the_code_asset_root() -> None:
    for function in definition.FUNCTIONS:
        module, _, attribute = function.handler.rpartition(".")
        assert module.replace(".", "/") + ".py" == f"functions/{function.key}/handler.py"
        assert attribute == "handler"
