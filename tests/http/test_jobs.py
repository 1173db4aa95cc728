"""The durable job queue that verifies webmentions and trackbacks (SPEC §3 (Linkbacks)):
written before the answer, run once, retried with backoff, finished after a restart; a
pool in the app, or RQ workers with REDIS_URL."""

import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from itertools import pairwise

import pytest
import redis
from rq import Queue
from sqlalchemy import select

from moderation.infra import db, jobs
from moderation.infra.models import Job, JobState, utcnow
from moderation.web.security import csrf
from tests.conftest import REDIS_URL

FAST = {"JOB_POLL_SECONDS": 0.01}  # idle pool threads look again at once


class ProcessDied(BaseException):
    """Stands for the process dying mid-job: nothing in the runner catches it."""


class Recorder:
    """Test kinds of job that note every run and every failure they are told of."""

    def __init__(self) -> None:
        self.runs: list[int] = []
        self.run_times: list[float] = []
        self.failures: list[tuple[int, str]] = []

    def _note(self, subject_id: int) -> int:
        self.runs.append(subject_id)
        self.run_times.append(time.monotonic())
        return self.runs.count(subject_id)  # which run of this subject

    def record(self, _session, subject_id: int) -> None:
        self._note(subject_id)

    def flaky(self, _session, subject_id: int) -> None:
        self._note(subject_id)
        raise jobs.Retry("the source answered HTTP 503")

    def flaky_once(self, _session, subject_id: int) -> None:
        if self._note(subject_id) == 1:
            raise jobs.Retry("the source could not be fetched: timed out")

    def broken(self, _session, subject_id: int) -> None:
        self._note(subject_id)
        raise RuntimeError("a bug")

    def dies_once(self, _session, subject_id: int) -> None:
        if self._note(subject_id) == 1:
            raise ProcessDied

    def failed(self, _session, subject_id: int, reason: str) -> None:
        self.failures.append((subject_id, reason))

    def kinds(self) -> dict[str, jobs.Kind]:
        runs = {
            "record": self.record,
            "flaky": self.flaky,
            "flaky-once": self.flaky_once,
            "broken": self.broken,
            "dies-once": self.dies_once,
        }
        return {name: jobs.Kind(run=run, failed=self.failed) for name, run in runs.items()}


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def build(make_app, recorder) -> Callable:
    """An app with the test kinds and two routes that submit a job, as a view would."""

    def build_app(**config):
        app = make_app(**config)
        jobs.init_app(app, recorder.kinds())

        @app.post("/test-jobs/<kind>/<int:subject_id>")
        def submit_job(kind: str, subject_id: int):
            session = db.get_session()
            job = jobs.submit(session, kind, subject_id)
            session.commit()
            return {"job": job.id}, 201

        @app.post("/test-jobs/<kind>/<int:subject_id>/rolled-back")
        def submit_and_roll_back(kind: str, subject_id: int):
            session = db.get_session()
            jobs.submit(session, kind, subject_id)
            session.rollback()
            return {}, 200

        # They stand for the linkback receivers, which submit the jobs: protocols, exempt
        # from CSRF as those are (SPEC §3 (Security headers): the three linkback receivers
        # are exempt from CSRF protection).
        csrf.exempt(submit_job)
        csrf.exempt(submit_and_roll_back)
        return app

    return build_app


def submit(app, kind: str, *subject_ids: int) -> list[int]:
    """Submit jobs in one transaction and commit; return their ids."""
    with app.app_context():
        session = db.get_session()
        submitted = [jobs.submit(session, kind, subject_id) for subject_id in subject_ids]
        session.commit()
        return [job.id for job in submitted]


def submit_later(app, kind: str, subject_id: int, run_after) -> list[int]:
    """Submit a job due at run_after, and commit; return its id in a list."""
    with app.app_context():
        session = db.get_session()
        later = jobs.submit(session, kind, subject_id, run_after=run_after)
        session.commit()
        return [later.id]


