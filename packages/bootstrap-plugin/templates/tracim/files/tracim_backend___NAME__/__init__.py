"""A Tracim backend plugin.

Tracim imports every package of its plugin folder (`plugin.folder_path`) whose name starts
with tracim_backend_, registers it, then calls its `register_tracim_plugin(plugin_manager)`.
"""

from __future__ import annotations

import logging
import typing

from pyramid.config import Configurator
from pyramid.threadlocal import get_current_registry
from tracim_backend.lib.core.plugins import hookimpl

from .__about__ import __version__

if typing.TYPE_CHECKING:
    from pluggy import PluginManager
    from pyramid.request import Request
    from tracim_backend.lib.utils.request import TracimContext
    from tracim_backend.models.auth import User

# Tracim names a plugin by its folder without the prefix; deriving it here keeps the route
# and the logs right if the folder is renamed.
PLUGIN_NAME = __name__.split(".")[0][len("tracim_backend_"):]
HELLO_ROUTE = f"{PLUGIN_NAME}_hello"
HELLO_PATH = f"/plugins/{PLUGIN_NAME}/hello"

logger = logging.getLogger(__name__)


class Plugin:
    """Tracim's hooks, implemented as methods: pluggy calls them on the registered instance."""

    @hookimpl
    def on_plugins_loaded(self, plugin_manager: PluginManager) -> None:
        # Tracim keeps its Pyramid registry on the thread-local stack only while plugins load:
        # routes and views can be added here, and nowhere later.
        config = Configurator(registry=get_current_registry())
        config.add_route(HELLO_ROUTE, HELLO_PATH, request_method="GET")
        config.add_view(self.hello, route_name=HELLO_ROUTE, renderer="json")
        logger.info("plugin %s %s loaded, serving GET %s", PLUGIN_NAME, __version__, HELLO_PATH)

    @hookimpl
    def on_user_created(self, user: User, context: TracimContext) -> None:
        logger.info("plugin %s: user %s was created", PLUGIN_NAME, user.public_name)

    def hello(self, request: Request) -> dict[str, str]:
        """GET /plugins/NAME/hello. Anyone can call it: protect real views with Tracim's checks."""
        return {"plugin": PLUGIN_NAME, "version": __version__}


def register_tracim_plugin(plugin_manager: PluginManager) -> None:
    plugin_manager.register(Plugin())
