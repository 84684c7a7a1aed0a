"""Child process for the crash test: book a trip that gets cancelled (the test kills it while cancelling)."""

from __future__ import annotations

import sys

import trips
from dbos import SetWorkflowID

if __name__ == "__main__":
    trips.launch_app()
    with SetWorkflowID(sys.argv[1]):
        trips.book_trip(sys.argv[2], sys.argv[3])