def job(app, job_id: int) -> Job:
    with app.app_context():
        return db.get_session().get(Job, job_id)


def jobs_of(app, subject_id: int) -> list[Job]:
    with app.app_context():
        return list(db.get_session().scalars(select(Job).where(Job.subject_id == subject_id)))


def wait_for(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def state_of(app, job_id: int) -> Callable[[], JobState]:
    return lambda: job(app, job_id).state


def pool_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("moderation-jobs-")]


# The local pool (no REDIS_URL).


def test_no_job_thread_starts_before_the_first_request_which_starts_the_pool(build, recorder):
    app = build(JOB_WORKERS=2, **FAST)
    [job_id] = submit(app, "record", 7)
    # SPEC §3 (Linkbacks): the pool starts lazily, never at import or before gunicorn forks.
    assert pool_threads() == []
    assert app.test_client().get("/").status_code == 200
    assert len(pool_threads()) == 2
    wait_for(lambda: state_of(app, job_id)() == JobState.DONE)
    assert recorder.runs == [7]


def test_a_job_committed_by_a_request_wakes_the_idle_pool_at_once(build, recorder):
    app = build(JOB_WORKERS=2, JOB_POLL_SECONDS=60)  # only the wake can make it run soon
    client = app.test_client()
    client.get("/")
    response = client.post("/test-jobs/record/8")
    assert response.status_code == 201
    wait_for(lambda: state_of(app, response.json["job"])() == JobState.DONE)
    assert recorder.runs == [8]


def test_a_job_whose_transaction_rolled_back_is_never_run(build, recorder):
    app = build(JOB_WORKERS=1, JOB_POLL_SECONDS=60)
    client = app.test_client()
    assert client.post("/test-jobs/record/9/rolled-back").status_code == 200
    after = client.post("/test-jobs/record/10").json["job"]
    wait_for(lambda: state_of(app, after)() == JobState.DONE)
    assert recorder.runs == [10]
    assert jobs_of(app, 9) == []


def test_submitting_a_kind_nobody_registered_is_refused(build):
    app = build()
    with app.app_context(), pytest.raises(LookupError, match="no job kind 'nope'"):
        jobs.submit(db.get_session(), "nope", 1)


# Retries and failures.


def test_a_retried_job_waits_queued_with_its_last_reason_until_its_backoff_passes(build):
    app = build(JOB_RETRY_SECONDS=60)
    [job_id] = submit(app, "flaky", 5)
    before = utcnow()
    assert jobs.run_due_jobs(app) == 1
    after = utcnow()
    retried = job(app, job_id)
    assert (retried.state, retried.attempts) == (JobState.QUEUED, 1)
    assert retried.error == "the source answered HTTP 503"
    assert before + timedelta(seconds=60) <= retried.run_after <= after + timedelta(seconds=60)
    assert retried.lease_until is None
    assert jobs.run_due_jobs(app) == 0
    assert jobs.run_job(app, job_id) is False


def test_a_job_submitted_for_later_waits_until_it_is_due(build, recorder):
    app = build()
    [job_id] = submit_later(app, "record", 7, utcnow() + timedelta(hours=1))
    assert jobs.run_due_jobs(app) == 0
    with app.app_context():
        session = db.get_session()
        session.get(Job, job_id).run_after = utcnow()
        session.commit()
    assert jobs.run_due_jobs(app) == 1
    assert recorder.runs == [7]


def test_a_kind_with_its_own_attempts_is_retried_that_many_times(build, recorder):
    app = build(JOB_MAX_ATTEMPTS=2, JOB_RETRY_SECONDS=0.001)
    jobs.init_app(app, {"flaky": jobs.Kind(recorder.flaky, recorder.failed, max_attempts=4)})
    [job_id] = submit(app, "flaky", 9)
    while job(app, job_id).state == JobState.QUEUED:
        wait_for(lambda: job(app, job_id).run_after <= utcnow())
        jobs.run_due_jobs(app)
    assert (job(app, job_id).state, job(app, job_id).attempts) == (JobState.FAILED, 4)
    assert recorder.runs == [9, 9, 9, 9]


