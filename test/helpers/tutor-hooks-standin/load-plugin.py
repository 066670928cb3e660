"""Loads an installed Tutor plugin the way Tutor does, against the stand-in `tutor.hooks`.

Usage: python load-plugin.py NAME   (with this folder on PYTHONPATH, ahead of any real Tutor)

Finds NAME among the "tutor.plugin.v1" entry points of the running environment, imports the
module it names, and prints JSON: the entry point and its distribution, the module's file,
and every filter call the module made while being imported. Exits 1 with a message when NAME
is not installed.
"""

import importlib.metadata
import json
import sys

from tutor import hooks

ENTRY_POINT_GROUP = "tutor.plugin.v1"

name = sys.argv[1]
found = [ep for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP) if ep.name == name]
if not found:
    sys.exit(f"no {ENTRY_POINT_GROUP} entry point named {name!r}")
entry_point = found[0]
module = entry_point.load()
json.dump(
    {
        "entry_point": {"name": entry_point.name, "value": entry_point.value},
        "distribution": {
            "name": entry_point.dist.name,
            "version": entry_point.dist.version,
            "summary": entry_point.dist.metadata["Summary"],
        },
        "module_file": module.__file__,
        "filters": hooks.recorded_calls(),
    },
    sys.stdout,
)
