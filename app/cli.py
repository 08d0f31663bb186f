"""`doorstep ...` (also `flask --app app doorstep ...`): set-up and operations commands.

Commands act as the system principal and write to the audit log like any other actor.
"""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from pymongo.errors import PyMongoError
from redis.exceptions import RedisError
from tqdm import tqdm

from app import db
from app.areas.service import load_areas
from app.auth.principal import SYSTEM
from app.documents import ALL_DOCUMENTS
from app.errors import DoorstepError
from app.forms.cli import check_forms_command, publish_form_command
from app.households.importer import import_households
from app.reports.counted import KINDS
from app.tallies.reconcile import reconcile
from app.tallies.sweep import sweep_tallies
from app.upgrade.steps import migrate
from app.users.service import create_user
from app.visits.handoff import sweep
from app.visits.reprint import requeue_stale_prints


@click.group("doorstep")
def cli_group() -> None:
    """Doorstep operations."""


def _fail(err: DoorstepError) -> None:
    click.echo(f"error: {err.message}", err=True)
    for key, value in err.details.items():
        click.echo(f"  {key}: {value}", err=True)
    raise SystemExit(1)


@cli_group.command("init")
@with_appcontext
def init_command() -> None:
    """Create indexes and the bucket (idempotent: safe on every start)."""
    db.ensure_indexes(ALL_DOCUMENTS)
    current_app.extensions["store"].ensure_bucket()
    click.echo("indexes and bucket ready")


@cli_group.command("load-areas")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def load_areas_command(path: Path) -> None:
    """Load an area tree from a CSV or XLSX table with columns 区划代码 (code) and 名称 (name)."""
    try:
        with path.open("rb") as stream:
            click.echo(load_areas(SYSTEM, stream, path.name))
    except DoorstepError as err:
        _fail(err)


@cli_group.command("import-households")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def import_households_command(path: Path) -> None:
    """Import households from CSV or XLSX (Chinese headers accepted); all rows or none."""
    try:
        with path.open("rb") as stream, tqdm(desc="rows checked", unit=" rows") as bar:
            result = import_households(SYSTEM, stream, path.name, progress=bar.update)
    except DoorstepError as err:
        _fail(err)
    click.echo(result)


@cli_group.command("create-user")
@click.option("--username", required=True)
@click.option("--role", required=True, type=click.Choice(["cadre", "verifier", "supervisor", "admin"]))
@click.option("--area", "areas", multiple=True, required=True, help="area code; repeat for several")
@click.option("--name", "display_name", default="")
@click.password_option()
@with_appcontext
def create_user_command(username, role, areas, display_name, password) -> None:
    """Create a user (e.g. the first admin)."""
    try:
        user = create_user(
            SYSTEM,
            username=username,
            password=password,
            role=role,
            area_codes=list(areas),
            display_name=display_name,
        )
    except DoorstepError as err:
        _fail(err)
    click.echo(f"created {user.username} ({user.role}) id={user.id}")


@cli_group.command("migrate")
@with_appcontext
def migrate_command() -> None:
    """Bring existing data up to date (idempotent): form roles, satisfaction answers, review levels,
    poverty statuses, and households a satisfaction survey overwrote."""
    ext = current_app.extensions
    db.connect_for_batch(current_app.config["DOORSTEP"])
    for step, changed in migrate(ext["forms"], ext["review_chain"]).items():
        click.echo(f"{step}: {changed} changed")


@cli_group.command("sweep")
@click.option("--every", type=int, default=0, help="repeat every N seconds (0: once)")
@with_appcontext
def sweep_command(every: int) -> None:
    """Re-queue visits submitted but never queued (Redis was down) or stuck in `submitted`; bring the
    report counters up to date with whatever changed since the last sweep."""
    cfg = current_app.config["DOORSTEP"]
    while True:
        try:
            result = sweep(current_app.extensions["queue"], timedelta(minutes=cfg.SWEEP_STALE_MINUTES))
            result |= {f"counted_{kind}": n for kind, n in sweep_tallies(KINDS).items()}
            if any(result.values()) or not every:
                click.echo(f"swept: {result}")
        except (PyMongoError, RedisError) as err:
            click.echo(f"sweep failed, will retry: {err}", err=True)
            if not every:
                raise SystemExit(1) from err
        if not every:
            return
        time.sleep(every)


@cli_group.command("reprint")
@click.option("--limit", type=int, default=0, help="queue at most this many visits (0: all)")
@with_appcontext
def reprint_command(limit: int) -> None:
    """Re-derive fingerprints stored under an older scheme (after derive.PRINT_VERSION was raised):
    their visits' image jobs are queued again; the workers do the rest."""
    db.connect_for_batch(current_app.config["DOORSTEP"])
    queued = requeue_stale_prints(current_app.extensions["queue"], limit or None)
    click.echo(f"queued the image job of {queued} visit(s) with stale fingerprints")


@cli_group.command("reconcile")
@click.option("--fix", is_flag=True, help="rewrite the counters (and documents' tallies) to the recount")
@with_appcontext
def reconcile_command(fix: bool) -> None:
    """Recount the report counters from the documents and report any drift (run when writes are quiet)."""
    db.connect_for_batch(current_app.config["DOORSTEP"])
    result = reconcile(KINDS, fix=fix)
    for area, diff in sorted(result["drift"].items()):
        shown = ", ".join(f"{key} {have}→{want}" for key, (have, want) in sorted(diff.items()))
        click.echo(f"drift in {area}: {shown}")
    verb = "fixed" if fix else "found"
    click.echo(f"{result['areas']} areas recounted; drift {verb} in {result['drifted']}")
    if result["drifted"] and not fix:
        raise SystemExit(2)


@cli_group.command("failed-jobs")
@click.option("--requeue", is_flag=True, help="re-run every failed job")
@with_appcontext
def failed_jobs_command(requeue: bool) -> None:
    """List failed jobs (with the error's last line), or re-run them all with --requeue."""
    queue = current_app.extensions["queue"]
    jobs = queue.failed()
    for job in jobs:
        result = job.latest_result()
        last = ((result.exc_string if result else "") or "").strip().splitlines()[-1:] or [""]
        click.echo(f"{job.id}\t{job.origin}\t{job.ended_at}\t{last[0]}")
    click.echo(f"{len(jobs)} failed job(s)")
    if requeue and jobs:
        click.echo(f"requeued {queue.requeue_failed()} job(s)")


cli_group.add_command(check_forms_command)
cli_group.add_command(publish_form_command)
