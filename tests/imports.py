"""What the import tests (tests/http/test_import_*.py) look at after a run."""

from sqlalchemy import func, select

from moderation.infra import db
from moderation.infra.models import AuditEvent, Entry, ImportRun, Job, Post


def counts(app) -> dict[str, int]:
    """The rows an import may write, by table: entries, posts, import runs, audit lines,
    and jobs (none: an import fetches nothing and notifies nobody)."""
    with app.app_context():
        session = db.get_session()
        return {
            model.__tablename__: session.scalar(select(func.count()).select_from(model))
            for model in (Entry, Post, ImportRun, AuditEvent, Job)
        }
