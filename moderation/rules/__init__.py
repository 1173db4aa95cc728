"""Pure rules: no Flask, no database, no network. Statuses and kinds, limits, the
moderation policy, sanitising, protocol parsing (XML-RPC, TrackBack, pages, h-entry)
and URL rules. tests/unit/test_layers.py proves that importing any of them loads
neither Flask nor SQLAlchemy nor requests."""
