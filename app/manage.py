"""The `doorstep` console command: the CLI group run with an app built from the environment."""

from flask.cli import FlaskGroup

from app import create_app
from app.cli import cli_group

main = FlaskGroup(
    name="doorstep",
    create_app=lambda: create_app(),
    add_default_commands=False,
    add_version_option=False,
    help="Doorstep 入户核查 operations.",
)
for command in cli_group.commands.values():
    main.add_command(command)
