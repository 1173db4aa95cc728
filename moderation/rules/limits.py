"""Field and column limits, named once (SPEC §3 gives the form fields in UTF-8 bytes)."""

COMMENT_MAX_BYTES = 65_525
NAME_MAX_BYTES = 245
EMAIL_MAX_BYTES = 100
WEBSITE_MAX_BYTES = 200
URL_MAX_CHARS = 2_000
SLUG_MAX_CHARS = 200
USERNAME_MAX_CHARS = 150
TITLE_MAX_CHARS = 300
MAX_ID = 2**31 - 1  # ids are Integer columns: PostgreSQL's integer tops out here
USER_AGENT_MAX_CHARS = 512
