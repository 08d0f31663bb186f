"""Liveness and readiness probes: no auth, no database work in /healthz."""

from __future__ import annotations

from flask import current_app, jsonify
from flask_smorest import Blueprint
from flask_smorest.error_handler import ErrorSchema
from marshmallow import Schema, fields

from app import db

blp = Blueprint("health", __name__, description="健康检查 Health probes")


class AliveOut(Schema):
    status = fields.String(metadata={"description": "ok"})


class ReadyOut(Schema):
    status = fields.String(metadata={"description": "ready"})
    checks = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        metadata={"description": 'per server (mongodb, s3, redis): "ok" or the error'},
    )


def readiness(store, queue) -> dict[str, str]:
    """Ask each backing server; returns {name: "ok" | error text}."""
    probes = {"mongodb": db.ping, "s3": store.ping, "redis": queue.ping}
    results = {}
    for name, probe in probes.items():
        try:
            probe()
            results[name] = "ok"
        except Exception as err:  # noqa: BLE001 - any failure means "not ready", reported by name
            results[name] = f"{type(err).__name__}: {err}"[:200]
    return results


@blp.route("/healthz")
@blp.doc(security=[])
@blp.response(200, AliveOut)
def healthz():
    return jsonify({"status": "ok"})


@blp.route("/readyz")
@blp.doc(security=[])
@blp.response(200, ReadyOut)
@blp.alt_response(
    503, schema=ErrorSchema, description="not ready: `errors.down` names the servers, `errors.checks` why"
)
def readyz():
    results = readiness(current_app.extensions["store"], current_app.extensions["queue"])
    down = [name for name, result in results.items() if result != "ok"]
    if down:
        body = {
            "code": 503,
            "status": "Service Unavailable",
            "message": "未就绪: " + ", ".join(down) + " not answering",
            "errors": {"reason": "not_ready", "down": down, "checks": results},
        }
        return jsonify(body), 503
    return jsonify({"status": "ready", "checks": results})
