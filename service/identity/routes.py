"""Session login for browsers and people (systems use bearer tokens instead), and the administration
of users, groups, org units and API tokens."""

import sqlalchemy as sa
from flask import request, session
from flask.views import MethodView
from flask_smorest import Blueprint
from flask_wtf.csrf import generate_csrf

from ..errors import ErrorSchema, NotFound, Unauthorized, Unprocessable
from ..extensions import db
from ..web import PageArgs, page
from . import admin, operations, queries, sessions, throttle
from .auth import current_session_id, current_user
from .models import User
from .permissions import admin_only
from .schemas import (
    GroupCreateArgs,
    GroupPage,
    GroupSchema,
    LoginArgs,
    MeSchema,
    NewTokenSchema,
    OwnPasswordArgs,
    PasswordArgs,
    SessionPage,
    SignedOutSchema,
    TokenCreateArgs,
    TokenListArgs,
    TokenPage,
    TokenSchema,
    UnitCreateArgs,
    UnitPage,
    UnitPatchArgs,
    UnitSchema,
    UserCreateArgs,
    UserListArgs,
    UserPage,
    UserPatchArgs,
    UserSchema,
)

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


_THROTTLED = (
    "Too many wrong passwords for this username from this address: refused, whatever the password,"
    " until the time the Retry-After header gives (seconds)."
)


@blp.route("/login")
class Login(MethodView):
    @blp.doc(security=[])  # public: the way to get a session
    @blp.arguments(LoginArgs)
    @blp.response(200, MeSchema)
    @blp.alt_response(429, schema=ErrorSchema, description=_THROTTLED)
    def post(self, args):
        """Log in with a username and password; starts a session cookie.

        Writes made with the session must send the returned csrf_token in an X-CSRFToken header.
        """
        counter = throttle.key(throttle.LOGIN, args["username"], request.remote_addr)
        throttle.refuse_if_blocked(counter)  # whatever the password: a blocked guesser learns nothing
        started = sessions.log_in(
            args["username"],
            args["password"],
            user_agent=request.user_agent.string,
            remote_addr=request.remote_addr,
            replacing=session.get(sessions.SESSION_KEY),
        )
        if started is None:
            throttle.failed(counter)
            raise Unauthorized("Wrong username or password.")
        throttle.for_app().success(counter)
        principal, secret = started
        session.clear()
        session[sessions.SESSION_KEY] = secret
        return _me(principal, generate_csrf())


@blp.route("/logout")
class Logout(MethodView):
    @blp.response(204)
    def post(self):
        """End the session: it is revoked on the server, so a copy of its cookie stops working too."""
        secret = session.get(sessions.SESSION_KEY)
        if isinstance(secret, str):
            sessions.log_out(secret, actor=current_user())
        session.clear()


@blp.route("/me")
class Me(MethodView):
    @blp.response(200, MeSchema)
    def get(self):
        """Who the caller is: username, groups, unit."""
        return _me(current_user())


@blp.route("/password", methods=["POST"])
@blp.arguments(OwnPasswordArgs)
@blp.response(204)
@blp.alt_response(429, schema=ErrorSchema, description=_THROTTLED)
def change_password(args):
    """Change one's own password (the current one is required). Every other session of the user
    ends, and their API tokens are revoked unless keep_tokens is true. Wrong current passwords
    are throttled like logins (429 with Retry-After)."""
    user = current_user()
    counter = throttle.key(throttle.PASSWORD, user.username, request.remote_addr)
    throttle.refuse_if_blocked(counter)
    try:
        sessions.change_password(
            user,
            args["current_password"],
            args["new_password"],
            keep_tokens=args["keep_tokens"],
            keep_session_id=current_session_id(),
        )
    except Unprocessable as exc:
        if "current_password" in exc.details.get("fields", {}):
            throttle.failed(counter)
        raise
    throttle.for_app().success(counter)


@blp.route("/sessions", methods=["GET"])
@blp.arguments(PageArgs, location="query")
@blp.response(200, SessionPage)
def my_sessions(args):
    """One's live sessions, most recently used first: when they began and were last used, when they
    end, the browser and address; never their secrets."""
    items, total = sessions.list_sessions(
        current_user().id, current_id=current_session_id(), page=args["page"], per_page=args["per_page"]
    )
    return page(items, total, args)


@blp.route("/sessions/revoke", methods=["POST"])
@blp.response(200, SignedOutSchema)
def sign_out_everywhere():
    """Sign out everywhere: every session of the caller ends, this one included (API tokens stay)."""
    ended = sessions.sign_out_everywhere(current_user(), actor=current_user())
    session.pop(sessions.SESSION_KEY, None)
    return ended


# --- /api/v1/users, /groups, /units, /tokens: administration (administrators only) --------------

admin_blp = Blueprint(
    "identity_admin",
    __name__,
    url_prefix="/api/v1",
    description="Administration of users, groups, org units and API tokens (administrators)",
)


def _user(username: str) -> User:
    user = db.session.scalar(sa.select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"No user named {username!r}.")
    return user


@admin_blp.route("/users")
class Users(MethodView):
    @admin_only
    @admin_blp.arguments(UserListArgs, location="query")
    @admin_blp.response(200, UserPage)
    def get(self, args):
        """Users by username (filters: q, group, unit, active); never their passwords."""
        filters = {k: args.get(k) for k in ("q", "group", "unit", "active")}
        items, total = queries.search_users(**filters, page=args["page"], per_page=args["per_page"])
        return page(items, total, args)

    @admin_only
    @admin_blp.arguments(UserCreateArgs)
    @admin_blp.response(201, UserSchema)
    def post(self, args):
        """Create a user with a password (at least 8 characters); groups and unit must exist."""
        return admin.admin_create_user(args, actor=current_user())


