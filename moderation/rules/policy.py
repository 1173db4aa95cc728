"""What status a new entry gets, and why: plain facts in, a Decision out, no I/O.

WordPress's Discussion settings, applied to comments and linkbacks alike. The policy is
a tuple of small named checks (CHECKS), each carrying its Rule and its label on the
dashboard, as django-contrib-comments' CommentModerator names its own: decide() tries
them in order, the first that applies wins, and its reason is recorded with the entry
for moderators.
"""

import enum
import ipaddress
import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from moderation.rules.limits import REASON_MAX_CHARS
from moderation.rules.statuses import EntryType, Status

MIN_FORM_SECONDS = 3  # a form sent sooner was filled by a program
MAX_FORM_SECONDS = 2 * 3600  # the form code refuses older forms before the policy runs
WORD_MAX_CHARS = 200  # a line of a words setting is cut to this length
REASON_WORD_CHARS = 50  # a word is shown cut to this length: reasons fit entries.reason


class Rule(enum.StrEnum):
    """The rule that decided: stored with the entry, the dashboard filters by it."""

    HONEYPOT = "honeypot"
    FORM_AGE = "form-age"
    DISALLOWED_WORD = "disallowed-word"
    MODERATION_WORD = "moderation-word"
    LINKS = "links"
    KNOWN_AUTHOR = "known-author"
    HOLD_ALL = "hold-all"
    NO_RULE = "no-rule"
    MODERATOR = "moderator"  # not a rule of decide(): a moderator set the status by hand
    NO_LINK = "no-link"  # nor this: a linkback's page does not (or no longer) link here
    IMPORT = "import"  # nor this: the status came with the entry from another system


@dataclass(frozen=True)
class Rules:
    """The Discussion settings that decide a status (discussion.py stores them)."""

    hold_all: bool = True
    trust_known_authors: bool = False
    max_links: int = 2  # hold an entry with this many links or more
    moderation_words: tuple[str, ...] = ()  # hold; a line may be an IP or a CIDR range
    disallowed_words: tuple[str, ...] = ()  # spam; likewise
    min_form_seconds: float = MIN_FORM_SECONDS  # a form sent sooner is spam; 0: off


@dataclass(frozen=True)
class Facts:
    """What is known of a new entry when it arrives."""

    text: str
    name: str
    email: str
    website: str
    ip_address: str
    user_agent: str
    honeypot_filled: bool = False
    seconds_on_form: float | None = None  # None: no form (a linkback)
    author_has_approved_entry: bool = False


@dataclass(frozen=True)
class Decision:
    """The status a rule gives a new entry, the rule, and why."""

    status: Status
    rule: Rule
    reason: str  # shown to moderators

    def columns(self) -> dict[str, str]:
        """The entry's status, rule and reason, as stored."""
        return {
            "status": self.status,
            "rule": self.rule.value,
            "reason": self.reason[:REASON_MAX_CHARS],
        }


class Openable(Protocol):
    """What decides whether a post takes new entries (a models.Post)."""

    comments_open: bool
    pings_open: bool
    created: datetime


def is_open(post: Openable, entry_type: EntryType, close_after_days: int, now: datetime) -> bool:
    """Whether the post takes a new entry of this type (a reply or a ping included): its
    switch for comments, or for pings (pingbacks, trackbacks, webmentions), and its age
    when the Discussion settings close posts after `close_after_days` (0: never)."""
    switch = post.comments_open if entry_type == EntryType.COMMENT else post.pings_open
    too_old = bool(close_after_days) and post.created < now - timedelta(days=close_after_days)
    return switch and not too_old


Verdict = tuple[Status, str]  # what a check gives an entry: its status, and the reason


@dataclass(frozen=True)
class Check:
    """One rule of the policy: the Rule it stores, its label on the dashboard, and its
    test, which returns a Verdict, or None when the rule does not apply to the entry."""

    rule: Rule
    label: str
    test: Callable[[Facts, Rules], Verdict | None]

    def __call__(self, facts: Facts, rules: Rules) -> Decision | None:
        verdict = self.test(facts, rules)
        return None if verdict is None else Decision(verdict[0], self.rule, verdict[1])


