"""Test stand-in for `tutor.hooks`: filters that record what a plugin adds to them.

Only the filters of Tutor's v1 API are defined, so a plugin that names a filter Tutor does not
have fails here with AttributeError, as it would under Tutor.
"""

import typing as t

_calls: list[dict[str, t.Any]] = []


class Filter:
    def __init__(self, name: str) -> None:
        self.name = name

    def add_item(self, item: t.Any, priority: t.Optional[int] = None) -> None:
        _calls.append({"filter": self.name, "method": "add_item", "items": [item]})

    def add_items(self, items: t.List[t.Any], priority: t.Optional[int] = None) -> None:
        _calls.append({"filter": self.name, "method": "add_items", "items": list(items)})


class Filters:
    CLI_COMMANDS = Filter("CLI_COMMANDS")
    CLI_DO_INIT_TASKS = Filter("CLI_DO_INIT_TASKS")
    CONFIG_DEFAULTS = Filter("CONFIG_DEFAULTS")
    CONFIG_OVERRIDES = Filter("CONFIG_OVERRIDES")
    CONFIG_UNIQUE = Filter("CONFIG_UNIQUE")
    ENV_PATCHES = Filter("ENV_PATCHES")
    ENV_TEMPLATE_FILTERS = Filter("ENV_TEMPLATE_FILTERS")
    ENV_TEMPLATE_ROOTS = Filter("ENV_TEMPLATE_ROOTS")
    ENV_TEMPLATE_TARGETS = Filter("ENV_TEMPLATE_TARGETS")
    ENV_TEMPLATE_VARIABLES = Filter("ENV_TEMPLATE_VARIABLES")
    IMAGES_BUILD = Filter("IMAGES_BUILD")
    IMAGES_PULL = Filter("IMAGES_PULL")
    IMAGES_PUSH = Filter("IMAGES_PUSH")


def recorded_calls() -> list[dict[str, t.Any]]:
    """Every add_item/add_items call so far, in order."""
    return list(_calls)
