"""Background jobs: Celery with Redis when ``LMS_CELERY_BROKER_URL`` is set, otherwise a runner
thread inside the web process. Jobs take ids, never objects, and are enqueued only after the
request has committed; the database, not the queue, holds what must not be lost.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

from celery import Celery, Task
from flask import Flask, current_app

from lms.extensions import db

logger = logging.getLogger(__name__)

#: Jobs by name: what a Celery message or the in-process queue refers to.
JOBS: dict[str, Callable[..., Any]] = {}


def job(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a function as a background job under ``name``."""

    def register(function: Callable[..., Any]) -> Callable[..., Any]:
        JOBS[name] = function
        return function

    return register


def enqueue(name: str, *args: Any) -> None:
    """Run job ``name`` with ``args`` in the background (after the caller has committed)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if app.config["JOBS_EAGER"]:
        _run_here(name, args)
    elif app.config["CELERY_BROKER_URL"]:
        app.extensions["celery"].send_task(name, args=list(args))
    else:
        _runner(app).put((name, args))


def _run(app: Flask, name: str, args: tuple[Any, ...]) -> None:
    with app.app_context():
        _run_here(name, args)


def _run_here(name: str, args: tuple[Any, ...]) -> None:
    """Run a job in the current app context (its own commits end the caller's transaction,
    which the caller has committed before enqueueing anyway)."""
    try:
        JOBS[name](*args)
    except Exception:
        logger.exception("job %s%r failed", name, args)


# --- in-process runner: one thread per web process, one job at a time ------------------------

_runners: dict[int, queue.Queue[tuple[str, tuple[Any, ...]]]] = {}
_runners_lock = threading.Lock()


def _runner(app: Flask) -> queue.Queue[tuple[str, tuple[Any, ...]]]:
    with _runners_lock:
        if id(app) not in _runners:
            jobs: queue.Queue[tuple[str, tuple[Any, ...]]] = queue.Queue()
            thread = threading.Thread(
                target=_work, args=(app, jobs), name="lms-jobs", daemon=True
            )
            _runners[id(app)] = jobs
            thread.start()
        return _runners[id(app)]


_STOP = ("", ())


def _work(app: Flask, jobs: queue.Queue[tuple[str, tuple[Any, ...]]]) -> None:
    while True:
        name, args = jobs.get()
        if (name, args) == _STOP:
            return
        _run(app, name, args)
        jobs.task_done()


def start_runner(app: Flask) -> None:
    """Start this process's runner and its sweeper."""
    _runner(app)
    _sweepers[id(app)] = start_sweeper(app, lambda name, args: _runner(app).put((name, args)))


def stop_runner(app: Flask) -> None:
    """Stop this process's runner (after the job at hand) and its sweeper."""
    with _runners_lock:
        jobs = _runners.pop(id(app), None)
    if jobs is not None:
        jobs.put(_STOP)
    stop = _sweepers.pop(id(app), None)
    if stop is not None:
        stop.set()


_sweepers: dict[int, threading.Event] = {}


# --- recovery: the database says what is unfinished; a sweeper sends it again ----------------

#: Functions listing (job name, args) of unfinished work; True asks for everything left (when a
#: worker starts), False only for work whose worker has died (every sweep).
RECOVERERS: list[Callable[[bool], list[tuple[str, tuple[Any, ...]]]]] = []


def recoverable(include_queued: bool) -> list[tuple[str, tuple[Any, ...]]]:
    return [item for find in RECOVERERS for item in find(include_queued)]


def start_sweeper(
    app: Flask, send: Callable[[str, tuple[Any, ...]], None]
) -> threading.Event:
    """Send unfinished work now, then every half of ``JOB_STALE_SECONDS`` send the work of dead
    workers again (a daemon thread: one per worker or web process). Setting the returned event
    stops it."""
    every = max(1.0, app.config["JOB_STALE_SECONDS"] / 2)
    stop = threading.Event()

    def sweep(include_queued: bool) -> None:
        with app.app_context():
            try:
                for name, args in recoverable(include_queued):
                    send(name, args)
            except Exception:  # a database hiccup must not end the sweeper
                logger.exception("sweeping for unfinished jobs failed")
            finally:
                db.session.remove()

    def loop() -> None:
        sweep(include_queued=True)
        while not stop.wait(every):
            sweep(include_queued=False)

    threading.Thread(target=loop, name="lms-job-sweeper", daemon=True).start()
    return stop


# --- Celery ----------------------------------------------------------------------------------


def init_celery(app: Flask) -> Celery:
    """A Celery app whose tasks run inside this Flask app's context."""

    class FlaskTask(Task):
        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            with app.app_context():
                return self.run(*args, **kwargs)

    celery = Celery(app.name, task_cls=FlaskTask)
    celery.conf.update(
        broker_url=app.config["CELERY_BROKER_URL"],
        task_ignore_result=True,
        # A job is acknowledged only when done: a worker killed mid-job leaves it to another.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_transport_options={"visibility_timeout": app.config["CELERY_VISIBILITY_TIMEOUT"]},
        broker_connection_retry_on_startup=True,
    )
    for name, function in JOBS.items():
        celery.task(name=name, bind=False)(function)
    app.extensions["celery"] = celery
    return celery


def init_app(app: Flask) -> None:
    """Use Celery if a broker is configured; otherwise start the in-process runner with the
    first request this process serves."""
    if app.config["CELERY_BROKER_URL"]:
        celery = init_celery(app)
        from celery.signals import worker_ready

        @worker_ready.connect(weak=False)
        def recover(**_: Any) -> None:
            start_sweeper(app, lambda name, args: celery.send_task(name, args=list(args)))

        return
    if app.config["JOBS_EAGER"]:
        return
    started = threading.Event()

    @app.before_request
    def start_once() -> None:
        if not started.is_set():
            started.set()
            start_runner(app)
