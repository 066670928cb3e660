"""Test stand-in for Tracim's plugin manager: loads tracim_backend_* plugins as Tracim does.

Usage: python3 tracim-host.py PLUGIN_FOLDER   (the folder Tracim's `plugin.folder_path` names)

Follows Tracim's startup with real pluggy: a PluginManager("tracim") holding Tracim's hook
specifications, every package of the folder whose name starts with tracim_backend_ imported
and registered, its register_tracim_plugin(plugin_manager) called, then on_plugins_loaded
with Pyramid's registry pushed, as Tracim does. It then fires on_user_created for one user
and calls every view the plugins added.

Tracim and Pyramid are not installed in the tests: the few names a plugin imports from them
(hookimpl, Configurator, get_current_registry) are stand-ins that record what it asks for.

Prints JSON: {"plugins", "hook_calls", "routes", "views", "responses", "log"}.
"""

import importlib
import inspect
import json
import logging
import pkgutil
import sys
import types
import typing as t

import pluggy

PLUGIN_NAMESPACE = "tracim"
PLUGIN_DIR_PREFIX = "tracim_backend_"
PLUGIN_ENTRY_POINT_NAME = "register_tracim_plugin"

hookspec = pluggy.HookspecMarker(PLUGIN_NAMESPACE)
hookimpl = pluggy.HookimplMarker(PLUGIN_NAMESPACE)


class TracimHookSpec:
    """The two hooks of Tracim's plugin documentation, with Tracim's parameter names."""

    @hookspec
    def on_plugins_loaded(self, plugin_manager: pluggy.PluginManager) -> None:
        """All plugins are registered; Pyramid's registry is reachable."""

    @hookspec
    def on_user_created(self, user: t.Any, context: t.Any) -> None:
        """A user was just created."""


class Registry:
    def __init__(self) -> None:
        self.routes: list[dict[str, t.Any]] = []
        self.views: list[dict[str, t.Any]] = []


_pushed: list[Registry] = []


def get_current_registry() -> Registry:
    # Tracim pushes its registry only while on_plugins_loaded runs; a plugin reaching for it
    # at another time would configure nothing in Tracim, so the stand-in refuses.
    if not _pushed:
        raise RuntimeError("get_current_registry() called outside on_plugins_loaded")
    return _pushed[-1]


class Configurator:
    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    def add_route(self, name: str, pattern: str, **options: t.Any) -> None:
        self.registry.routes.append({"name": name, "pattern": pattern, **options})

    def add_view(self, view: t.Callable[..., t.Any], route_name: str, **options: t.Any) -> None:
        self.registry.views.append({"view": view, "route_name": route_name, **options})


def install_stand_ins() -> None:
    modules = {
        "pyramid": {},
        "pyramid.config": {"Configurator": Configurator},
        "pyramid.threadlocal": {"get_current_registry": get_current_registry},
        "tracim_backend": {},
        "tracim_backend.lib": {},
        "tracim_backend.lib.core": {},
        "tracim_backend.lib.core.plugins": {"hookimpl": hookimpl, "hookspec": hookspec},
    }
    for name, attributes in modules.items():
        module = types.ModuleType(name)
        module.__dict__.update(attributes)
        sys.modules[name] = module


class LogRecorder(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.name}: {record.getMessage()}")


class User:
    def __init__(self, public_name: str) -> None:
        self.public_name = public_name


class Request:
    method = "GET"


def describe(impl: t.Any) -> dict[str, t.Any]:
    """Where an implementation is defined and its parameters as written, `self` included:
    a method written without `self` still runs, with its first argument silently wrong."""
    function = getattr(impl.function, "__func__", impl.function)
    return {
        "qualname": f"{function.__module__}.{function.__qualname__}",
        "parameters": list(inspect.signature(function).parameters),
    }


def load_plugins(folder: str) -> dict[str, types.ModuleType]:
    sys.path.append(folder)
    try:
        return {
            info.name[len(PLUGIN_DIR_PREFIX):]: importlib.import_module(info.name)
            for info in pkgutil.iter_modules([folder])
            if info.name.startswith(PLUGIN_DIR_PREFIX)
        }
    finally:
        sys.path.remove(folder)


def main(folder: str) -> None:
    install_stand_ins()
    log = LogRecorder()
    logging.getLogger().addHandler(log)
    logging.getLogger().setLevel(logging.DEBUG)

    plugin_manager = pluggy.PluginManager(PLUGIN_NAMESPACE)
    plugin_manager.add_hookspecs(TracimHookSpec)
    hook_calls: list[dict[str, t.Any]] = []
    plugin_manager.add_hookcall_monitoring(
        lambda name, impls, kwargs: hook_calls.append(
            {"hook": name, "implementations": [describe(impl) for impl in impls]}
        ),
        lambda outcome, name, impls, kwargs: None,
    )

    plugins = load_plugins(folder)
    for name in sorted(plugins):
        module = plugins[name]
        plugin_manager.register(module)
        getattr(module, PLUGIN_ENTRY_POINT_NAME)(plugin_manager)
    # Stricter than Tracim, which never calls on a misspelled hook and says nothing: here a
    # @hookimpl without a matching specification fails the run.
    plugin_manager.check_pending()

    registry = Registry()
    _pushed.append(registry)
    try:
        plugin_manager.hook.on_plugins_loaded(plugin_manager=plugin_manager)
    finally:
        _pushed.pop()
    plugin_manager.hook.on_user_created(user=User("Ada Lovelace"), context=object())

    responses = {}
    for view in registry.views:
        body = view["view"](Request())
        responses[view["route_name"]] = json.loads(json.dumps(body)) if view.get("renderer") == "json" else repr(body)
    json.dump(
        {
            "plugins": sorted(plugins),
            "hook_calls": hook_calls,
            "routes": registry.routes,
            "views": [{key: value for key, value in view.items() if key != "view"} for view in registry.views],
            "responses": responses,
            "log": log.lines,
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main(sys.argv[1])