def check(rule: Rule, label: str) -> Callable[[Callable[[Facts, Rules], Verdict | None]], Check]:
    """Make a test function a Check of `rule`, shown to moderators as `label`."""
    return lambda test: Check(rule, label, test)


@check(Rule.HONEYPOT, "Honeypot")
def honeypot(facts: Facts, rules: Rules) -> Verdict | None:
    """A field people never see was filled in: a program filled the form."""
    return (Status.SPAM, "spam: honeypot field filled") if facts.honeypot_filled else None


@check(Rule.FORM_AGE, "Form age")
def form_age(facts: Facts, rules: Rules) -> Verdict | None:
    """The form came back sooner than a person can fill it (a linkback has no form)."""
    seconds = facts.seconds_on_form
    if seconds is None or seconds >= rules.min_form_seconds:
        return None
    # Rounded down, so the reason never shows the "3.0" that would have passed; a clock
    # stepped back shows as 0.0.
    shown = math.floor(round(max(seconds, 0.0) * 10, 6)) / 10
    return Status.SPAM, f"spam: sent {shown:.1f} seconds after the form was shown"


@check(Rule.DISALLOWED_WORD, "Disallowed word")
def disallowed_word(facts: Facts, rules: Rules) -> Verdict | None:
    """A line of the disallowed words is in a field, or its range holds the IP: spam."""
    match = _first_match(rules.disallowed_words, facts, "disallowed")
    return None if match is None else (Status.SPAM, f"spam: {match}")


@check(Rule.MODERATION_WORD, "Moderation word")
def moderation_word(facts: Facts, rules: Rules) -> Verdict | None:
    """A line of the moderation words is in a field, or its range holds the IP: held."""
    match = _first_match(rules.moderation_words, facts, "moderation")
    return None if match is None else (Status.PENDING, f"held: {match}")


@check(Rule.LINKS, "Links")
def links(facts: Facts, rules: Rules) -> Verdict | None:
    """The text holds `max_links` links or more (0: no limit): held."""
    # WordPress counts the links of the text only, not the website field.
    count = count_links(facts.text)
    if rules.max_links <= 0 or count < rules.max_links:
        return None
    return Status.PENDING, f"held: {count} {'link' if count == 1 else 'links'}"


@check(Rule.KNOWN_AUTHOR, "Known author")
def known_author(facts: Facts, rules: Rules) -> Verdict | None:
    """The author had an entry approved before, and the settings trust known authors."""
    if rules.trust_known_authors and facts.author_has_approved_entry:
        return Status.APPROVED, "approved: known author"
    return None


@check(Rule.HOLD_ALL, "Hold every entry")
def hold_all(facts: Facts, rules: Rules) -> Verdict | None:
    """The settings hold every entry for a moderator."""
    return (Status.PENDING, "held for a moderator") if rules.hold_all else None


@check(Rule.NO_RULE, "No rule")
def no_rule(facts: Facts, rules: Rules) -> Verdict:
    """Nothing held the entry: it is approved. Always applies, so it comes last."""
    return Status.APPROVED, "approved: no rule held it"


# The policy, in the order the rules are tried: the first that applies decides.
CHECKS: tuple[Check, ...] = (
    honeypot,
    form_age,
    disallowed_word,
    moderation_word,
    links,
    known_author,
    hold_all,
    no_rule,
)
# Every rule's label for the dashboard: the checks', and those of the three statuses that
# decide() never gives (a moderator's hand, a linkback that does not link here, an
# import).
LABELS: dict[Rule, str] = {
    **{each.rule: each.label for each in CHECKS},
    Rule.MODERATOR: "Moderator",
    Rule.NO_LINK: "No link back",
    Rule.IMPORT: "Imported",
}


def decide(facts: Facts, rules: Rules) -> Decision:
    """Choose the first status of a new entry; the first matching rule wins."""
    for each in CHECKS:
        decision = each(facts, rules)
        if decision is not None:
            return decision
    raise AssertionError("no_rule always applies")


def word_list(text: str) -> tuple[str, ...]:
    """The lines of a moderation or disallowed words setting: trimmed, blank ones dropped."""
    words: dict[str, None] = {}  # a dict keeps the first of each line, in order
    for line in text.splitlines():
        word = line.strip()[:WORD_MAX_CHARS].rstrip()
        if word:
            words.setdefault(word)
    return tuple(words)


