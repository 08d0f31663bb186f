"""Test harness: real embedded servers for the session, a clean database and Redis per test."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import uuid
from pathlib import Path

import pytest
from mongoengine.connection import get_db

from app import create_app
from app.campaigns.schedule import RUNNING
from app.config import Config
from app.documents import ALL_DOCUMENTS
from devkit.servers import EmbeddedServices
from workers.runtime import build_worker

BIG = 1000  # documents in a collection past which the per-test clean-up drops it


@pytest.fixture(scope="session")
def servers():
    """MongoDB-wire, S3 and Redis started from their pip packages, with throwaway data."""
    run_dir = Path(tempfile.mkdtemp(prefix="doorstep-test-"))
    services = EmbeddedServices(run_dir)
    env = services.start()
    yield services, env
    services.stop()
    shutil.rmtree(run_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def config(servers) -> Config:
    _, env = servers
    worker_id = os.environ.get("PYTEST_XDIST_WORKER", "main")
    cfg = Config(**{k: v for k, v in env.items() if k in Config.__dataclass_fields__})
    cfg.MONGODB_URI = env["MONGODB_URI"].replace("/doorstep?", f"/doorstep_test_{worker_id}?")
    cfg.SECRET_KEY = "test-secret-" + uuid.uuid4().hex
    cfg.QUEUE_PREFIX = f"test-{worker_id}"
    cfg.TESTING = True
    cfg.PASSWORD_HASH_PROFILE = "fast"
    cfg.USER_CACHE_SECONDS = 0  # tests change users and expect the next request to see it
    cfg.JOB_RETRY_INTERVALS = "0,0"  # retries run at once in burst-mode test workers
    return cfg


class RequestTracebacks(logging.Handler):
    """Keeps what Flask logs when a request ends in an unhandled exception (a 500 with a traceback)."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info:
            self.records.append(record)


@pytest.fixture(scope="session")
def request_tracebacks(session_app) -> RequestTracebacks:
    handler = RequestTracebacks()
    session_app.logger.addHandler(handler)
    return handler


@pytest.fixture(autouse=True)
def no_request_traceback(request):
    """Fail any test during which the API logged a traceback from a request, as production would log it."""
    if "session_app" not in request.fixturenames:  # a test without the app starts no servers for this
        yield
        return
    tracebacks = request.getfixturevalue("request_tracebacks")
    tracebacks.records.clear()
    yield
    if tracebacks.records:
        first = tracebacks.records[0]
        pytest.fail(
            f"the API logged {len(tracebacks.records)} unhandled exception(s): {first.getMessage()}\n"
            + logging.Formatter().formatException(first.exc_info),
            pytrace=False,
        )


@pytest.fixture(scope="session")
def session_app(config):
    app = create_app(config)
    app.config["TESTING"] = True
    # as in production: an unhandled exception is logged and answered 500, not raised into the test
    app.config["PROPAGATE_EXCEPTIONS"] = False
    with app.app_context():
        app.extensions["store"].ensure_bucket()
    return app


@pytest.fixture(scope="session")
def empty_data(session_app):
    """A function that empties the database (indexes kept) and the queues."""

    def empty() -> None:
        db = get_db()
        documents = {d._get_collection_name(): d for d in ALL_DOCUMENTS}
        for name in db.list_collection_names():
            if db[name].estimated_document_count() > BIG and name in documents:
                # deleting thousands of documents one by one is slow on the embedded server: drop the
                # collection and create its indexes again instead
                db.drop_collection(name)
                documents[name].ensure_indexes()
            else:
                db[name].delete_many({})
        session_app.extensions["queue"].connection.flushdb()
        RUNNING.forget()  # the per-process cache of running campaigns, emptied with the database

    return empty


@pytest.fixture
def app(session_app, empty_data):
    """The app with an empty database (indexes kept) and empty queues."""
    empty_data()
    with session_app.app_context():
        yield session_app


@pytest.fixture(scope="session")
def web_app(config, session_app):
    """A second app on the same servers whose requests each get their own app context, as in production
    (requests to `app` share the context the fixture pushed, and with it `g`): for session-based tests."""
    return create_app(config)


@pytest.fixture
def web(app, web_app):
    """A browser-like client (cookies, one app context per request) with an empty database."""
    return web_app.test_client()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def store(app):
    return app.extensions["store"]


@pytest.fixture
def queue(app):
    return app.extensions["queue"]


@pytest.fixture
def run_worker(app):
    """Run the real rq worker in burst mode until the queues are empty; returns it for inspection."""

    def _run():
        worker = build_worker(app, simple=True, name=f"test-{uuid.uuid4().hex[:8]}")
        worker.work(burst=True, with_scheduler=False, logging_level="WARNING")
        return worker

    return _run
