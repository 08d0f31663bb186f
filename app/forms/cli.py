"""`doorstep check-forms` and `doorstep publish-form`: the form files, checked and published from a shell."""

from __future__ import annotations

import click

from app.config import Config
from app.forms.loader import FormDefinitionError, check_forms
from app.forms.publish import publish

_DIR = click.option(
    "--dir",
    "forms_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="forms directory (default FORMS_DIR)",
)


@click.command("check-forms")
@_DIR
def check_forms_command(forms_dir: str | None) -> None:
    """Check every form and standards file against the schema, the checks and the lock file."""
    problems = check_forms(forms_dir or Config().FORMS_DIR)
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        raise SystemExit(1)
    click.echo("forms ok")


@click.command("publish-form")
@click.argument("form_id")
@click.argument("version", type=int)
@_DIR
def publish_form_command(form_id: str, version: int, forms_dir: str | None) -> None:
    """Mark FORM_ID vVERSION published and record its sha256 in published.lock.json (then it is frozen)."""
    try:
        digest = publish(forms_dir or Config().FORMS_DIR, form_id, version)
    except FormDefinitionError as err:
        for problem in err.problems:
            click.echo(problem, err=True)
        raise SystemExit(1) from None
    click.echo(f"{form_id} v{version} published sha256={digest}")
