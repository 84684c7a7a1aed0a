"""The CPU gate: a run starts when a core is free, never waits past `max_hold`, and the checker asks it per run."""

from __future__ import annotations

from pathlib import Path

import pytest
from skilltools import admission, examples, load_skill
from test_examples_checker import make_skill


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def gate(readings: list[int | None], cores: int = 2, max_hold: float = 1.0) -> tuple[admission.CpuGate, FakeClock]:
    fake, values = FakeClock(), iter(readings)
    last: list[int | None] = [None]

    def read() -> int | None:
        last[0] = next(values, last[0])
        return last[0]

    made = admission.CpuGate(cores, read, max_hold, poll=0.01, spacing=0.0, sleep=fake.sleep, clock=fake.clock)
    return made, fake


def test_parse_procs_running() -> None:
    stat = "cpu  1 2 3\nintr 5 6\nprocs_running 7\nprocs_blocked 0\n"
    assert admission.parse_procs_running(stat) == 7
    assert admission.parse_procs_running("cpu 1 2\n") is None
    assert admission.parse_procs_running("procs_running x\n") is None


def test_this_machine_reports_runnable_threads_on_linux() -> None:
    if not admission.PROC_STAT.exists():
        pytest.fail("no /proc/stat: the gate cannot see the CPU here (the checker then runs ungated)")
    running = admission.runnable_threads()
    assert running is not None and running >= 1  # at least this test's own thread


def test_holds_while_every_core_is_busy_then_admits() -> None:
    # 2 cores: 3 runnable (the reader + 2 others) is full; 2 (the reader + 1) leaves a core free.
    made, fake = gate([5, 3, 3, 2])
    held = made.wait()
    assert fake.sleeps == [0.01, 0.01, 0.01] and held == pytest.approx(0.03)


def test_admits_at_once_when_a_core_is_free() -> None:
    made, fake = gate([1])
    assert made.wait() == 0.0 and fake.sleeps == []


def test_a_machine_busy_with_other_work_delays_but_never_stalls() -> None:
    made, fake = gate([50], max_hold=0.5)
    assert made.wait() == pytest.approx(0.5, abs=0.011)
    assert len(fake.sleeps) == pytest.approx(50, abs=1)


def test_no_reading_means_no_holding() -> None:
    made, fake = gate([None])
    assert made.wait() == 0.0 and fake.sleeps == []
    assert admission.OPEN.wait() < 0.001


def test_spacing_follows_each_admission() -> None:
    fake = FakeClock()
    made = admission.CpuGate(2, lambda: 1, spacing=0.02, sleep=fake.sleep, clock=fake.clock)
    made.wait()
    made.wait()
    assert fake.sleeps == [0.02, 0.02]


@pytest.mark.parametrize("gated", [True, False])
def test_the_checker_asks_the_gate_before_every_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, gated: bool
) -> None:
    asked: list[int] = []

    class CountingGate(admission.CpuGate):
        def wait(self) -> float:
            asked.append(1)
            return 0.0

    monkeypatch.setattr(examples, "CpuGate", CountingGate)
    skill = load_skill(make_skill(tmp_path, ["pass", "failure", "expected_exception"]))
    report = examples.check(skill, examples.plan(skill), examples.Settings(jobs=2, gate=gated))
    assert len(report.outcomes) == 3
    assert len(asked) == (3 if gated else 0)


def test_callers_queued_behind_a_hold_do_not_wait_again() -> None:
    """On a machine busy with other work, N queued runs wait about max_hold in all, not N x max_hold."""
    import threading

    fake, callers = FakeClock(), 4
    arrived, seen = threading.Barrier(callers), threading.local()

    def clock() -> float:
        now = fake.now
        if not getattr(seen, "arrived", False):  # each caller's first reading: all arrive at time 0
            seen.arrived = True
            arrived.wait(timeout=10)
        return now

    made = admission.CpuGate(2, lambda: 50, max_hold=0.5, poll=0.01, spacing=0.0, sleep=fake.sleep, clock=clock)
    helds: list[float] = []
    threads = [threading.Thread(target=lambda: helds.append(made.wait())) for _ in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert fake.now == pytest.approx(0.5, abs=0.02)
    assert sorted(helds) == pytest.approx([0.5] * callers, abs=0.02)
