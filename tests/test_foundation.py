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
from devkit.servers import EmbeddedServices

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
    job = queue.enqueue("workers.heartbeat.heartbeat", "tok-1")
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


def test_run_command_brings_everything_up_and_leaves_nothing_behind(tmp_path):
    """`scripts/run.sh` minus the install step: servers, API, worker, sweeper and demo data, then Ctrl-C."""
    import json
    import os
    import signal
    import time
    import urllib.request

    from devkit.servers import free_port

    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "scripts.devstack",
            "--data-dir",
            str(tmp_path / "dev"),
            "--port",
            str(port),
            "--demo-visits",
            "1",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PASSWORD_HASH_PROFILE": "fast"},
        start_new_session=True,
    )
    lines = []
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            lines.append(line)
            if "Ctrl-C stops everything" in line or proc.poll() is not None:
                break
        output = "".join(lines)
        assert "Ctrl-C stops everything" in output, output
        info = json.loads(next(line for line in lines if line.startswith("{")))
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=10) as resp:
            assert resp.status == 200
        assert "supervisor" in output and "county_supervisor" in output
        token = json.dumps({"username": "county_supervisor", "password": "doorstep-demo-1"}).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/v1/auth/token",
            data=token,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as resp:
            assert json.loads(resp.read())["user"]["role"] == "supervisor"
        with urllib.request.urlopen(info["console"] + "login", timeout=10) as resp:  # the web console
            assert resp.status == 200 and "登录" in resp.read().decode()
        server_pids = [int(p) for p in _pids_under(tmp_path / "dev")]
        assert len(server_pids) >= 3
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        rest = proc.communicate(timeout=120)[0]
    assert proc.returncode == 0, rest
    assert "stopped:" in rest
    time.sleep(0.5)
    for pid in [*info["pids"], *server_pids]:
        assert not _alive(pid), f"process {pid} still running"


def _pids_under(folder: Path) -> list[str]:
    """PIDs of processes whose command line names `folder` (the embedded servers' data dirs)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if str(folder) in cmdline:
                found.append(entry.name)
    return found


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "State:\tZ" not in status