@admin_blp.route("/users/<string:username>")
class UserView(MethodView):
    @admin_only
    @admin_blp.response(200, UserSchema)
    def get(self, username):
        """One user."""
        return _user(username)

    @admin_only
    @admin_blp.arguments(UserPatchArgs)
    @admin_blp.response(200, UserSchema)
    def patch(self, args, username):
        """Change display name, groups, unit, active, admin. Deactivating a user revokes their sessions
        and API tokens (reactivating brings none back); administrators cannot deactivate or demote
        themselves."""
        return admin.update_user(_user(username), args, actor=current_user())


@admin_blp.route("/users/<string:username>/password", methods=["POST"])
@admin_only
@admin_blp.arguments(PasswordArgs)
@admin_blp.response(204)
def reset_password(args, username):
    """Set a new password for a user (at least 8 characters). Every session of the user ends, and
    their API tokens are revoked unless keep_tokens is true."""
    admin.set_password(
        _user(username),
        args["password"],
        actor=current_user(),
        keep_tokens=args["keep_tokens"],
        keep_session_id=current_session_id(),
    )


@admin_blp.route("/users/<string:username>/sessions", methods=["GET"])
@admin_only
@admin_blp.arguments(PageArgs, location="query")
@admin_blp.response(200, SessionPage)
def user_sessions(args, username):
    """A user's live sessions, most recently used first; never their secrets."""
    items, total = sessions.list_sessions(
        _user(username).id, current_id=current_session_id(), page=args["page"], per_page=args["per_page"]
    )
    return page(items, total, args)


@admin_blp.route("/users/<string:username>/sessions/revoke", methods=["POST"])
@admin_only
@admin_blp.response(200, SignedOutSchema)
def revoke_user_sessions(username):
    """Sign a user out everywhere: every session of the user ends at once (API tokens stay; revoke
    them with POST /tokens/{id}/revoke)."""
    return sessions.sign_out_everywhere(_user(username), actor=current_user())


@admin_blp.route("/groups")
class Groups(MethodView):
    @admin_only
    @admin_blp.arguments(PageArgs, location="query")
    @admin_blp.response(200, GroupPage)
    def get(self, args):
        """Groups (candidate groups, BPMN lanes) with their member counts."""
        items, total = queries.list_groups(page=args["page"], per_page=args["per_page"])
        return page(items, total, args)

    @admin_only
    @admin_blp.arguments(GroupCreateArgs)
    @admin_blp.response(201, GroupSchema)
    def post(self, args):
        """Create a group (409 if the name is taken)."""
        group = admin.create_group(args["name"], args.get("description"), actor=current_user())
        return {"id": group.id, "name": group.name, "description": group.description, "members": 0}


@admin_blp.route("/units")
class Units(MethodView):
    @admin_only
    @admin_blp.arguments(PageArgs, location="query")
    @admin_blp.response(200, UnitPage)
    def get(self, args):
        """Org units with their number of users."""
        items, total = queries.list_units(page=args["page"], per_page=args["per_page"])
        return page(items, total, args)

    @admin_only
    @admin_blp.arguments(UnitCreateArgs)
    @admin_blp.response(201, UnitSchema)
    def post(self, args):
        """Create a unit; the national code (TT 10/2016, e.g. 000.17.22.H56) numbers its dossiers."""
        unit = admin.create_unit(
            args["code"],
            args["name"],
            args.get("national_code"),
            parent_code=args.get("parent_code"),
            actor=current_user(),
        )
        return {**_unit_dict(unit), "users": 0}


def _unit_dict(unit) -> dict:
    return {
        "id": unit.id,
        "code": unit.code,
        "name": unit.name,
        "national_code": unit.national_code,
        "parent_code": unit.parent_code,
    }


@admin_blp.route("/units/<string:code>")
class UnitView(MethodView):
    @admin_only
    @admin_blp.arguments(UnitPatchArgs)
    @admin_blp.response(200, UnitSchema)
    def patch(self, args, code):
        """Change a unit's name, national code or parent unit (null removes it; a cycle: 422)."""
        unit = admin.update_unit(operations.find_unit(code), args, actor=current_user())
        users = db.session.scalar(
            sa.select(sa.func.count()).select_from(User).where(User.org_unit_id == unit.id)
        )
        return {**_unit_dict(unit), "users": users or 0}


@admin_blp.route("/tokens")
class Tokens(MethodView):
    @admin_only
    @admin_blp.arguments(TokenListArgs, location="query")
    @admin_blp.response(200, TokenPage)
    def get(self, args):
        """API tokens with their owner, name, creation, expiry and revocation; never the secret."""
        items, total = queries.search_tokens(
            user=args.get("user"), active=args.get("active"), page=args["page"], per_page=args["per_page"]
        )
        return page(items, total, args)

    @admin_only
    @admin_blp.arguments(TokenCreateArgs)
    @admin_blp.response(201, NewTokenSchema)
    def post(self, args):
        """Issue a token for a user. The secret is in this answer only: it is stored as a hash."""
        token, secret = admin.issue_token(
            args["user"],
            name=args.get("name"),
            expires_at=args.get("expires_at"),
            scopes=args.get("scopes"),
            actor=current_user(),
        )
        token.token = secret  # a plain attribute for this answer, not a column
        return token


@admin_blp.route("/tokens/<int(max=2147483647):token_id>/revoke", methods=["POST"])
@admin_only
@admin_blp.response(200, TokenSchema)
def revoke_token(token_id):
    """Revoke a token: it is refused from the next request on (revoking twice changes nothing)."""
    actor = current_user()
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    in_use = operations.hash_token(secret.strip()) if scheme.lower() == "bearer" else None
    return admin.revoke_token(token_id, actor=actor, in_use_hash=in_use)
