"""`row.name` on a dict: the pages' environment looks the key up first, with Jinja's own results."""

from __future__ import annotations

from collections import OrderedDict, defaultdict
from typing import Any

import pytest
from jinja2 import Environment, StrictUndefined, Undefined, UndefinedError

from tracker.web import DictFirstEnvironment, jinja_environment


class Row:
    name = "an attribute"

    def __getitem__(self, key: str) -> str:
        return f"item {key}"


OBJECTS: list[Any] = [
    {"name": "Amara", "items": "a key that shadows a method", "get": 3, "n": 0},
    {"name": None},
    {},
    OrderedDict(name="ordered"),
    defaultdict(lambda: "made up", name="defaulted"),
    Row(),
    "a string",
    ["a", "list"],
    None,
    42,
]
NAMES = ["name", "items", "get", "keys", "n", "missing", "__class__", "upper", "append"]


def _outcome(env: Environment, obj: Any, name: str) -> Any:
    value = env.getattr(obj, name)
    if isinstance(value, Undefined):
        return ("undefined", type(value), value._undefined_name, value._undefined_obj is obj)
    if callable(value) and not isinstance(value, type):
        return ("callable", getattr(value, "__name__", None), getattr(value, "__self__", None) is obj)
    return ("value", value)


@pytest.mark.parametrize("undefined", [Undefined, StrictUndefined])
def test_getattr_gives_jinjas_own_results_for_every_kind_of_object(undefined: type[Undefined]) -> None:
    plain, ours = Environment(undefined=undefined), DictFirstEnvironment(undefined=undefined)
    for obj in OBJECTS:
        for name in NAMES:
            assert _outcome(ours, obj, name) == _outcome(plain, obj, name), (obj, name)


def test_a_dict_key_is_found_and_dict_methods_still_win_over_keys() -> None:
    env = jinja_environment()
    page = env.from_string(
        "{{ row.name }}|{{ row.items()|list|length }}|{{ row.get('n') }}|{{ row['items'] }}"
    )
    row = {"name": "Amara", "items": "shadowed", "n": 2}
    assert page.render(row=row) == "Amara|3|2|shadowed"


def test_a_missing_key_is_still_a_strict_undefined_error_that_names_it() -> None:
    page = jinja_environment().from_string("{{ row.missing }}")
    with pytest.raises(UndefinedError, match="missing"):
        page.render(row={"name": "Amara"})
    assert jinja_environment().from_string("{{ row.missing is defined }}").render(row={}) == "False"
