"""A throwaway Doorstep for drills and benchmarks: embedded servers, the app, a real gunicorn API and
real `python -m workers` processes, a seeded synthetic county, and a small stdlib HTTP client.

    with Stack("drill") as stack:          # servers + app + indexes + bucket, all under a temp dir
        api = stack.start_api()            # gunicorn on a free loopback port
        county = seed_county(stack.app, households_per_village=4)
        ...
    # every child process is stopped by PID, then the servers, then the temp dir is removed

Children are stopped on normal exit, on exceptions, on Ctrl-C and (after `stop_on_sigterm()`) on SIGTERM.
Set DOORSTEP_KEEP_RUN_DIR=1 to keep the temp dir (server, API and worker logs) for a post-mortem.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import http.client
import json
import os
import random
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask

from app import create_app, db
from app.config import Config
from app.documents import ALL_DOCUMENTS
from app.visits.models import Attachment, Visit
from devkit.answers import VISIT_START
from devkit.generate import DEMO_PASSWORD, SLOTS, build_areas, build_households, build_users
from devkit.imagegen import make_photo, make_signature
from devkit.servers import BIN, EmbeddedServices, free_port

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = DEMO_PASSWORD  # every seeded user has it
PHOTO_SLOTS = [s for s, k in SLOTS.items() if k == "photo"]
SIGNATURE_SLOTS = [s for s, k in SLOTS.items() if k == "signature"]


def stop_on_sigterm() -> None:
    """Turn SIGTERM into KeyboardInterrupt so `finally` blocks stop every child and server."""

    def _raise(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, _raise)


def stop_process(proc: subprocess.Popen, timeout: float = 15) -> None:
    """SIGTERM the child's process group, wait, then SIGKILL: nothing is left behind."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)


def _typed(config: Config, name: str, value: str):
    current = getattr(config, name)
    return type(current)(value) if isinstance(current, int | float) else value


@dataclass
class Api:
    proc: subprocess.Popen
    base: str
    log: Path

    @property
    def port(self) -> int:
        return urlsplit(self.base).port


