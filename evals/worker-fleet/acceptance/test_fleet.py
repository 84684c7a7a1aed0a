"""Worker processes on one system database, driven by DBOSClient; jobs_api logs every start and end with its pid."""

from __future__ import annotations

import json

import pytest

VERSION = "eval-pinned"  # every worker (and a restarted one) runs the same release


@pytest.fixture
def fleet(tmp_path, procs, database_url):
    log = tmp_path / "jobs.jsonl"

    class Fleet:
        hold = tmp_path / "hold"

        def start(self, worker_id):
            env = {
                "WORKER_ID": worker_id,
                "JOBS_LOG": str(log),
                "JOB_SECONDS": "0.3",
                "JOBS_HOLD_FILE": str(self.hold),
                "DBOS__APPVERSION": VERSION,
            }
            return procs.spawn(worker_id, ["worker.py"], env=env)

        def events(self):
            return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []

        def starts(self, job_id=None):
            return [e for e in self.events() if e["event"] == "start" and job_id in (None, e["job_id"])]

        def enqueue(self, job_ids, watch):
            from dbos import DBOSClient

            def attempt():
                try:
                    client = DBOSClient(system_database_url=database_url, application_name="jobs")
                except Exception:
                    return None
                try:
                    if client.retrieve_queue("jobs") is not None:  # a worker has migrated and registered
                        return client
                except Exception:
                    pass
                client.destroy()
                return None

            client = procs.wait_until("the system database to be ready", attempt, watch=watch)
            try:
                for job_id in job_ids:
                    client.enqueue({"queue_name": "jobs", "workflow_name": "process_job"}, job_id)
            finally:
                client.destroy()

        def done(self, job_ids):
            ended = {e["job_id"] for e in self.events() if e["event"] == "end"}
            return set(job_ids) <= ended

    return Fleet()


def test_one_job_per_worker_and_each_job_once_while_workers_join(fleet, procs):
    import time

    fleet.hold.touch()  # jobs stay in flight until the test lets them finish
    w1, w2 = fleet.start("worker-1"), fleet.start("worker-2")
    jobs = [f"job-{i}" for i in range(5)]
    fleet.enqueue(jobs, watch=[w1, w2])
    procs.wait_until("both workers to run a job", lambda: len({e["pid"] for e in fleet.starts()}) == 2, watch=[w1, w2])
    w3 = fleet.start("worker-3")  # joins while the first two jobs are running
    procs.wait_until("the new worker to run a job", lambda: len({e["pid"] for e in fleet.starts()}) == 3, watch=[w3])
    time.sleep(1.0)  # time for anything the new worker's launch recovered to start
    fleet.hold.unlink()
    procs.wait_until("every job to finish", lambda: fleet.done(jobs), timeout=25, watch=[w1, w2, w3])
    time.sleep(0.5)

    runs = {job: len(fleet.starts(job)) for job in jobs}
    assert runs == dict.fromkeys(jobs, 1), f"jobs ran more than once: {runs}"
    running: dict[int, int] = {}
    fleet_peak = 0
    for event in sorted(fleet.events(), key=lambda e: (e["t"], e["event"] == "start")):
        running[event["pid"]] = running.get(event["pid"], 0) + (1 if event["event"] == "start" else -1)
        assert running[event["pid"]] <= 1, f"process {event['pid']} ran 2 jobs at once"
        fleet_peak = max(fleet_peak, sum(running.values()))
    assert fleet_peak >= 2, "the workers never ran jobs at the same time: the limit is per process, not global"


def test_job_of_a_killed_worker_finishes_after_its_restart(fleet, procs):
    fleet.hold.touch()
    first = fleet.start("worker-1")
    fleet.enqueue(["job-crash"], watch=[first])
    procs.wait_until("the job to start", lambda: fleet.starts("job-crash"), watch=[first])
    procs.kill(first)
    fleet.hold.unlink()
    again = fleet.start("worker-1")  # the same WORKER_ID
    procs.wait_until("the interrupted job to finish", lambda: fleet.done(["job-crash"]), timeout=20, watch=[again])
    assert [e["pid"] for e in fleet.starts("job-crash")] == [first.pid, again.pid]
