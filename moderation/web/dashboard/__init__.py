"""The moderators' dashboard at /moderation/: login, the queue and every action on it.

The views live in sign_in.py, queue.py and admin.py; importing them here registers
their routes on the one blueprint of common.py.
"""

from moderation.web.dashboard import admin, queue, sign_in
from moderation.web.dashboard.common import bp, init_app, login_manager
from moderation.web.dashboard.sign_in import TOO_MANY_LOGINS, WRONG_LOGIN

__all__ = [
    "TOO_MANY_LOGINS",
    "WRONG_LOGIN",
    "admin",
    "bp",
    "init_app",
    "login_manager",
    "queue",
    "sign_in",
]