def test_each_retry_waits_twice_as_long_as_the_one_before(build, recorder):
    app = build(JOB_WORKERS=1, JOB_MAX_ATTEMPTS=4, JOB_RETRY_SECONDS=0.05, **FAST)
    [job_id] = submit(app, "flaky", 5)
    app.test_client().get("/")
    wait_for(lambda: state_of(app, job_id)() == JobState.FAILED)
    gaps = [later - earlier for earlier, later in pairwise(recorder.run_times)]
    assert len(gaps) == 3
    assert all(gap >= least for gap, least in zip(gaps, [0.05, 0.1, 0.2], strict=True)), gaps


@pytest.mark.parametrize(
    ("kind", "attempts", "reason"),
    [
        ("flaky", 3, "the source answered HTTP 503"),
        ("broken", 1, "an unexpected error stopped the job (RuntimeError)"),
    ],
    ids=["retried-until-the-last-attempt", "unexpected-error-at-once"],
)
def test_a_failing_job_ends_failed_with_its_reason_told_once_to_its_kind(
    build, recorder, kind, attempts, reason
):
    app = build(JOB_WORKERS=1, JOB_MAX_ATTEMPTS=3, JOB_RETRY_SECONDS=0.01, **FAST)
    [job_id] = submit(app, kind, 5)
    app.test_client().get("/")
    wait_for(lambda: state_of(app, job_id)() == JobState.FAILED)
    failed = job(app, job_id)
    assert (failed.attempts, failed.error, failed.lease_until) == (attempts, reason, None)
    assert recorder.runs == [5] * attempts
    assert recorder.failures == [(5, reason)]


# Restarts and several processes on one database.


def leave_queued(app, job_id: int) -> None:
    """The app had no pool running (JOB_WORKERS=0): the job was never picked up."""


def leave_running(app, job_id: int) -> None:
    """The process claimed the job, then died mid-run."""
    with pytest.raises(ProcessDied):
        jobs.run_job(app, job_id)


@pytest.mark.parametrize(
    ("kind", "leave", "left", "attempts"),
    [
        ("record", leave_queued, JobState.QUEUED, 1),
        ("dies-once", leave_running, JobState.RUNNING, 2),
    ],
    ids=["queued-while-no-pool-ran", "running-when-its-process-died"],
)
def test_a_job_interrupted_by_stopping_the_app_is_finished_after_restart(
    build, recorder, kind, leave, left, attempts
):
    stopped = build(JOB_WORKERS=0, JOB_LEASE_SECONDS=0.05)
    [job_id] = submit(stopped, kind, 3)
    leave(stopped, job_id)
    assert job(stopped, job_id).state == left
    jobs.stop(stopped)
    restarted = build(JOB_WORKERS=1, **FAST)
    restarted.test_client().get("/")
    wait_for(lambda: state_of(restarted, job_id)() == JobState.DONE)
    assert job(restarted, job_id).attempts == attempts
    assert recorder.runs == [3] * attempts


def test_two_apps_running_the_same_due_jobs_at_once_run_each_exactly_once(build, recorder):
    first, second = build(), build()
    submit(first, "record", *range(20))
    barrier = threading.Barrier(2)

    def run_all(app) -> int:
        barrier.wait()
        return jobs.run_due_jobs(app)

    with ThreadPoolExecutor(2) as executor:
        counts = list(executor.map(run_all, [first, second]))
    assert sum(counts) == 20
    assert sorted(recorder.runs) == list(range(20))


def test_a_finished_job_is_not_run_again(build, recorder):
    app = build()
    [job_id] = submit(app, "record", 2)
    assert jobs.run_job(app, job_id) is True
    assert jobs.run_job(app, job_id) is False
    assert recorder.runs == [2]


