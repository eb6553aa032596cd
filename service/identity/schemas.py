import marshmallow as ma

from ..web import PageArgs, RequestSchema, page_schema


class LoginArgs(RequestSchema):
    username = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=128))
    password = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=1024), load_only=True)


class MeSchema(ma.Schema):
    username = ma.fields.String()
    display_name = ma.fields.String(allow_none=True)
    is_admin = ma.fields.Boolean()
    groups = ma.fields.List(ma.fields.String())
    unit = ma.fields.String(allow_none=True)
    csrf_token = ma.fields.String(allow_none=True)


# --- administration: users, groups, units, tokens (administrators only) ------------------------

USERNAME = r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$"
GROUP_NAME = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"
UNIT_CODE = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
# The national unit code of TT 10/2016/TT-BTTTT, V1V2V3.Z1Z2.Y1Y2.MX1X2, e.g. 000.17.22.H56.
NATIONAL_CODE = r"^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}$"
MIN_PASSWORD = 8


def _password(required: bool = True) -> ma.fields.String:
    return ma.fields.String(
        required=required,
        load_only=True,
        validate=ma.validate.Length(
            min=MIN_PASSWORD,
            max=1024,
            error=f"A password must have between {MIN_PASSWORD} and 1024 characters.",
        ),
    )


_GROUP_LIST = ma.fields.List(
    ma.fields.String(validate=ma.validate.Regexp(GROUP_NAME, error="Not a valid group name.")),
    validate=ma.validate.Length(max=100),
    metadata={"description": "Group names (each must exist)"},
)


class UserListArgs(PageArgs):
    q = ma.fields.String(
        validate=ma.validate.Length(max=128), metadata={"description": "Text in username or display name"}
    )
    group = ma.fields.String(validate=ma.validate.Length(max=128))
    unit = ma.fields.String(validate=ma.validate.Length(max=64), metadata={"description": "Unit code"})
    active = ma.fields.Boolean()


class UserCreateArgs(RequestSchema):
    username = ma.fields.String(
        required=True,
        validate=ma.validate.Regexp(
            USERNAME, error="Letters, digits and . _ @ - only (up to 128), starting with a letter or digit."
        ),
    )
    password = _password()
    display_name = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=255))
    groups = _GROUP_LIST
    unit = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=64))
    is_admin = ma.fields.Boolean(load_default=False)


class UserPatchArgs(RequestSchema):
    display_name = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=255))
    groups = _GROUP_LIST
    unit = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=64))
    is_active = ma.fields.Boolean()
    is_admin = ma.fields.Boolean()


_KEEP_TOKENS = {"description": "Keep the user's API tokens (by default they are revoked)"}


class PasswordArgs(RequestSchema):
    password = _password()
    keep_tokens = ma.fields.Boolean(load_default=False, metadata=_KEEP_TOKENS)


class OwnPasswordArgs(RequestSchema):
    current_password = ma.fields.String(
        required=True, load_only=True, validate=ma.validate.Length(min=1, max=1024)
    )
    new_password = _password()
    keep_tokens = ma.fields.Boolean(load_default=False, metadata=_KEEP_TOKENS)


class SessionSchema(ma.Schema):
    """A live session (never its secret)."""

    id = ma.fields.Integer()
    created_at = ma.fields.AwareDateTime(metadata={"description": "When the user logged in"})
    last_seen_at = ma.fields.AwareDateTime(
        metadata={"description": "Its last request (refreshed at most once a minute)"}
    )
    expires_at = ma.fields.AwareDateTime(
        metadata={"description": "When it ends whatever happens (MOTCUA_SESSION_MAX_HOURS after login)"}
    )
    idle_expires_at = ma.fields.AwareDateTime(
        metadata={"description": "When it ends unused (MOTCUA_SESSION_IDLE_MINUTES after its last request)"}
    )
    user_agent = ma.fields.String(allow_none=True)
    remote_addr = ma.fields.String(allow_none=True)
    current = ma.fields.Boolean(metadata={"description": "Whether this request came with it"})


SessionPage = page_schema(SessionSchema, "SessionPage")


class SignedOutSchema(ma.Schema):
    sessions = ma.fields.Integer(metadata={"description": "How many sessions were ended"})


