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

logger = logging.getLogger(__name__)

#: Jobs by name: what a Celery message or the in-process queue refers to.
JOBS: dict[str, Callable[..., Any]] = {}


def job(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a function as a background job under ``name``."""

    def register(function: Callable[..., Any]) -> Callable[..., Any]:
        JOBS[name] = function
        return function

    return register


def enqueue(name: str, *args: Any, delay: float = 0) -> None:
    """Run job ``name`` with ``args`` in the background (after the caller has committed), no
    sooner than ``delay`` seconds from now."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if app.config["JOBS_EAGER"] and not delay:
        _run_here(name, args)
    elif app.config["CELERY_BROKER_URL"]:
        app.extensions["celery"].send_task(name, args=list(args), countdown=delay or None)
    elif delay:
        timer = threading.Timer(delay, lambda: _runner(app).put((name, args)))
        timer.daemon = True
        timer.start()
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


def _work(app: Flask, jobs: queue.Queue[tuple[str, tuple[Any, ...]]]) -> None:
    while True:
        name, args = jobs.get()
        _run(app, name, args)
        jobs.task_done()


def start_runner(app: Flask) -> None:
    """Start this process's runner and hand it the jobs a dead process left unfinished."""
    _runner(app)
    with app.app_context():
        for name, args, delay in recoverable():
            enqueue(name, *args, delay=delay)


#: Functions that list (job name, args, delay) of work the database says is unfinished.
RECOVERERS: list[Callable[[], list[tuple[str, tuple[Any, ...], float]]]] = []


def recoverable() -> list[tuple[str, tuple[Any, ...], float]]:
    return [item for find in RECOVERERS for item in find()]


# --- Celery ----------------------------------------------------------------------------------


def init_celery(app: Flask) -> Celery:
    """A Celery app whose tasks run inside this Flask app's context."""

    class FlaskTask(Task):  # type: ignore[misc]
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
            with app.app_context():
                for name, args, delay in recoverable():
                    celery.send_task(name, args=list(args), countdown=delay or None)
        return
    if app.config["JOBS_EAGER"]:
        return
    started = threading.Event()

    @app.before_request
    def start_once() -> None:
        if not started.is_set():
            started.set()
            start_runner(app)
