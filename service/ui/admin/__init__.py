"""Administration: instances, incidents, users, groups, units, tokens, webhooks, calendar and catalogue, one
module per area; every list page goes through `common.list_page`.

Every view checks `require_admin` (as the API does). The instance and incident pages act through
the REST API from admin.js (If-Match with the instance version); the other pages are plain HTML
forms posting back to themselves (Flask-WTF, CSRF) and calling the same operations as the API.
A refused form is shown again with what was typed and a message beside each field.
"""

from . import calendar, catalogue, people, processes, tokens, units, webhooks  # noqa: F401  (their routes)
from .common import PASSWORD_RULE, REQUIRED

__all__ = ["PASSWORD_RULE", "REQUIRED"]
