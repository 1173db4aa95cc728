"""Use cases: every operation that takes a database session, shared by the web pages,
the linkback receivers and the command line.

Services take a session and never commit; the caller commits. They raise the domain
errors of rules/errors.py, which entry points translate (HTTP status, XML-RPC fault,
exit code), and return places (ids, slugs, pages), never URLs.
"""