class Stack:
    """Embedded servers + app + child processes under one temp dir; a context manager that cleans up."""

    def __init__(
        self,
        name: str,
        *,
        env: dict[str, str] | None = None,
        keep: bool | None = None,
        mongo_flags: tuple[str, ...] = (),
    ):
        self.name = name
        self.extra_env = dict(env or {})
        self.keep = bool(os.environ.get("DOORSTEP_KEEP_RUN_DIR")) if keep is None else keep
        self.run_dir = Path(tempfile.mkdtemp(prefix=f"doorstep-{name}-"))
        self.services = EmbeddedServices(self.run_dir, mongo_flags=mongo_flags)
        self.children: list[subprocess.Popen] = []
        self.env: dict[str, str] = {}
        self.config: Config | None = None
        self.app: Flask | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    def __enter__(self) -> Stack:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> None:
        served = self.services.start()
        self.env = {
            **os.environ,
            **served,
            "SECRET_KEY": "drill-" + uuid.uuid4().hex,
            "PASSWORD_HASH_PROFILE": "fast",
            **self.extra_env,
        }
        config = Config(**{k: v for k, v in served.items() if k in Config.__dataclass_fields__})
        for key, value in self.env.items():
            if key in Config.__dataclass_fields__ and key not in served:
                setattr(config, key, _typed(config, key, value))
        self.config = config
        self.app = create_app(config)
        with self.app.app_context():
            self.app.extensions["store"].ensure_bucket()
            db.ensure_indexes([*ALL_DOCUMENTS, Visit, Attachment])

    def stop(self) -> None:
        for child in reversed(self.children):
            stop_process(child)
        self.children.clear()
        self.services.stop()
        if self.keep:
            print(f"kept {self.run_dir}", flush=True)
        else:
            shutil.rmtree(self.run_dir, ignore_errors=True)

    # -- child processes ---------------------------------------------------------------------
    def spawn(self, argv: list[str], log_name: str, env: dict[str, str] | None = None) -> subprocess.Popen:
        log = self.run_dir / "logs" / log_name
        out = open(log, "ab")  # noqa: SIM115 - kept open for the child's lifetime
        proc = subprocess.Popen(
            argv,
            env={**self.env, **(env or {})},
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.children.append(proc)
        return proc

    def start_api(self, *, workers: int = 2, threads: int = 4, timeout: float = 60) -> Api:
        """gunicorn serving `app:create_app()` with this stack's environment, once /healthz answers."""
        port = free_port()
        log = "api.log"
        proc = self.spawn(
            [
                str(BIN / "gunicorn"),
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                "--threads",
                str(threads),
                "--timeout",
                "120",
                "--graceful-timeout",
                "10",
                "app:create_app()",
            ],
            log,
        )
        api = Api(proc, f"http://127.0.0.1:{port}", self.run_dir / "logs" / log)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({proc.returncode}); see {api.log}")
            with contextlib.suppress(OSError, http.client.HTTPException):
                if Http(api.base, timeout=2).request("GET", "/healthz").status == 200:
                    return api
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn not answering after {timeout}s; see {api.log}")

    def start_worker(
        self, log_name: str = "worker.log", *, burst: bool = False, fork: bool = False
    ) -> subprocess.Popen:
        """A real rq worker process (`python -m workers`), as deployed; `fork`: a work horse per job."""
        flags = (["--burst"] if burst else []) + (["--fork"] if fork else [])
        return self.spawn([str(BIN / "python"), "-m", "workers", *flags], log_name)

    def log_text(self, log_name: str) -> str:
        path = self.run_dir / "logs" / log_name
        return path.read_text(errors="replace") if path.exists() else ""


# -- data ------------------------------------------------------------------------------------
@dataclass
class County:
    households: list
    helpers: dict  # village code -> cadre User
    logins: dict  # role -> User
    villages: list[str]
    county_code: str


def seed_county(
    app: Flask, *, seed: int = 7, towns: int = 2, villages_per_town: int = 2, households_per_village: int = 4
) -> County:
    """Areas, one cadre per village, a verifier per town, a supervisor, an admin, and households."""
    rng = random.Random(seed)
    with app.app_context():
        county = build_areas(rng, towns, villages_per_town)
        logins, helpers = build_users(county)
        households = build_households(rng, county, households_per_village, helpers)
    return County(households, helpers, logins, county.villages, county.towns[0][:6].ljust(12, "0"))


def evidence(household, seed: int, *, size: tuple[int, int] = (1600, 1200)) -> dict[str, bytes]:
    """Four real JPEG photos (EXIF time and GPS at the household; ~340 KB at 1600x1200) and four PNG
    signatures, distinct per seed so the duplicate checks find nothing."""
    taken = VISIT_START + timedelta(minutes=10)
    files = {}
    for i, slot in enumerate(PHOTO_SLOTS):
        files[slot] = make_photo(
            seed * 100 + i, width=size[0], height=size[1], taken_at=taken, gps=(household.lat, household.lon)
        )
    for i, slot in enumerate(SIGNATURE_SLOTS):
        files[slot] = make_signature(seed * 100 + 50 + i)
    return files


def upload_headers(body: bytes) -> dict[str, str]:
    return {
        "Content-Type": "image/png" if body[:4] == b"\x89PNG" else "image/jpeg",
        "Content-MD5": base64.b64encode(hashlib.md5(body).digest()).decode(),
    }


# -- HTTP ------------------------------------------------------------------------------------
@dataclass
class Response:
    status: int
    body: bytes
    seconds: float

    def json(self) -> dict:
        try:
            return json.loads(self.body or b"null") or {}
        except ValueError:
            return {"raw": self.body[:200].decode(errors="replace")}


class Http:
    """One keep-alive connection (use one per thread); reconnects after any connection error."""

    def __init__(self, base: str, *, timeout: float = 60):
        parts = urlsplit(base)
        self.host, self.port, self.timeout = parts.hostname, parts.port, timeout
        self.conn: http.client.HTTPConnection | None = None

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: dict | None = None,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        headers = dict(headers or {})
        if json_body is not None:
            body = json.dumps(json_body).encode()
            headers["Content-Type"] = "application/json"
        reused = self.conn is not None
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        started = time.perf_counter()
        try:
            self.conn.request(method, path, body=body, headers=headers)
            resp = self.conn.getresponse()
            data = resp.read()
        except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
            self.close()
            if not reused:
                raise
            # the server closed an idle keep-alive connection: once more on a fresh one (the API is
            # idempotent, so even a POST that did arrive is safe to send again)
            return self.request(method, path, body=body, headers=headers)
        except (OSError, http.client.HTTPException):
            self.close()
            raise
        if resp.getheader("Connection", "").lower() == "close":
            self.close()
        return Response(resp.status, data, time.perf_counter() - started)

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def login(base: str, username: str, password: str = PASSWORD) -> dict[str, str]:
    resp = Http(base).request(
        "POST", "/api/v1/auth/token", json_body={"username": username, "password": password}
    )
    if resp.status != 200:
        raise RuntimeError(f"login {username}: {resp.status} {resp.json()}")
    return {"Authorization": f"Bearer {resp.json()['access_token']}"}


# -- process memory --------------------------------------------------------------------------
def _children_of() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fp:
                ppid = int(fp.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        tree.setdefault(ppid, []).append(int(entry))
    return tree


def descendants(pid: int) -> list[int]:
    """Every process below `pid`, children first found (rq's work horse sits in its own process group,
    so killing the worker's group does not reach it)."""
    tree, found, todo = _children_of(), [], [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def kill_tree(pid: int) -> list[int]:
    """SIGKILL a process and everything below it, as a machine crash would; returns the PIDs killed."""
    victims = [*reversed(descendants(pid)), pid]
    for victim in victims:
        with contextlib.suppress(ProcessLookupError):
            os.kill(victim, signal.SIGKILL)
    return victims


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process so far (0 if it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as fp:
            fields = fp.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree_cpu(pid: int) -> float:
    """CPU seconds used so far by a process and its living descendants (gunicorn master + workers)."""
    return sum(cpu_seconds(p) for p in [pid, *descendants(pid)])


def rss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as fp:
            for line in fp:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def tree_rss(pid: int) -> int:
    """RSS of a process and all its descendants (gunicorn master + workers), in bytes."""
    tree, total, todo = _children_of(), 0, [pid]
    while todo:
        current = todo.pop()
        total += rss_bytes(current)
        todo += tree.get(current, [])
    return total


class PeakRss:
    """Samples the RSS of process trees every `interval` seconds in a thread; `.peak[name]` in bytes."""

    def __init__(self, pids: dict[str, int], interval: float = 0.2):
        self.pids, self.interval = pids, interval
        self.peak = dict.fromkeys(pids, 0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            for name, pid in self.pids.items():
                self.peak[name] = max(self.peak[name], tree_rss(pid))
            self._stop.wait(self.interval)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def verdict(failures: list[str], success: str) -> int:
    """Print the drill's one closing line and return its exit code."""
    if failures:
        print("FAIL: " + "; ".join(failures), flush=True)
        return 1
    print("PASS: " + success, flush=True)
    return 0
