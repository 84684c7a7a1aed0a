"""The pre-migrated SQLite template: which file a program gets, and that DBOS runs on the copy."""

from __future__ import annotations

from pathlib import Path

import pytest
from skilltools import examples, load_skill
from skilltools.sqlitedb import default_file

PROGRAM = """# template

```python
import os

from dbos import DBOS

assert os.path.getsize("fx_app_1.sqlite") > 0, "the template was not copied"


@DBOS.workflow()
def one() -> int:
    return 1


if __name__ == "__main__":
    DBOS(config={"name": "fx-app-1", "system_database_url": os.environ.get("DBOS_SYSTEM_DATABASE_URL")})
    DBOS.launch()
    assert one() == 1
    assert len(DBOS.list_workflows()) == 1
    DBOS.destroy()
```
"""


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('config = {"name": "my-app", "system_database_url": None}', "my_app.sqlite"),
        ("DBOS(config={'name': 'Shop Orders'})", "shop_orders.sqlite"),
        ('{"name": "9lives"}', "_9lives.sqlite"),
        ('{"name": "a"}, {"name": "b"}', None),
        ('{"name": "a", "use_listen_notify": False}', None),
        ("DBOS(config=config)", None),
    ],
)
def test_default_file(source: str, expected: str | None) -> None:
    assert default_file(source) == expected


@pytest.mark.parametrize("warm", [True, False])
def test_dbos_runs_on_the_copied_template(tmp_path: Path, warm: bool) -> None:
    (tmp_path / "references").mkdir()
    (tmp_path / "references" / "fx-template.md").write_text(PROGRAM)
    skill = load_skill(tmp_path)
    [outcome] = examples.check(skill, examples.plan(skill), examples.Settings(jobs=1, warm=warm)).outcomes
    assert outcome.passed, outcome.render()
