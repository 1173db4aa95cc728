"""The real app as bench/run.py serves it: `gunicorn --chdir bench app_wsgi:app`.

Configuration comes from the environment (DATABASE_URL, SECRET_KEY, RATELIMIT_ENABLED)
like in production; CSRF is switched off here, because WTF_CSRF_ENABLED is not an
environment key and wrk cannot carry a token from the page to the POST.
"""

from moderation import create_app

app = create_app({"WTF_CSRF_ENABLED": False})
