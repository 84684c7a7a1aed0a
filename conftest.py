"""Root conftest: turn the skill's code examples into pytest items (see scripts/skilltools/pytest_plugin.py).

`pytester` drives the plugin itself from tests/test_pytest_plugin.py.
"""

pytest_plugins = ["skilltools.pytest_plugin", "pytester"]
