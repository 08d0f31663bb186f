"""Doorstep: backend for door-to-door household verification (入户核查)."""

from __future__ import annotations

import swagger_ui_bundle
from flask import Flask, send_from_directory

from app import db
from app.cli import cli_group
from app.config import Config
from app.console import register_console
from app.errors import register_error_handlers
from app.extensions import api
from app.forms import register_forms
from app.jsonguard import register_json_guard
from app.login.access import register_authentication
from app.openrosa.api import register_openrosa
from app.queue import JobQueue
from app.rectification import deadlines
from app.review.chains import default_chain
from app.routes import BLUEPRINTS
from app.storage import ObjectStore
from app.users import passwords


def create_app(
    config: Config | None = None, *, store: ObjectStore | None = None, queue: JobQueue | None = None
) -> Flask:
    """Build the app as a list of register steps; store and queue may be passed in (tests, drills)."""
    config = config or Config()
    app = Flask(__name__)
    app.config.from_mapping(config.as_flask())
    app.config["DOORSTEP"] = config
    # multipart visits carry up to 8 slots (plus letters); single uploads are limited in app.visits.upload
    app.config["MAX_CONTENT_LENGTH"] = 13 * config.MAX_UPLOAD_BYTES
    register_services(app, config, store, queue)
    register_forms(app)
    register_authentication(app)
    register_json_guard(app)
    register_api(app)
    register_console(app)
    register_openrosa(app)
    register_error_handlers(app)
    register_docs_assets(app)
    register_cli(app)
    return app


def register_services(app: Flask, config: Config, store: ObjectStore | None, queue: JobQueue | None) -> None:
    db.connect(config.MONGODB_URI, config.MONGODB_WRITE_CONCERN)
    passwords.configure(config.PASSWORD_HASH_PROFILE)
    deadlines.configure(config.RECTIFICATION_DEFAULT_MONTHS)
    app.extensions["review_chain"] = default_chain(config.REVIEW_LEVELS, config.REVIEW_RECHECK_PERCENT)
    app.extensions["store"] = store or ObjectStore.from_config(config)
    app.extensions["queue"] = queue or JobQueue.from_url(
        config.REDIS_URL, config.QUEUE_PREFIX, tuple(int(s) for s in config.JOB_RETRY_INTERVALS.split(","))
    )


def register_api(app: Flask) -> None:
    api.init_app(app)
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    api.spec.options["security"] = [{"bearerAuth": []}]
    for blueprint, prefix in BLUEPRINTS:
        api.register_blueprint(blueprint, url_prefix=prefix)


def register_docs_assets(app: Flask) -> None:
    """Serve Swagger UI's files from the swagger-ui-bundle wheel: /docs works with no internet."""

    @app.route("/docs-assets/<path:filename>")
    def docs_assets(filename: str):
        return send_from_directory(swagger_ui_bundle.swagger_ui_path, filename)


def register_cli(app: Flask) -> None:
    app.cli.add_command(cli_group)
