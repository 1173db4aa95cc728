"""Which of our posts a linkback's target URL names."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from moderation.infra.models import Post
from moderation.rules.urls import Site, spellings


class UnknownTarget(Exception):
    """The URL names none of our posts. `certain` when it is ours and surely absent."""

    def __init__(self, certain: bool):
        super().__init__("unknown target")
        self.certain = certain


def find_post(session: Session, site: Site, target: str) -> Post:
    """The post `target` names, or UnknownTarget."""
    slug = site.post_slug(target)
    if slug is not None:
        post = session.scalar(select(Post).where(Post.slug == slug))
        if post is None:
            raise UnknownTarget(certain=True)
        return post
    post = session.scalar(select(Post).where(Post.url.in_(spellings(target))).limit(1))
    if post is None:
        raise UnknownTarget(certain=False)
    return post
