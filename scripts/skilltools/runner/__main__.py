"""`python .../runner/__main__.py --serve | --supervise REQUEST.json | --bootstrap ...`."""

from __future__ import annotations

import importlib
import os
import sys
from types import ModuleType


def _server() -> ModuleType:
    if __package__:  # python -m skilltools.runner
        return importlib.import_module(".server", __package__)
    # Run by path: import this folder as the top-level package `runner`, skipping skilltools/__init__.
    sys.path[0] = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return importlib.import_module("runner.server")


if __name__ == "__main__":
    sys.exit(_server().main(sys.argv[1:]))
