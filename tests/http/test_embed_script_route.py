"""/embed.js is a public read (issue 13, cacheable reads): the same bytes for every
reader, kept by a CDN for PAGE_MAX_AGE seconds, then asked for again with its ETag."""

from tests.unit.test_embed_script import EMBED


def test_embed_script_is_served_as_javascript_that_caches_may_keep(make_app):
    client = make_app(PAGE_MAX_AGE=90).test_client()

    with client.get("/embed.js") as response:  # a file: closed when read
        body = response.get_data()

    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert body == EMBED.read_bytes()
    assert response.cache_control.public
    assert response.cache_control.max_age == 90
    assert response.headers["ETag"]
    assert "Set-Cookie" not in response.headers
    assert "Cookie" not in response.headers.get("Vary", "")
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_embed_script_answers_304_to_the_etag_a_cache_holds(client):
    with client.get("/embed.js") as response:
        etag = response.headers["ETag"]

    with client.get("/embed.js", headers={"If-None-Match": etag}) as again:
        body = again.get_data()

    assert again.status_code == 304
    assert body == b""
    assert again.cache_control.public
