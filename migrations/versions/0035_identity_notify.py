"""identity_changed: PostgreSQL notifies the channel motcua_identity when anything a request's
principal is made of changes, so that a process may keep principals and forget them at once
(service/identity/principals.py). Statement-level triggers, in the writing transaction, whatever
code wrote (the service, a command, a migration, psql): users (what a principal shows or
allows: username, display name, admin, active, unit), api_tokens (hash, owner, revocation,
expiry, scopes; not last_used_at, which every minute of use writes), user_groups, groups,
org_units. PostgreSQL folds a transaction's identical notifications into one and delivers it at
commit. SQLite has no notifications and keeps no principals: nothing to create there.

Revision ID: 0035_identity_notify
Revises: 0034_tasks_instance_state
Create Date: 2026-12-06 11:30:00

"""

from alembic import op


# revision identifiers, used by Alembic.
revision = "0035_identity_notify"
down_revision = "0034_tasks_instance_state"
branch_labels = None
depends_on = None

# table -> the events that change a principal
_TRIGGERS = {
    "users": "UPDATE OF username, display_name, is_admin, is_active, org_unit_id OR DELETE OR TRUNCATE",
    "api_tokens": "UPDATE OF token_hash, user_id, revoked_at, expires_at, scopes OR DELETE OR TRUNCATE",
    "user_groups": "INSERT OR UPDATE OR DELETE OR TRUNCATE",
    "groups": "UPDATE OR DELETE OR TRUNCATE",
    "org_units": "INSERT OR UPDATE OR DELETE OR TRUNCATE",
}


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "CREATE FUNCTION identity_changed() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN PERFORM pg_notify('motcua_identity', ''); RETURN NULL; END $$"
    )
    for table, events in _TRIGGERS.items():
        op.execute(
            f"CREATE TRIGGER {table}_identity_changed AFTER {events} ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION identity_changed()"
        )


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in _TRIGGERS:
        op.execute(f"DROP TRIGGER {table}_identity_changed ON {table}")
    op.execute("DROP FUNCTION identity_changed()")