class UserSchema(ma.Schema):
    id = ma.fields.Integer()
    username = ma.fields.String()
    display_name = ma.fields.String(allow_none=True)
    is_admin = ma.fields.Boolean()
    is_active = ma.fields.Boolean()
    unit = ma.fields.Function(lambda u: u.org_unit.code if u.org_unit else None, allow_none=True)
    groups = ma.fields.Function(lambda u: [g.name for g in u.groups])
    created_at = ma.fields.AwareDateTime()


UserPage = page_schema(UserSchema, "UserPage")


class GroupCreateArgs(RequestSchema):
    name = ma.fields.String(
        required=True,
        validate=ma.validate.Regexp(
            GROUP_NAME, error="Letters, digits and . _ - only (up to 128): it is used as a BPMN lane name."
        ),
    )
    description = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=255))


class GroupSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    description = ma.fields.String(allow_none=True)
    members = ma.fields.Integer(metadata={"description": "Number of users in the group"})


GroupPage = page_schema(GroupSchema, "GroupPage")


class UnitCreateArgs(RequestSchema):
    code = ma.fields.String(
        required=True,
        validate=ma.validate.Regexp(UNIT_CODE, error="Letters, digits and . _ - only (up to 64)."),
    )
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=255))
    national_code = ma.fields.String(
        load_default=None,
        allow_none=True,
        validate=ma.validate.Regexp(NATIONAL_CODE, error="The national code looks like 000.17.22.H56."),
        metadata={"description": "TT 10/2016/TT-BTTTT, e.g. 000.17.22.H56"},
    )
    parent_code = ma.fields.String(
        load_default=None,
        allow_none=True,
        validate=ma.validate.Regexp(UNIT_CODE, error="Not a valid unit code."),
        metadata={"description": "The code of the unit above it (none: a top unit); no cycles"},
    )


class UnitPatchArgs(RequestSchema):
    name = ma.fields.String(validate=ma.validate.Length(min=1, max=255))
    national_code = ma.fields.String(
        allow_none=True,
        validate=ma.validate.Regexp(NATIONAL_CODE, error="The national code looks like 000.17.22.H56."),
    )
    parent_code = ma.fields.String(
        allow_none=True,
        validate=ma.validate.Regexp(UNIT_CODE, error="Not a valid unit code."),
        metadata={"description": "The code of the unit above it (null: a top unit); no cycles"},
    )


class UnitSchema(ma.Schema):
    id = ma.fields.Integer()
    code = ma.fields.String()
    name = ma.fields.String()
    national_code = ma.fields.String(allow_none=True)
    parent_code = ma.fields.String(allow_none=True)
    users = ma.fields.Integer(metadata={"description": "Number of users in the unit"})


UnitPage = page_schema(UnitSchema, "UnitPage")


class TokenListArgs(PageArgs):
    user = ma.fields.String(validate=ma.validate.Length(max=128), metadata={"description": "Username"})
    active = ma.fields.Boolean(metadata={"description": "true: unrevoked and unexpired; false: the others"})


class TokenCreateArgs(RequestSchema):
    user = ma.fields.String(
        required=True, validate=ma.validate.Length(min=1, max=128), metadata={"description": "Username"}
    )
    name = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=128))
    expires_at = ma.fields.AwareDateTime(load_default=None, allow_none=True)
    scopes = ma.fields.List(
        ma.fields.String(validate=ma.validate.Length(min=1, max=160)),
        load_default=None,
        allow_none=True,
        validate=ma.validate.Length(max=50),
        metadata={
            "description": "A system identity's token may do only what these name: read, deploy, "
            "start:<definition key>, messages:<message name>, tasks:<definition key>, "
            "external-tasks:<topic> ('*' for every name). Absent or null: the user's full rights."
        },
    )


class TokenSchema(ma.Schema):
    id = ma.fields.Integer()
    user = ma.fields.Function(lambda t: t.user.username)
    name = ma.fields.String(allow_none=True)
    created_at = ma.fields.AwareDateTime()
    expires_at = ma.fields.AwareDateTime(allow_none=True)
    revoked_at = ma.fields.AwareDateTime(allow_none=True)
    scopes = ma.fields.List(ma.fields.String(), allow_none=True)
    last_used_at = ma.fields.AwareDateTime(allow_none=True)


class NewTokenSchema(TokenSchema):
    token = ma.fields.String(metadata={"description": "The secret: shown this once, never stored"})


TokenPage = page_schema(TokenSchema, "TokenPage")
