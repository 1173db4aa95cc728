"""Entry points: the public pages, the dashboard, the linkback receivers (the one
CSRF-exempt blueprint) and the command line. They turn requests into service calls and
domain errors into answers; nothing imports them but the app factory."""
