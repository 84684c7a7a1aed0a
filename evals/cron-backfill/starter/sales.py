"""Sales warehouse client. Do not modify: the tests read the reports it writes."""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path


def write_report(hour: datetime) -> None:
    """Compute and store the sales report of the hour starting at ``hour``."""
    path = Path(os.environ.get("SALES_REPORTS", "sales_reports.jsonl"))
    with path.open("a") as f:
        f.write(json.dumps({"hour": hour.isoformat()}) + "\n")
