"""Which of our posts a linkback's target URL names."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from moderation.infra.models import Post
from moderation.rules import errors
from moderation.rules.urls import OwnSite, spellings
from moderation.services import sites


def find_post(session: Session, site: OwnSite, target: str) -> Post | None:
    """The post `target` names, or None for a page of a registered site that has no thread
    yet (nothing is made): MissingTarget when it is the address of a post of ours that does
    not exist, ForeignTarget when it is neither ours, nor a registered external post, nor on
    a registered site."""
    slug = site.post_slug(target)
    if slug is not None:
        post = session.scalar(select(Post).where(Post.slug == slug))
        if post is None:
            raise errors.MissingTarget("The target post does not exist.")
        return post
    return find_page_post(session, target)


def find_page_post(session: Session, target: str) -> Post | None:
    """The post of a page hosted elsewhere that `target` names, a registered external post
    or a registered site's thread; None when such a page has no thread yet; ForeignTarget
    when the page is on no registered site."""
    post = session.scalar(select(Post).where(Post.url.in_(spellings(target))).limit(1))
    if post is not None:
        return post
    if sites.site_for(session, target) is not None:
        return sites.find_thread(session, target)
    raise errors.ForeignTarget("The target URL is not a post of this site.")
