"""The provider's limits, measured in real time by llm_api: starts per 1-second window and peak in flight."""

from __future__ import annotations

import time

# A request starts in its step shortly after DBOS starts its workflow; allow that much scheduling jitter.
JITTER = 0.2
ROUNDS = 3
TARGET_PHASE = 0.55  # where in a wall-clock second each round's first request should start


def _wait_for_phase(phase: float) -> None:
    while abs((time.time() - phase + 0.5) % 1 - 0.5) > 0.03:
        time.sleep(0.005)


def test_fan_out_respects_rate_and_concurrency_limits(database_url, load):
    llm_api = load("llm_api")
    fanout = load("fanout")
    fanout.launch_app()
    # Batches that begin mid-second expose a limiter that counts calendar seconds instead of real time.
    # Each round aims its first request at TARGET_PHASE, correcting for the delay the previous round showed.
    delay = 0.1
    for round_ in range(ROUNDS):
        docs = [f"doc-{round_}-{i}" for i in range(4)]
        _wait_for_phase((TARGET_PHASE - delay) % 1)
        called = time.time()
        seen = len(llm_api.CALLS)
        assert fanout.summarize_all(docs) == [f"summary of {d}" for d in docs]
        delay = min(start for start, _ in llm_api.CALLS[seen:]) - called

    starts = sorted(start for start, _ in llm_api.CALLS)
    assert len(starts) == 4 * ROUNDS, f"expected one request per document, got {len(starts)}"
    spans = [round(starts[i + 3] - starts[i], 2) for i in range(len(starts) - 3)]
    assert min(spans) >= 1.0 - JITTER, f"4 requests started within {min(spans)}s (limit: 3 per second); spans: {spans}"
    assert llm_api.PEAK_IN_FLIGHT <= 2, f"{llm_api.PEAK_IN_FLIGHT} requests in flight (limit: 2)"
    assert llm_api.PEAK_IN_FLIGHT == 2, "the documents were summarized one at a time, not in parallel"
