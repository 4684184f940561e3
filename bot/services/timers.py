"""Timers: APScheduler's BackgroundScheduler behind a small interface; the only module that imports it.

One date job per post (its id is the post's key), one interval job that watches files. A finished job is
reported to the daemon's callbacks after the executor has counted the run out, so the post's next timer,
added from the callback, never collides with the run that created it (nor is deleted with it).
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import json
import threading
import time
from collections.abc import Callable
from datetime import datetime, tzinfo
from typing import Any

Key = tuple[str, str]  # (post id, account)
PROMPT_POLL = 0.2  # seconds before a prompt the check did not take is tried again


def _job_id(key: Key) -> str:
    return json.dumps(["post", *key])


def _key_of(job_id: str) -> Key | None:
    try:
        parts = json.loads(job_id)
    except ValueError:
        return None
    if isinstance(parts, list) and len(parts) == 3 and parts[0] == "post":
        return (str(parts[1]), str(parts[2]))
    return None


PRESTART = 64  # the posts' worker threads started at once (more start on demand)


def _started_pool(workers: int, started: int) -> concurrent.futures.ThreadPoolExecutor:
    """A pool of `workers` threads, `started` of them running already: a thread started at a post's time waits for
    the interpreter lock among the posts already running (issue 22: fifty posts due at one instant spent up to
    100 ms being handed to their threads). Each first task waits for the others, so each gets a thread of its own."""
    pool = concurrent.futures.ThreadPoolExecutor(workers, thread_name_prefix="post")
    together = threading.Barrier(max(started, 1))

    def meet() -> None:
        with contextlib.suppress(threading.BrokenBarrierError):
            together.wait(timeout=10)

    for _ in range(started):
        pool.submit(meet)
    return pool


class Timers:
    """Start it, add and remove post timers, and hear how each run ended through the callbacks."""

    def __init__(
        self,
        timezone: tzinfo,
        workers: int,
        *,
        finished: Callable[[Key, Any], None],
        failed: Callable[[Key, BaseException], None],
        already_running: Callable[[Key], None],
        watch_failed: Callable[[BaseException], None],
    ) -> None:
        from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MAX_INSTANCES
        from apscheduler.executors.pool import BasePoolExecutor, ThreadPoolExecutor
        from apscheduler.schedulers.background import BackgroundScheduler

        class Started(BasePoolExecutor):  # type: ignore[misc]  # (untyped library)
            def __init__(self, pool: concurrent.futures.ThreadPoolExecutor) -> None:
                super().__init__(pool)

        self._finished, self._failed = finished, failed
        self._already_running, self._watch_failed = already_running, watch_failed
        self._scheduler = BackgroundScheduler(
            timezone=timezone,
            executors={
                "default": Started(_started_pool(workers, min(workers, PRESTART))),
                "watch": ThreadPoolExecutor(1),
                "side": ThreadPoolExecutor(2),  # pre-flight checks: never in the posts' or the watcher's way
            },
            # One run of a post at a time; lateness is judged by the daemon against --catch-up when the job
            # runs, so APScheduler itself never drops a late run (its default grace is 1 second).
            job_defaults={"max_instances": 1, "coalesce": True, "misfire_grace_time": None},
        )
        self._scheduler.add_listener(self._on_event, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MAX_INSTANCES)
        self._watching = threading.Lock()  # the watch's check: at its tick or prompted, one at a time

    def start(self, first: Callable[[], None] = lambda: None) -> None:
        """Start, with `first()` (e.g. adding every post's timer) run while the scheduler is paused: a timer
        added to a running scheduler wakes its thread, 5,000 wake-ups fighting the adding thread for the lock."""
        self._scheduler.start(paused=True)
        try:
            first()
        finally:
            self._scheduler.resume()

    def watch(self, check: Callable[[], None], seconds: float, prompt: threading.Event | None = None) -> None:
        """`check()` every `seconds`; with `prompt`, also as soon as it is set (SIGHUP asks for a reload), not up to
        `seconds` later at the next tick. `check` clears `prompt` when it takes it; it never runs twice at once."""

        def run() -> None:
            with self._watching:
                check()

        name = getattr(check, "__qualname__", "watch")  # as APScheduler's log lines name it
        self._scheduler.add_job(
            run, "interval", seconds=seconds, id="watch", name=name, executor="watch", max_instances=1
        )
        if prompt is not None:  # the thread ends within `seconds` of the shutdown
            threading.Thread(target=self._prompted, args=(prompt, seconds, run), name="prompt", daemon=True).start()

    def _prompted(self, prompt: threading.Event, seconds: float, run: Callable[[], None]) -> None:
        while self._scheduler.running:
            if not prompt.wait(seconds):
                continue
            try:
                run()
            except Exception as error:  # reported as the scheduled check's failures are
                self._watch_failed(error)
            if prompt.is_set():  # not taken (a stop was asked): look again later, do not spin
                time.sleep(PROMPT_POLL)

    def add(self, key: Key, at: datetime, run: Callable[[Key], Any]) -> None:
        """Run `run(key)` at `at`, replacing the post's timer if it has one (and leaving it be if it is that one: a
        reload re-decides every post, and replacing 5,000 unchanged timers was half of its CPU time)."""
        job = self._scheduler.get_job(_job_id(key))
        if job is not None and getattr(job, "next_run_time", None) == at and job.func == run:
            return
        self._scheduler.add_job(
            run, "date", run_date=at, args=[key], id=_job_id(key), name=f"{key[0]}/{key[1]}", replace_existing=True
        )

    def remove(self, key: Key) -> None:
        if self._scheduler.get_job(_job_id(key)) is not None:
            self._scheduler.remove_job(_job_id(key))

    def once(self, name: str, at: datetime, run: Callable[[], Any]) -> None:
        """A side job (not a post's): `run()` at `at` on its own executor, replacing the one of that name."""
        self._scheduler.add_job(run, "date", run_date=at, id=json.dumps(["side", name]), executor="side",
                                replace_existing=True)  # fmt: skip

    def cancel(self, name: str) -> None:
        if self._scheduler.get_job(json.dumps(["side", name])) is not None:
            self._scheduler.remove_job(json.dumps(["side", name]))

    def alive(self) -> bool:
        """The scheduler's thread is running (for the heartbeat and systemd's watchdog)."""
        thread = getattr(self._scheduler, "_thread", None)
        return bool(self._scheduler.running and thread is not None and thread.is_alive())

    def shutdown(self) -> None:
        """Wait for the runs in flight; start nothing new."""
        if self._scheduler.running:
            self._scheduler.shutdown(wait=True)
        with self._watching:  # a prompted check in flight finishes too
            pass

    def _on_event(self, event: Any) -> None:
        from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MAX_INSTANCES

        key = _key_of(event.job_id)
        if key is None:
            if event.code == EVENT_JOB_ERROR:
                self._watch_failed(event.exception)
            return
        if event.code == EVENT_JOB_MAX_INSTANCES:
            self._already_running(key)
            return
        if threading.current_thread() is getattr(self._scheduler, "_thread", None):
            # The run ended before APScheduler attached its completion callback (a "busy" run returns at once),
            # so this is called from inside the scheduler's job loop, which then deletes the finished date job
            # by its id: a next timer added here under that id would be deleted too, and the post never run.
            # Hand over to a thread that waits for the loop to let go of the job store.
            threading.Thread(target=self._on_event, args=(event,), name="after-job", daemon=True).start()
            return
        if event.code == EVENT_JOB_ERROR:
            self._failed(key, event.exception)
        else:
            self._finished(key, event.retval)
