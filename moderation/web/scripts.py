"""The script other sites embed (issue 13): /embed.js, which draws a page's thread and
form from the JSON API and fills its comment counts."""

from flask import Blueprint, current_app, send_from_directory

bp = Blueprint("scripts", __name__)

EMBED_SCRIPT = "embed.js"


@bp.get("/embed.js")
def embed_script():
    """Serve embed.js to any page: the same bytes for every reader, so a CDN may keep it
    for PAGE_MAX_AGE seconds and then ask again with its ETag (issue 13, cacheable reads)."""
    response = send_from_directory(
        current_app.static_folder,
        EMBED_SCRIPT,
        mimetype="text/javascript",
        max_age=current_app.config["PAGE_MAX_AGE"],
    )
    response.cache_control.public = True
    # Loadable by pages that isolate themselves (Cross-Origin-Embedder-Policy).
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response
