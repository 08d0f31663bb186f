"""`doorstep ...` (also `flask --app app doorstep ...`): set-up and operations commands."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from app import db
from app.models import ALL_DOCUMENTS


@click.group("doorstep")
def cli_group() -> None:
    """Doorstep operations."""


@cli_group.command("init")
@with_appcontext
def init_command() -> None:
    """Create indexes and the bucket (idempotent: safe on every start)."""
    db.ensure_indexes(ALL_DOCUMENTS)
    current_app.extensions["store"].ensure_bucket()
    click.echo("indexes and bucket ready")
