"""Test stand-in for `tutor.hooks`: filters that record what a plugin adds to them.

Only filters that Tutor's v1 API has are defined, so a plugin naming a filter Tutor does not
have fails here with AttributeError, as it would under Tutor.
"""

import types
import typing as t

_calls: list[dict[str, t.Any]] = []


class Filter:
    def __init__(self, name: str) -> None:
        self.name = name

    def add_item(self, item: t.Any, priority: t.Optional[int] = None) -> None:
        _calls.append({"filter": self.name, "method": "add_item", "items": [item]})

    def add_items(self, items: t.List[t.Any], priority: t.Optional[int] = None) -> None:
        _calls.append({"filter": self.name, "method": "add_items", "items": list(items)})


# The filters of Tutor's v1 API that plugins commonly use.
FILTER_NAMES = (
    "CLI_COMMANDS",
    "CLI_DO_INIT_TASKS",
    "CONFIG_DEFAULTS",
    "CONFIG_OVERRIDES",
    "CONFIG_UNIQUE",
    "ENV_PATCHES",
    "ENV_TEMPLATE_FILTERS",
    "ENV_TEMPLATE_ROOTS",
    "ENV_TEMPLATE_TARGETS",
    "ENV_TEMPLATE_VARIABLES",
    "IMAGES_BUILD",
    "IMAGES_PULL",
    "IMAGES_PUSH",
)

Filters = types.SimpleNamespace(**{name: Filter(name) for name in FILTER_NAMES})


def recorded_calls() -> list[dict[str, t.Any]]:
    """Every add_item/add_items call so far, in order."""
    return list(_calls)
