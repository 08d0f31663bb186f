"""`scripts/run.sh`: embedded servers + API + worker + sweeper + demo data, stopped together on Ctrl-C.

Data lives under var/dev (or --data-dir) and is reused by the next run.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from devkit.servers import BIN, EmbeddedServices

ROOT = Path(__file__).resolve().parent.parent


def _wait_http(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer 200 within {timeout}s")


def _spawn(argv: list[str], env: dict, log: Path) -> subprocess.Popen:
    out = open(log, "ab")  # noqa: SIM115 - kept open for the child's lifetime
    return subprocess.Popen(
        argv, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
    )


def _stop(proc: subprocess.Popen, timeout: float = 15) -> None:
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", default=str(ROOT / "var" / "dev"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--no-demo", action="store_true", help="do not load demo data")
    parser.add_argument("--demo-visits", type=int, default=6, help="visits with photos in the demo data")
    args = parser.parse_args()

    stopping = False

    def _on_signal(signum, _frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)

    data_dir = Path(args.data_dir)
    services = EmbeddedServices(data_dir)
    children: list[subprocess.Popen] = []
    try:
        print(f"starting MongoDB-wire, S3 and Redis under {data_dir} ...", flush=True)
        env = {**os.environ, **services.start()}
        env.setdefault("SECRET_KEY", _dev_secret(data_dir))
        doorstep = str(BIN / "doorstep")
        subprocess.run([doorstep, "init"], env=env, cwd=ROOT, check=True)
        demo = None
        if not args.no_demo:
            print("loading demo data (冠县) ...", flush=True)
            out = subprocess.run(
                [sys.executable, "-m", "devkit.generate", "--demo", "--visits", str(args.demo_visits)],
                env=env,
                cwd=ROOT,
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            demo = json.loads(out)
        logs = data_dir / "logs"
        children.append(
            _spawn(
                [
                    str(BIN / "gunicorn"),
                    "--bind",
                    f"127.0.0.1:{args.port}",
                    "--workers",
                    "2",
                    "--threads",
                    "4",
                    "--timeout",
                    "120",
                    "app:create_app()",
                ],
                env,
                logs / "api.log",
            )
        )
        children.append(_spawn([sys.executable, "-m", "workers"], env, logs / "worker.log"))
        children.append(_spawn([doorstep, "sweep", "--every", "30"], env, logs / "sweeper.log"))
        base = f"http://127.0.0.1:{args.port}"
        _wait_http(base + "/readyz")
        print(
            json.dumps(
                {
                    "api": base,
                    "console": base + "/console/",
                    "docs": base + "/docs",
                    "readyz": base + "/readyz",
                    "logs": str(logs),
                    "pids": [c.pid for c in children],
                },
                ensure_ascii=False,
            )
        )
        if demo:
            print(f"web console: {base}/console/  demo logins (password {demo['password']}):")
            for role, username in demo["logins"].items():
                print(f"  {role:<10} {username}")
            body = json.dumps({"username": demo["logins"]["supervisor"], "password": demo["password"]})
            json_header = "-H 'Content-Type: application/json'"
            print(f"token: curl -s -X POST {base}/api/v1/auth/token {json_header} -d '{body}'")
        print("Doorstep is running. Ctrl-C stops everything.", flush=True)
        while not stopping:
            for child in children:
                if child.poll() is not None:
                    print(f"process {child.args[0]} exited with {child.returncode}; stopping", flush=True)
                    stopping = True
            time.sleep(0.5)
    finally:
        for child in reversed(children):
            _stop(child)
        services.stop()
        print("stopped: API, worker, sweeper, MongoDB-wire, S3, Redis", flush=True)
    return 0


def _dev_secret(data_dir: Path) -> str:
    path = data_dir / "secret_key"
    if not path.exists():
        path.write_text(os.urandom(32).hex())
    return path.read_text().strip()


if __name__ == "__main__":
    sys.exit(main())