# An <a> tag with an href: what WordPress's check_comment counts ('<a [^>]*href').
_LINK_TAG = re.compile(r"<a\s[^>]*href", re.IGNORECASE)
# An <a> element, content and all: a URL written inside a link is not another link.
# An unclosed one runs to the end, as an HTML parser reads it.
_LINK_ELEMENT = re.compile(r"<a\b[^>]*>.*?(?:</a\s*>|\Z)", re.IGNORECASE | re.DOTALL)
# Any other tag, comment or declaration: a URL in an attribute is not linkified.
_TAG = re.compile(r"<[a-z/!?][^>]*(?:>|\Z)", re.IGNORECASE)
# A bare URL that bleach would linkify; "http://www.x" is one match, not two.
_BARE_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"']+", re.IGNORECASE)


def count_links(text: str) -> int:
    """How many links a text holds, as WordPress counts them (<a href and bare URLs)."""
    # WordPress counts only <a href tags; comments here are plain text that bleach
    # linkifies, so bare http(s):// and www. URLs outside any tag count too. (Bare
    # domains such as "example.com", which bleach also linkifies, are not counted.)
    bare_text = _TAG.sub(" ", _LINK_ELEMENT.sub(" ", text))
    return len(_LINK_TAG.findall(text)) + len(_BARE_URL.findall(bare_text))


_Address = ipaddress.IPv4Address | ipaddress.IPv6Address
_Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class _Fields:
    """The entry's fields as words are matched against them, in WordPress's order."""

    folded: tuple[tuple[str, str], ...]  # (name shown in reasons, casefolded value)
    addresses: tuple[_Address, ...]  # the caller's IP, and its IPv4 when v4-mapped

    @classmethod
    def of(cls, facts: Facts) -> "_Fields":
        values = (
            ("text", facts.text),
            ("name", facts.name),
            ("email", facts.email),
            ("website", facts.website),
            ("IP address", facts.ip_address),
            ("user agent", facts.user_agent),
        )
        folded = tuple((name, value.casefold()) for name, value in values)
        return cls(folded, _addresses(facts.ip_address))


def _addresses(ip: str) -> tuple[_Address, ...]:
    """The caller's address, plus its IPv4 form when it is IPv4-mapped IPv6."""
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return ()  # no usable address: address lines cannot match it
    mapped = getattr(address, "ipv4_mapped", None)
    return (address,) if mapped is None else (address, mapped)


def _network(word: str) -> _Network | None:
    """The address or CIDR range a line names, or None for an ordinary word."""
    try:
        return ipaddress.ip_network(word, strict=False)
    except ValueError:
        return None


def _clean(word: str) -> str:
    """The word without control characters, trimmed."""
    return "".join(c for c in word if unicodedata.category(c) != "Cc").strip()


def already_matched(words: list[str], word: str) -> bool:
    """Whether a line of a words list matches whatever `word` would: a word that is part
    of it (matching is by substring, ignoring case), or for an address or a range, a
    range that holds it."""
    network = _network(word)
    needle = word.casefold()
    for raw in words:
        line = _clean(raw)
        if not line:
            continue
        line_network = _network(line)
        if network is not None and line_network is not None:
            if network.version == line_network.version and network.subnet_of(line_network):
                return True
        elif network is None and line_network is None and line.casefold() in needle:
            return True
    return False


def _first_match(words: tuple[str, ...], facts: Facts, kind: str) -> str | None:
    """Describe the first word (in list order) that matches, naming its first field."""
    if not words:
        return None
    fields = _Fields.of(facts)
    for raw in words:
        word = _clean(raw)
        if not word:
            continue  # an empty word would match every entry
        shown = word[:REASON_WORD_CHARS]
        network = _network(word)
        if network is not None:
            # An address line is matched against the IP only, by containment.
            if any(address in network for address in fields.addresses):
                return f"{kind} address '{shown}' matches the IP address"
            continue
        needle = word.casefold()
        for name, value in fields.folded:
            if needle in value:  # a plain substring: user input never becomes a regex
                return f"{kind} word '{shown}' in {name}"
    return None
