"""The mail transport (issue 14): messages built with the standard library, sent to
MAIL_URL's SMTP server, or without MAIL_URL written as .eml files to the instance
folder's outbox, where the newest OUTBOX_KEEP stay.

smtp:// talks STARTTLS whenever the server offers it, and never sends a password over a
connection that is not encrypted; smtps:// is TLS from the first byte. Errors never
repeat the server's words: they may name the recipient, and they reach the job queue's
log lines and the dashboard.
"""

import contextlib
import os
import smtplib
import ssl
import tempfile
import time
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path
from urllib.parse import unquote, urlsplit

OUTBOX = "outbox"  # in the instance folder
OUTBOX_KEEP = 200
PORTS = {"smtp": 587, "smtps": 465}


class TransientFailure(Exception):
    """The server could not be reached or said "try later": send again later."""


class Undeliverable(Exception):
    """The server refused the message for good (e.g. no such recipient)."""


@dataclass(frozen=True)
class Draft:
    """What a message says; build() makes it a message."""

    sender: str  # MAIL_FROM, perhaps with a name
    recipient: str  # one address: no mail names another reader (issue 14)
    subject: str
    text: str
    html: str
    headers: tuple[tuple[str, str], ...] = ()  # e.g. List-Unsubscribe


class _Policy(EmailPolicy):
    """SMTP's policy (CRLF, lines folded at 78), but for the headers that hold URLs: folded
    there, a long one becomes encoded words, which no mail client follows (RFC 2369: a
    URL in angle brackets), so it stays on one line (RFC 5322 allows 998 characters)."""

    def fold(self, name: str, value: str) -> str:
        if name.lower() in URL_HEADERS:
            return f"{name}: {value}{self.linesep}"
        return super().fold(name, value)

    def fold_binary(self, name: str, value: str) -> bytes:
        if name.lower() in URL_HEADERS:
            return self.fold(name, value).encode("ascii")
        return super().fold_binary(name, value)


URL_HEADERS = {"list-unsubscribe"}
POLICY = _Policy(linesep="\r\n")


def build(draft: Draft) -> EmailMessage:
    """Multipart text and HTML, with Message-ID, Date and Auto-Submitted."""
    message = EmailMessage(policy=POLICY)
    message["From"] = draft.sender
    message["To"] = draft.recipient
    message["Subject"] = draft.subject
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(domain=_domain(draft.sender))
    # RFC 3834: no vacation or out-of-office replies to what a machine sent.
    message["Auto-Submitted"] = "auto-generated"
    for name, value in draft.headers:
        message[name] = value
    message.set_content(draft.text)
    message.add_alternative(draft.html, subtype="html")
    return message


def _domain(sender: str) -> str:
    return parseaddr(sender)[1].rpartition("@")[2] or "localhost"


def deliver(
    message: bytes, sender: str, recipient: str, mail_url: str | None, outbox: Path, timeout: float
) -> None:
    """Send one message to its one recipient: by SMTP, or into the outbox without
    MAIL_URL. Raises TransientFailure or Undeliverable."""
    if mail_url is None:
        write_to_outbox(outbox, message)
        return
    envelope_sender = parseaddr(sender)[1]
    try:
        with _connect(mail_url, timeout) as server:
            server.sendmail(envelope_sender, [recipient], message)
    except smtplib.SMTPRecipientsRefused as error:
        (code, _), *_ = error.recipients.values()
        raise _refused("the recipient", code) from None
    except smtplib.SMTPSenderRefused as error:
        raise _refused("the sender (MAIL_FROM)", error.smtp_code) from None
    except smtplib.SMTPDataError as error:
        raise _refused("the message", error.smtp_code) from None
    except smtplib.SMTPAuthenticationError as error:
        raise TransientFailure(
            f"the SMTP server refused MAIL_URL's user name or password ({error.smtp_code})"
        ) from None
    except (smtplib.SMTPException, OSError) as error:
        raise TransientFailure(f"the SMTP server could not be reached ({_kind(error)})") from None


def _refused(what: str, code: int) -> Exception:
    if 400 <= code < 500:
        return TransientFailure(f"the SMTP server deferred {what} ({code})")
    return Undeliverable(f"the SMTP server refused {what} ({code})")


def _kind(error: Exception) -> str:
    return type(error).__name__


@contextlib.contextmanager
def _connect(mail_url: str, timeout: float):
    parts = urlsplit(mail_url)
    host, port = parts.hostname, parts.port or PORTS[parts.scheme]
    context = ssl.create_default_context()
    if parts.scheme == "smtps":
        server = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
    else:
        server = smtplib.SMTP(host, port, timeout=timeout)
    with server:
        if parts.scheme == "smtp":
            server.ehlo()
            if server.has_extn("starttls"):
                server.starttls(context=context)
                server.ehlo()
            elif parts.username:
                raise Undeliverable(
                    "MAIL_URL has a password, but the server offers no STARTTLS: "
                    "it is not sent in the clear"
                )
        if parts.username:
            server.login(unquote(parts.username), unquote(parts.password or ""))
        yield server


def write_to_outbox(outbox: Path, message: bytes) -> Path:
    """Write the message as an .eml file, then drop all but the newest OUTBOX_KEEP."""
    outbox.mkdir(parents=True, exist_ok=True)
    # Names sort by time: a nanosecond stamp, then mkstemp's own suffix against clashes.
    fd, name = tempfile.mkstemp(dir=outbox, prefix=f"{time.time_ns():020d}-", suffix=".eml")
    with os.fdopen(fd, "wb") as handle:
        handle.write(message)
    for old in sorted(outbox.glob("*.eml"))[:-OUTBOX_KEEP]:
        old.unlink(missing_ok=True)  # another process may have taken it
    return Path(name)
