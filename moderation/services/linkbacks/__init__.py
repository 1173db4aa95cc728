"""Linkbacks: other blogs telling us that they link to one of our posts (§1, §3 Linkbacks).

Pure parts (`xmlrpc`, `source`) import neither Flask nor the database; `pingback`
holds the use case; `views` is the entry point, the only CSRF-exempt blueprint.
"""
