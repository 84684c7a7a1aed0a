"""Client of the summarization API. Do not modify: the tests read what it measures.

The provider allows at most 3 requests started in any 1-second window and at most 2 requests in flight.
"""

from __future__ import annotations

import threading
import time

CALLS: list[tuple[float, float]] = []  # (start, end) wall-clock time of every request
PEAK_IN_FLIGHT = 0
_in_flight = 0
_lock = threading.Lock()


def summarize(doc: str) -> str:
    global _in_flight, PEAK_IN_FLIGHT
    start = time.time()
    with _lock:
        _in_flight += 1
        PEAK_IN_FLIGHT = max(PEAK_IN_FLIGHT, _in_flight)
    time.sleep(0.3)  # the model thinks
    with _lock:
        _in_flight -= 1
        CALLS.append((start, time.time()))
    return f"summary of {doc}"
