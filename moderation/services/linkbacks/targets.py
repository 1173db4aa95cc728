"""Which of our posts a linkback's target URL names."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from moderation.infra.models import Post
from moderation.rules import errors
from moderation.rules.urls import Site, spellings


def find_post(session: Session, site: Site, target: str) -> Post:
    """The post `target` names: MissingTarget when it is the address of a post of ours that
    does not exist, ForeignTarget when it is neither ours nor a registered external post."""
    slug = site.post_slug(target)
    if slug is not None:
        post = session.scalar(select(Post).where(Post.slug == slug))
        if post is None:
            raise errors.MissingTarget("The target post does not exist.")
        return post
    post = session.scalar(select(Post).where(Post.url.in_(spellings(target))).limit(1))
    if post is None:
        raise errors.ForeignTarget("The target URL is not a post of this site.")
    return post
