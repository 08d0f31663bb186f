"""The foundation: health, readiness against real servers, the error shape, OpenAPI, the worker."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from app import create_app
from app.queue import JobQueue
from app.storage import ObjectStore
from scripts.services import EmbeddedServices

ROOT = Path(__file__).resolve().parent.parent


def test_healthz_and_readyz_ok(client):
    assert client.get("/healthz").json == {"status": "ok"}
    resp = client.get("/readyz")
    assert resp.status_code == 200
    assert resp.json["checks"] == {"mongodb": "ok", "s3": "ok", "redis": "ok"}


def test_openapi_and_docs_page_served(client):
    spec = client.get("/openapi.json")
    assert spec.status_code == 200
    assert spec.json["info"]["title"].startswith("Doorstep")
    docs = client.get("/docs")
    assert docs.status_code == 200 and b"swagger-ui" in docs.data.lower()
    assert client.get("/docs-assets/swagger-ui-bundle.js").status_code == 200


def test_unknown_path_uses_error_shape(client):
    resp = client.get("/no-such-thing")
    assert resp.status_code == 404
    assert set(resp.json) >= {"code", "status", "message"} and resp.json["code"] == 404


@pytest.fixture(scope="module")
def own_servers():
    """A private set of servers this module may stop and restart without disturbing other tests."""
    services = EmbeddedServices(Path(tempfile.mkdtemp(prefix="doorstep-ready-")))
    env = services.start()
    yield services, env
    services.stop()


@pytest.mark.parametrize("down", ["mongodb", "s3", "redis"])
def test_readyz_names_the_server_that_is_down(own_servers, config, down):
    services, env = own_servers
    cfg = type(config)(
        **{
            **config.__dict__,
            "MONGODB_URI": env["MONGODB_URI"],
            "S3_ENDPOINT_URL": env["S3_ENDPOINT_URL"],
            "REDIS_URL": env["REDIS_URL"],
            "S3_ACCESS_KEY": env["S3_ACCESS_KEY"],
            "S3_SECRET_KEY": env["S3_SECRET_KEY"],
        }
    )
    store = ObjectStore.from_config(cfg)
    store.ensure_bucket()
    app = create_app(cfg, store=store, queue=JobQueue.from_url(cfg.REDIS_URL))
    client = app.test_client()
    try:
        assert client.get("/readyz").status_code == 200
        services.servers[down].stop()
        resp = client.get("/readyz")
        assert resp.status_code == 503
        assert resp.json["errors"]["down"] == [down]
        assert down in resp.json["message"]
    finally:
        services.restart(down)
        # reconnect the shared test app's default connection (create_app rebinds mongoengine)
        create_app(config)
    assert client.get("/readyz").status_code == 200


def test_wrong_s3_keys_are_refused(config):
    bad = ObjectStore(config.S3_ENDPOINT_URL, config.S3_BUCKET, config.S3_ACCESS_KEY, "wrong-secret")
    with pytest.raises(Exception, match=r"403|AccessDenied|SignatureDoesNotMatch|Forbidden"):
        bad.ping()


def test_job_round_trip_through_real_worker(app, queue, run_worker):
    job = queue.enqueue("workers.jobs.heartbeat", "tok-1")
    worker = run_worker()
    job.refresh()
    assert job.get_status() == "finished", job.exc_info
    assert job.return_value() == {"token": "tok-1", "bucket": app.extensions["store"].bucket}
    assert job.worker_name == worker.name


def test_ruff_is_clean():
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "."], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
