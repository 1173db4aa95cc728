"""Without REDIS_URL: JOB_WORKERS threads in each serving process work the database
queue."""

import logging
import os
import threading
from collections.abc import Callable

logger = logging.getLogger(__name__)


def work_loop(
    run_next: Callable[[], bool],
    poll_seconds: float,
    stopping: threading.Event,
    wake: threading.Event,
) -> None:
    """Run due jobs until stopped; when none is due, wait to be woken or for the next look."""
    last_trouble = None
    while not stopping.is_set():
        wake.clear()  # before looking: a wake during the look is not lost
        try:
            ran = run_next()
            last_trouble = None
        except Exception as error:  # the database is down, say: keep going, quietly
            if stopping.is_set():
                return
            trouble = f"{type(error).__name__}: {error}".splitlines()[0]
            level = logging.DEBUG if trouble == last_trouble else logging.ERROR
            logger.log(level, "Job worker: %s; looking again in %gs", trouble, poll_seconds)
            last_trouble, ran = trouble, False
        if not ran:
            wake.wait(poll_seconds)


class Pool:
    """JOB_WORKERS daemon threads working the database queue in one process; each calls
    run_next() (run one due job: True, or False when none is left) until stopped."""

    def __init__(self, settings, run_next: Callable[[], bool]) -> None:
        self.run_next = run_next
        self.settings = settings
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._threads: list[threading.Thread] = []
        self._wake = threading.Event()
        self._stopping = threading.Event()

    def start_in_this_process(self) -> None:
        """Start the threads, once per process: a forked child starts its own (SPEC §3
        (Linkbacks): the pool starts lazily in each serving process, never before gunicorn
        forks)."""
        if self._pid == os.getpid() or self._stopping.is_set():
            return
        with self._lock:
            if self._pid == os.getpid() or self._stopping.is_set():
                return
            self._pid = os.getpid()
            self._threads = [
                threading.Thread(
                    target=work_loop,
                    args=(self.run_next, self.settings.poll_seconds, self._stopping, self._wake),
                    name=f"moderation-jobs-{number}",
                    daemon=True,
                )
                for number in range(1, self.settings.workers + 1)
            ]
            for thread in self._threads:
                thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        for thread in self._threads:
            if thread.is_alive() and thread is not threading.current_thread():
                thread.join()
