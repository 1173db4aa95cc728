"""The real app as bench/run.py serves it: `gunicorn --chdir bench app_wsgi:app`.

Configuration comes from the environment (DATABASE_URL, SECRET_KEY, RATELIMIT_ENABLED,
COMMENT_FLOOD_SECONDS) like in production, CSRF included: bench/run.py sends the comment
form as a browser does, with the hidden fields and cookies of a GET of its page.
"""

from moderation import create_app

app = create_app()
