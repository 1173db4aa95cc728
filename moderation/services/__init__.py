"""Use cases: the operations the web pages and the command line share.

Services take a session and never commit; the caller commits. They raise the
domain errors of domain_errors.py, which entry points translate (HTTP status, exit
code); they are named here too, as services.NotFound and so on.
"""

from ..domain_errors import Closed, Duplicate, Flooding, NotFound, Refused, ServiceError
from .comments import (
    DUPLICATE,
    StoredComment,
    Submission,
    check_reply_depth,
    comment_fingerprint,
    comments_open,
    submit_comment,
)
from .linkbacks import (
    HELD_FOR_MODERATOR,
    fitting_website,
    judge_linkback,
    linkback_flooding,
    pings_open,
    record_linkback,
)
from .posts import (
    SLUG,
    PostSummary,
    create_post,
    get_post,
    post_slugs,
    post_summaries,
    queue,
)

__all__ = [
    "DUPLICATE",
    "HELD_FOR_MODERATOR",
    "SLUG",
    "Closed",
    "Duplicate",
    "Flooding",
    "NotFound",
    "PostSummary",
    "Refused",
    "ServiceError",
    "StoredComment",
    "Submission",
    "check_reply_depth",
    "comment_fingerprint",
    "comments_open",
    "create_post",
    "fitting_website",
    "get_post",
    "judge_linkback",
    "linkback_flooding",
    "pings_open",
    "post_slugs",
    "post_summaries",
    "queue",
    "record_linkback",
    "submit_comment",
]
