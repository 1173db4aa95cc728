"""The demo post a new user sees at once: an article, a pingback and a short thread."""

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from moderation.infra.models import Entry, Post, utcnow
from moderation.rules import policy
from moderation.rules.statuses import EntryType, Status
from moderation.services import comments, moderating, posts
from moderation.services.accounts import Actor
from moderation.services.linkbacks import recording

SLUG = "river-bridge-reopens"
TITLE = "Old river bridge reopens after two years of repairs"
BODY = """\
<p>The stone bridge over the river reopened to walkers and cyclists on Saturday
morning, two years after engineers closed it when a survey found the
foundations of its middle pier had been scoured by floods.</p>

<h2>What was repaired</h2>
<p>Divers spent the first winter mapping the riverbed around the piers. The
repair crew then built a steel cofferdam around the middle pier, pumped it dry
and filled the voids beneath the foundation with grout. Above the water, masons
replaced 340 weathered stones, matching the original sandstone from the same
quarry that supplied it in 1868.</p>
<p>The deck now carries a wider footway and a separate lane for bicycles.
Cars remain banned, as they have been since the bypass opened.</p>

<h2>Cost and schedule</h2>
<p>The work cost 4.2 million, a little under the council's estimate, and
finished six weeks late. The council blames a wet spring that kept the river
too high for the divers for most of April.</p>

<h2>What comes next</h2>
<p>Lighting along the deck will be switched on next month. A plaque naming the
masons who worked on the original bridge, found in the parish records during
the repairs, will be unveiled at the same time.</p>
"""

PINGBACK = (
    "https://example.org/2026/11/a-walk-across-the-old-bridge/",
    "A walk across the old bridge | Riverside Notes",
    "[…] the masons matched the 1868 sandstone so well that you cannot tell "
    "the new stones from the old, as the <em>Gazette</em> reports […]",
)
FIRST = comments.Submission(
    policy.Facts(
        text="Walked across it this morning. The new cycle lane is a big improvement,\n"
        "and the stonework looks wonderful.",
        name="Maria Lopez",
        email="maria@example.com",
        website="https://maria.example.net/",
        ip_address="192.0.2.10",
        user_agent="demo",
    )
)
REPLY_TEXT = (
    "Agreed! Does anyone know whether the lights will be on all night,\nor only until midnight?"
)


def loaded(session: Session) -> bool:
    """Whether the demo post is there already."""
    return session.scalar(select(Post.id).where(Post.slug == SLUG)) is not None


def load(session: Session) -> Post:
    """Create the demo post with one approved pingback and two approved comments."""
    post = posts.create_post(session, SLUG, TITLE, BODY)
    now = utcnow()
    pingback = recording.record_linkback(session, post, EntryType.PINGBACK, *PINGBACK)
    first = comments.submit_comment(session, post.slug, FIRST).id
    _approve(session, pingback.id, first)
    reply = comments.submit_comment(
        session,
        post.slug,
        comments.Submission(
            policy.Facts(
                text=REPLY_TEXT,
                name="Tom Becker",
                email="tom@example.com",
                website="",
                ip_address="192.0.2.11",
                user_agent="demo",
            ),
            parent_id=first,
        ),
    ).id
    _approve(session, reply)
    ages = {pingback.id: timedelta(days=2), first: timedelta(hours=20), reply: timedelta(hours=3)}
    for entry_id, age in ages.items():
        session.execute(
            update(Entry).where(Entry.id == entry_id).values(created=now - age, updated=now - age)
        )
    post.created = now - timedelta(days=2, hours=5)
    return post


def _approve(session: Session, *ids: int) -> None:
    moderating.set_status(session, Actor(None, "demo", ""), ids, Status.APPROVED)
