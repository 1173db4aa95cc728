"""The JSON API under /api/v1/ (issue 13): views.py (the blueprint), shapes.py (every
body in and out, typed), cors.py (registered origins only), openapi.py (the OpenAPI 3.1
document, built from the views) and reader_token.py (a reader's own pending entries)."""
