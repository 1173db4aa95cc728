"""Which of our posts a linkback's target URL names."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from moderation.infra.models import Post
from moderation.rules import errors
from moderation.rules.urls import OwnSite, spellings
from moderation.services import sites


def find_post(session: Session, site: OwnSite, target: str) -> Post:
    """The post `target` names, the thread of a page on a registered site made on first use:
    MissingTarget when it is the address of a post of ours that does not exist,
    ForeignTarget when it is neither ours, nor a registered external post, nor on a site."""
    slug = site.post_slug(target)
    if slug is not None:
        post = session.scalar(select(Post).where(Post.slug == slug))
        if post is None:
            raise errors.MissingTarget("The target post does not exist.")
        return post
    post = session.scalar(select(Post).where(Post.url.in_(spellings(target))).limit(1))
    if post is not None:
        return post
    # Issue 13: a page of a registered site takes linkbacks before it has a post; its
    # thread is made here, and kept only if the caller commits (the ping succeeded).
    if sites.site_for(session, target) is not None:
        return sites.thread_for(session, target)
    raise errors.ForeignTarget("The target URL is not a post of this site.")
