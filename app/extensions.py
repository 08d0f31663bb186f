"""Extensions created unbound; `create_app` binds them."""

from flask_smorest import Api

api = Api()
