"""Session login for browsers and people; systems use bearer tokens instead."""

from flask import session
from flask.views import MethodView
from flask_smorest import Blueprint
from flask_wtf.csrf import generate_csrf

from ..errors import Unauthorized
from .auth import current_user
from .operations import check_password, principal_for_user
from .schemas import LoginArgs, MeSchema

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="Sessions and the current user")


def _me(user, csrf_token=None) -> dict:
    return {
        "username": user.username,
        "display_name": user.display_name,
        "is_admin": user.is_admin,
        "groups": sorted(user.group_names),
        "unit": user.unit,
        "csrf_token": csrf_token,
    }


@blp.route("/login")
class Login(MethodView):
    @blp.arguments(LoginArgs)
    @blp.response(200, MeSchema)
    def post(self, args):
        """Log in with a username and password; starts a session cookie.

        Writes made with the session must send the returned csrf_token in an X-CSRFToken header.
        """
        user = check_password(args["username"], args["password"])
        if user is None:
            raise Unauthorized("Wrong username or password.")
        session.clear()
        session["user_id"] = user.id
        return _me(principal_for_user(user.id), generate_csrf())


@blp.route("/logout")
class Logout(MethodView):
    @blp.response(204)
    def post(self):
        """End the session."""
        session.clear()


@blp.route("/me")
class Me(MethodView):
    @blp.response(200, MeSchema)
    def get(self):
        """Who the caller is: username, groups, unit."""
        return _me(current_user())
