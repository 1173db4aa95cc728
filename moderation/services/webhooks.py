"""Webhooks (issue 14): URLs an administrator added hear of every entry that arrives,
changes status or is deleted, as a JSON POST signed as Standard Webhooks says.

An event becomes one delivery row per webhook, written in the caller's transaction with a
job each, so it is sent after the commit or never. The job POSTs it through the safe
fetcher and retries with backoff. A payload leaves our hands: it holds no email and no IP
address (SPEC §3 (Comment fields)).
"""

import base64
import json
import secrets
from collections.abc import Collection
from datetime import datetime
from urllib.parse import urlsplit

import standardwebhooks
from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from moderation.infra import address, fetch, jobs
from moderation.infra.models import Entry, Post, Webhook, WebhookDelivery, utcnow
from moderation.rules.errors import NotFound, Refused
from moderation.rules.statuses import DeliveryState
from moderation.rules.urls import is_web_url, origin
from moderation.services.accounts import Actor, record

CREATED = "entry.created"
STATUS_CHANGED = "entry.status_changed"
DELETED = "entry.deleted"
DELIVER = "webhook.deliver"  # the kind of job that POSTs one delivery
# 60 s doubling, as mail: the twelfth attempt comes about 34 hours after the first, so a
# receiver down for a night loses nothing.
DELIVER_ATTEMPTS = 12
RECENT_DELIVERIES = 50  # the deliveries the dashboard lists
SECRET_BYTES = 32  # Standard Webhooks: 24 to 64 random bytes, base64 after "whsec_"
USER_AGENT = f"{fetch.SERVICE} (webhooks)"
NOT_A_WEB_URL = "A webhook is an http:// or https:// URL of at most 2,000 characters."
NO_CREDENTIALS = "A webhook's URL holds no user name or password: the signature proves it is us."
NO_WEBHOOK = "There is no such webhook."
_IDS = "moderation.webhooks.ids"  # session.info: (its transaction, the webhook ids)
ANY = select(Webhook.id).exists()  # a column: whether any webhook is registered


def add_webhook(session: Session, actor: Actor, url: str) -> Webhook:
    """Add a URL to POST events to, with a new secret that signs them; audited."""
    url = url.strip()
    if not is_web_url(url):
        raise Refused(NOT_A_WEB_URL, "url")
    parts = urlsplit(url)
    if parts.username is not None or parts.password is not None:
        raise Refused(NO_CREDENTIALS, "url")
    if session.scalar(select(Webhook.id).where(Webhook.url == url)) is not None:
        raise Refused("That URL is a webhook already.", "url")
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")
    webhook = Webhook(url=url, secret=secret)
    session.add(webhook)
    session.flush()
    session.info.pop(_IDS, None)
    record(session, actor, "webhook-add", (), _described(webhook))
    return webhook


def remove_webhook(session: Session, actor: Actor, webhook_id: int) -> Webhook:
    """Stop POSTing to a webhook: its deliveries go with it, queued ones unsent; audited."""
    webhook = session.get(Webhook, webhook_id)
    if webhook is None:
        raise NotFound(NO_WEBHOOK)
    # The foreign key cascades too; said here so no backend's pragma decides it.
    session.execute(delete(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook_id))
    session.delete(webhook)
    session.flush()
    session.info.pop(_IDS, None)
    record(session, actor, "webhook-remove", (), _described(webhook))
    return webhook


def all_webhooks(session: Session) -> list[Webhook]:
    """Every webhook, oldest first."""
    return list(session.scalars(select(Webhook).order_by(Webhook.id)))


def recent_deliveries(session: Session) -> list[tuple[WebhookDelivery, str]]:
    """The latest deliveries, newest first, each with its webhook's URL."""
    rows = session.execute(
        select(WebhookDelivery, Webhook.url)
        .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
        .order_by(WebhookDelivery.created.desc(), WebhookDelivery.id.desc())
        .limit(RECENT_DELIVERIES)
    )
    return [(delivery, url) for delivery, url in rows]


