"""Child process for the crash test: start one campaign and stall in send (the test kills it)."""

from __future__ import annotations

import sys
import threading

import campaigns

if __name__ == "__main__":
    campaigns.launch_app()
    campaigns.start_campaign(sys.argv[1])
    threading.Event().wait()