def test_without_redis_the_worker_command_runs_the_due_jobs_from_the_database(build, recorder):
    app = build(JOB_WORKERS=0)
    [job_id] = submit(app, "record", 11)
    result = app.test_cli_runner().invoke(args=["worker", "--burst"])
    assert result.exit_code == 0, result.output
    assert job(app, job_id).state == JobState.DONE
    assert recorder.runs == [11]


# RQ workers (REDIS_URL).


@pytest.fixture
def closed_port_url() -> str:
    """A Redis URL on a port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"


def work_burst(app) -> None:
    result = app.test_cli_runner().invoke(args=["worker", "--burst"])
    assert result.exit_code == 0, result.output


@pytest.mark.redis
@pytest.mark.parametrize(
    "redis_up", [True, False], ids=["enqueued-on-commit", "enqueue-lost-while-redis-was-down"]
)
def test_with_redis_a_worker_process_runs_the_submitted_job(
    build, recorder, rq_queue, closed_port_url, caplog, redis_up
):
    submitting = build(
        REDIS_URL=REDIS_URL if redis_up else closed_port_url, JOB_QUEUE_NAME=rq_queue, JOB_WORKERS=2
    )
    response = submitting.test_client().post("/test-jobs/record/4")
    assert response.status_code == 201  # Redis down or not, the request succeeds
    job_id = response.json["job"]
    assert pool_threads() == []  # with Redis, workers run the jobs
    assert Queue(rq_queue, connection=redis.Redis.from_url(REDIS_URL)).count == int(redis_up)
    worker = build(REDIS_URL=REDIS_URL, JOB_QUEUE_NAME=rq_queue)
    work_burst(worker)
    assert ("1 unfinished job queued again" in caplog.text) is not redis_up
    assert job(worker, job_id).state == JobState.DONE
    assert recorder.runs == [4]


@pytest.mark.redis
def test_with_redis_a_retry_is_scheduled_on_rq_and_run_when_due(build, recorder, rq_queue, caplog):
    app = build(REDIS_URL=REDIS_URL, JOB_QUEUE_NAME=rq_queue, JOB_RETRY_SECONDS=0.05)
    [job_id] = submit(app, "flaky-once", 6)
    work_burst(app)
    assert (job(app, job_id).state, job(app, job_id).attempts) == (JobState.QUEUED, 1)
    scheduled = Queue(rq_queue, connection=redis.Redis.from_url(REDIS_URL)).scheduled_job_registry
    [rq_id] = scheduled.get_job_ids()
    due = scheduled.get_scheduled_time(rq_id)
    wait_for(lambda: utcnow() >= due)  # RQ schedules in whole seconds
    work_burst(app)
    assert "queued again" not in caplog.text  # the retry was on RQ all along
    assert (job(app, job_id).state, job(app, job_id).attempts) == (JobState.DONE, 2)
    assert recorder.runs == [6, 6]


@pytest.mark.redis
def test_with_redis_a_job_for_later_waits_on_rqs_schedule(build, recorder, rq_queue):
    app = build(REDIS_URL=REDIS_URL, JOB_QUEUE_NAME=rq_queue)
    due = utcnow() + timedelta(hours=3)
    [job_id] = submit_later(app, "record", 8, due)
    scheduled = Queue(rq_queue, connection=redis.Redis.from_url(REDIS_URL)).scheduled_job_registry
    [rq_id] = scheduled.get_job_ids()
    assert abs(scheduled.get_scheduled_time(rq_id) - due) < timedelta(seconds=1)
    work_burst(app)
    assert job(app, job_id).state == JobState.QUEUED
    assert recorder.runs == []


def test_the_worker_command_says_so_when_redis_is_unreachable(build, closed_port_url):
    app = build(REDIS_URL=closed_port_url)
    result = app.test_cli_runner().invoke(args=["worker", "--burst"])
    assert result.exit_code == 1
    assert "Error: Redis is unreachable" in result.output
