"""What a site and a thread are called: urls.origin and urls.canonical_url (issue 13)."""

import pytest

from moderation.rules.urls import canonical_url, origin


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://blog.example", "https://blog.example"),
        ("https://Blog.Example/2026/post/?p=1#c", "https://blog.example"),
        ("HTTPS://BLOG.EXAMPLE/", "https://blog.example"),
        ("http://blog.example:80/", "http://blog.example"),
        ("https://blog.example:443/", "https://blog.example"),
        ("http://blog.example:443/", "http://blog.example:443"),
        ("https://blog.example:80/", "https://blog.example:80"),
        ("https://blog.example:8443/x", "https://blog.example:8443"),
        ("https://user:secret@blog.example/", "https://blog.example"),
        ("http://[2001:DB8::1]:8080/p", "http://[2001:db8::1]:8080"),
        ("https://[::1]/", "https://[::1]"),
        ("http://127.0.0.1:5000/page", "http://127.0.0.1:5000"),
        ("  https://blog.example/  ", "https://blog.example"),
    ],
)
def test_origin_is_scheme_host_and_any_other_than_the_default_port(url, expected):
    assert origin(url) == expected


@pytest.mark.parametrize(
    "url", ["", "blog.example", "/2026/post/", "https://", "https://blog.example:99999/"]
)
def test_an_address_with_no_scheme_or_host_has_no_origin(url):
    with pytest.raises(ValueError):
        origin(url)


@pytest.mark.parametrize(
    ("url", "keep_query", "expected"),
    [
        ("https://blog.example", False, "https://blog.example/"),
        ("https://Blog.Example/2026/Post/", False, "https://blog.example/2026/Post/"),
        ("https://blog.example/2026/post#comments", False, "https://blog.example/2026/post"),
        ("https://blog.example/post?utm_source=feed", False, "https://blog.example/post"),
        ("https://blog.example/?p=12#c3", True, "https://blog.example/?p=12"),
        ("https://blog.example/?p=12&a=b", True, "https://blog.example/?p=12&a=b"),
        ("https://blog.example/post?", True, "https://blog.example/post"),
        ("https://blog.example/post", True, "https://blog.example/post"),
        ("HTTP://BLOG.EXAMPLE:80/a%20b", False, "http://blog.example/a%20b"),
        ("https://blog.example:8443", False, "https://blog.example:8443/"),
        ("http://[::1]:8080/x?y=1", True, "http://[::1]:8080/x?y=1"),
    ],
)
def test_canonical_url_is_origin_and_path_and_the_query_when_kept(url, keep_query, expected):
    assert canonical_url(url, keep_query=keep_query) == expected
