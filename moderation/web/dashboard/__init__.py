"""The moderators' dashboard at /moderation/: login, the queue and every action on it.

The views live in sign_in.py, queue.py, admin.py, webhooks.py, account.py and
mail_actions.py (the pages moderators' mail links open); importing them here registers
their routes on the one blueprint of common.py.
"""

from moderation.web.dashboard import (
    account,
    admin,
    data,
    mail_actions,
    personal_data,
    queue,
    sign_in,
    webhooks,
)
from moderation.web.dashboard.common import bp, init_app, login_manager
from moderation.web.dashboard.sign_in import TOO_MANY_LOGINS, WRONG_LOGIN

__all__ = [
    "TOO_MANY_LOGINS",
    "WRONG_LOGIN",
    "account",
    "admin",
    "bp",
    "data",
    "init_app",
    "login_manager",
    "mail_actions",
    "personal_data",
    "queue",
    "sign_in",
    "webhooks",
]