def announce(session: Session, event: str, entry_ids: Collection[int]) -> None:
    """Queue `event` for each entry to every webhook, to be sent once the caller commits."""
    if not entry_ids:
        return
    webhook_ids = _webhook_ids(session)
    if not webhook_ids:
        return
    if event == DELETED:  # the rows are gone: their ids are all there is to tell
        data = {entry_id: {"id": entry_id} for entry_id in entry_ids}
    else:
        data = _entry_data(session, entry_ids)
    now = utcnow()
    deliveries = [
        WebhookDelivery(
            webhook_id=webhook_id,
            message_id=f"msg_{secrets.token_hex(16)}",
            event=event,
            entry_id=entry_id,
            payload=_payload(event, now, data[entry_id]),
            state=DeliveryState.QUEUED,
            attempts=0,
            error="",
        )
        for entry_id in sorted(data)
        for webhook_id in webhook_ids
    ]
    session.add_all(deliveries)
    session.flush()
    for delivery in deliveries:
        jobs.submit(session, DELIVER, delivery.id)


def _webhook_ids(session: Session) -> list[int]:
    """The webhooks' ids, looked up once per transaction: a request that moves hundreds of
    entries with no webhook pays one small SELECT."""
    transaction = session.get_transaction()
    cached = session.info.get(_IDS)
    if cached is not None and transaction is not None and cached[0] is transaction:
        return cached[1]
    ids = list(session.scalars(select(Webhook.id).order_by(Webhook.id)))
    session.info[_IDS] = (session.get_transaction(), ids)
    return ids


def _entry_data(session: Session, entry_ids: Collection[int]) -> dict[int, dict]:
    """What a webhook is told of each entry: never its email, IP address or user agent."""
    rows = session.execute(
        select(
            Entry.id,
            Entry.type,
            Entry.status,
            Entry.parent_id,
            Entry.author,
            Entry.website,
            Entry.body,
            Entry.body_html,
            Entry.source_url,
            Entry.created,
            Post.slug,
            Post.title,
            Post.url.label("post_url"),
        )
        .join(Post, Post.id == Entry.post_id)
        .where(Entry.id.in_(entry_ids))
    )
    return {
        row.id: {
            "id": row.id,
            "type": row.type.value,
            "status": row.status.value,
            "post": {
                "slug": row.slug,
                "title": row.title,
                # A post hosted elsewhere is its page; ours, our page when our address is known.
                "url": row.post_url or address.absolute_url("public.post", slug=row.slug),
            },
            "parent_id": row.parent_id,
            "author": row.author,
            "website": row.website,
            "text": row.body,
            "html": row.body_html,
            "source_url": row.source_url,
            "created": _iso(row.created),
        }
        for row in rows
    }


def _payload(event: str, when: datetime, data: dict) -> str:
    """The body as signed and sent (Standard Webhooks: type, timestamp, data)."""
    body = {"type": event, "timestamp": _iso(when), "data": data}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _described(webhook: Webhook) -> str:
    """A webhook as the audit log names it: its origin alone, for a path may hold a token."""
    return f"#{webhook.id} {origin(webhook.url)}"


def _deliver(session: Session, delivery_id: int) -> None:
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.state != DeliveryState.QUEUED:
        return  # its webhook was removed, or another attempt settled it
    webhook = session.get(Webhook, delivery.webhook_id)
    config = current_app.config
    sent = utcnow()  # a fresh timestamp and signature each attempt; the same webhook-id
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "webhook-id": delivery.message_id,
        "webhook-timestamp": str(int(sent.timestamp())),
        "webhook-signature": standardwebhooks.Webhook(webhook.secret).sign(
            delivery.message_id, sent, delivery.payload
        ),
    }
    try:
        status = fetch.post(
            webhook.url,
            delivery.payload.encode("utf-8"),
            headers,
            timeout=config["WEBHOOK_TIMEOUT"],
            allow_private=config["WEBHOOK_ALLOW_PRIVATE_HOSTS"],
        )
        reason = "" if 200 <= status < 300 else f"the receiver answered HTTP {status}"
        if 300 <= status < 400:
            reason += " (a webhook follows no redirect)"
    except fetch.FetchError as error:
        status, reason = None, str(error)
        if isinstance(error, fetch.NotAllowed):  # nothing was sent, and nothing would be
            delivery.state = DeliveryState.FAILED
    delivery.attempts += 1
    delivery.status_code, delivery.error = status, reason
    if not reason:
        delivery.state = DeliveryState.DELIVERED
    if delivery.state != DeliveryState.QUEUED:
        return
    # Retry rolls the job's session back, but the attempt happened and the dashboard shows
    # it: so this job's own session commits it first, the one commit outside an entry point.
    session.commit()
    raise jobs.Retry(reason)


def _give_up(session: Session, delivery_id: int, reason: str) -> None:
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is not None:
        delivery.state, delivery.error = DeliveryState.FAILED, reason


KIND = jobs.Kind(_deliver, _give_up, max_attempts=DELIVER_ATTEMPTS)
