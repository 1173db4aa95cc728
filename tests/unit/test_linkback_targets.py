"""Matching a linkback's target URL to one of our posts, however it is written."""

import pytest

from moderation.rules.urls import OwnSite, is_web_url, resource_key

SITE = OwnSite("https://news.example")


@pytest.mark.parametrize(
    "url",
    [
        "https://news.example/posts/a-post/",
        "http://news.example/posts/a-post/",
        "https://www.news.example/posts/a-post/",
        "https://NEWS.example/posts/a-post",
        "https://news.example:443/posts/a-post/?utm_source=x#comments",
        "https://news.example/posts/a%2Dpost/",
    ],
)
def test_our_post_is_found_however_its_url_is_written(url):
    assert SITE.post_slug(url) == "a-post"


@pytest.mark.parametrize(
    "url",
    [
        "https://other.example/posts/a-post/",
        "https://news.example:8443/posts/a-post/",
        "https://news.example/posts/a-post/comments",
        "https://news.example/about/",
        "https://news.example/",
        "https://evil.news.example/posts/a-post/",
    ],
)
def test_other_addresses_are_not_our_posts(url):
    assert SITE.post_slug(url) is None


def test_a_site_under_a_path_finds_posts_only_under_that_path():
    site = OwnSite("https://blog.example/comments")
    assert site.post_slug("https://blog.example/comments/posts/x/") == "x"
    assert site.post_slug("https://blog.example/posts/x/") is None


@pytest.mark.parametrize(
    ("one", "other", "same"),
    [
        ("http://a.example/p/", "https://www.a.example/p", True),
        ("http://a.example/p/?x=1#y", "http://a.example/p", True),
        ("http://a.example/p/", "http://a.example/q/", False),
        ("http://a.example:8080/p/", "http://a.example/p/", False),
    ],
)
def test_resource_keys_match_the_same_page_only(one, other, same):
    assert (resource_key(one) == resource_key(other)) is same


@pytest.mark.parametrize(
    ("url", "valid"),
    [
        ("http://a.example/", True),
        ("HTTPS://a.example/path?q", True),
        ("ftp://a.example/", False),
        ("javascript:alert(1)", False),
        ("/relative/path", False),
        ("http:///no-host", False),
        ("http://a.example/with space", False),
        ("http://a.example/\x00", False),
        ("http://a.example:99999/", False),
        ("http://[::1/", False),
        ("http://a.example/" + "x" * 2000, False),
        ("", False),
    ],
)
def test_web_urls_are_absolute_http_or_https(url, valid):
    assert is_web_url(url) is valid
