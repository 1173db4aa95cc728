"""Field and column limits, each named once, and the cut that keeps text within one.

SPEC §3 (comment fields) counts the reader's fields in UTF-8 bytes, as WordPress does;
the rest are characters, as the columns hold them.
"""

COMMENT_MAX_BYTES = 65_525
NAME_MAX_BYTES = 245  # an author's name: a reader's, or a linkback's title or h-card name
EMAIL_MAX_BYTES = 100
WEBSITE_MAX_BYTES = 200
URL_MAX_CHARS = 2_000
SLUG_MAX_CHARS = 200
USERNAME_MAX_CHARS = 150
TITLE_MAX_CHARS = 300  # a post's title
SOURCE_TITLE_MAX_CHARS = 255  # a linkback's page title, and a trackback's fields
REASON_MAX_CHARS = 255  # why an entry has its status, or why a linkback was rejected
USER_AGENT_MAX_CHARS = 512
AUDIT_DETAIL_MAX_CHARS = 1_000
MAIL_SUBJECT_MAX_CHARS = 200
JOB_ERROR_MAX_CHARS = 500  # why a job, a mail or a webhook delivery failed
ORIGIN_ID_MAX_CHARS = 255  # an imported entry's id in the system it came from, with its source
MAX_ID = 2**31 - 1  # ids are Integer columns: PostgreSQL's integer tops out here


def fit_bytes(text: str, limit: int) -> str:
    """The text cut to at most `limit` UTF-8 bytes, between characters."""
    return text.encode()[:limit].decode(errors="ignore")
