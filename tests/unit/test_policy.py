"""The moderation policy (issue 6): plain facts in, a status, its rule and its reason out."""

from dataclasses import replace

import pytest

from moderation.rules.policy import (
    CHECKS,
    LABELS,
    Decision,
    Facts,
    Rule,
    Rules,
    already_matched,
    count_links,
    decide,
    word_list,
)
from moderation.rules.statuses import Status

# A reader's comment that no rule objects to; each test changes only what it is about.
PLAIN = Facts(
    text="Thanks for the clear write-up.",
    name="Ada",
    email="ada@example.org",
    website="https://ada.example.org",
    ip_address="192.0.2.10",
    user_agent="Mozilla/5.0 (X11; Linux x86_64)",
    seconds_on_form=40.0,
)
OPEN = Rules(hold_all=False)  # nothing is held unless a rule holds it
TWO_LINKS = "see http://a.example and http://b.example"


def facts(**changes) -> Facts:
    return replace(PLAIN, **changes)


def test_default_rules_are_the_discussion_defaults_of_the_issue():
    assert Rules() == Rules(
        hold_all=True,
        trust_known_authors=False,
        max_links=2,
        moderation_words=(),
        disallowed_words=(),
    )


@pytest.mark.parametrize(
    ("entry", "rules", "decision"),
    [
        pytest.param(
            facts(honeypot_filled=True),
            OPEN,
            Decision(Status.SPAM, Rule.HONEYPOT, "spam: honeypot field filled"),
            id="honeypot",
        ),
        pytest.param(
            facts(seconds_on_form=1.23),
            OPEN,
            Decision(Status.SPAM, Rule.FORM_AGE, "spam: sent 1.2 seconds after the form was shown"),
            id="form-age",
        ),
        pytest.param(
            facts(website="https://casino.example"),
            Rules(hold_all=False, disallowed_words=("casino",)),
            Decision(
                Status.SPAM, Rule.DISALLOWED_WORD, "spam: disallowed word 'casino' in website"
            ),
            id="disallowed-word",
        ),
        pytest.param(
            facts(text="Cheap viagra here"),
            Rules(hold_all=False, moderation_words=("viagra",)),
            Decision(
                Status.PENDING, Rule.MODERATION_WORD, "held: moderation word 'viagra' in text"
            ),
            id="moderation-word",
        ),
        pytest.param(
            facts(text="http://a.example http://b.example http://c.example"),
            OPEN,
            Decision(Status.PENDING, Rule.LINKS, "held: 3 links"),
            id="links",
        ),
        pytest.param(
            facts(author_has_approved_entry=True),
            Rules(hold_all=False, trust_known_authors=True),
            Decision(Status.APPROVED, Rule.KNOWN_AUTHOR, "approved: known author"),
            id="known-author",
        ),
        pytest.param(
            PLAIN,
            Rules(),
            Decision(Status.PENDING, Rule.HOLD_ALL, "held for a moderator"),
            id="hold-all",
        ),
        pytest.param(
            PLAIN,
            OPEN,
            Decision(Status.APPROVED, Rule.NO_RULE, "approved: no rule held it"),
            id="no-rule",
        ),
    ],
)
def test_each_rule_alone_gives_its_status_rule_and_reason(entry, rules, decision):
    assert decide(entry, rules) == decision


def test_the_checks_run_in_the_order_of_the_rules_and_every_rule_has_a_label():
    decided = [rule for rule in Rule if rule not in (Rule.MODERATOR, Rule.NO_LINK, Rule.IMPORT)]
    assert [check.rule for check in CHECKS] == decided
    assert set(LABELS) == set(Rule) and all(LABELS.values())


@pytest.mark.parametrize(
    ("entry", "rules", "status", "rule"),
    [
        pytest.param(
            facts(honeypot_filled=True, text="casino"),
            Rules(disallowed_words=("casino",)),
            Status.SPAM,
            Rule.HONEYPOT,
            id="honeypot-over-disallowed-word",
        ),
        pytest.param(
            facts(seconds_on_form=1.0, text="casino"),
            Rules(disallowed_words=("casino",)),
            Status.SPAM,
            Rule.FORM_AGE,
            id="form-age-over-disallowed-word",
        ),
        pytest.param(
            facts(text="casino viagra"),
            Rules(disallowed_words=("casino",), moderation_words=("viagra",)),
            Status.SPAM,
            Rule.DISALLOWED_WORD,
            id="disallowed-word-over-moderation-word",
        ),
        pytest.param(
            facts(text=f"viagra: {TWO_LINKS}"),
            Rules(hold_all=False, moderation_words=("viagra",)),
            Status.PENDING,
            Rule.MODERATION_WORD,
            id="moderation-word-over-links",
        ),
        pytest.param(
            facts(text=TWO_LINKS, author_has_approved_entry=True),
            Rules(hold_all=False, trust_known_authors=True),
            Status.PENDING,
            Rule.LINKS,
            id="links-over-known-author",
        ),
        pytest.param(
            facts(author_has_approved_entry=True),
            Rules(hold_all=True, trust_known_authors=True),
            Status.APPROVED,
            Rule.KNOWN_AUTHOR,
            id="known-author-over-hold-all",
        ),
        pytest.param(
            facts(author_has_approved_entry=True),
            Rules(hold_all=True, trust_known_authors=False),
            Status.PENDING,
            Rule.HOLD_ALL,
            id="known-author-untrusted-is-held",
        ),
        pytest.param(
            facts(author_has_approved_entry=True),
            Rules(hold_all=False, trust_known_authors=False),
            Status.APPROVED,
            Rule.NO_RULE,
            id="hold-all-off-and-nothing-matching",
        ),
    ],
)
def test_the_earlier_rule_wins_when_several_match(entry, rules, status, rule):
    decision = decide(entry, rules)
    assert (decision.status, decision.rule) == (status, rule)


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        pytest.param(0.0, "0.0", id="at-once"),
        pytest.param(1.25, "1.2", id="one-decimal"),
        pytest.param(2.99, "2.9", id="rounded-down-never-shows-3.0"),
        pytest.param(-4.0, "0.0", id="clock-stepped-back"),
    ],
)
def test_a_form_sent_within_3_seconds_is_spam_with_its_age_in_the_reason(seconds, shown):
    decision = decide(facts(seconds_on_form=seconds), OPEN)
    assert decision == Decision(
        Status.SPAM, Rule.FORM_AGE, f"spam: sent {shown} seconds after the form was shown"
    )


@pytest.mark.parametrize(
    "seconds",
    [
        pytest.param(3.0, id="exactly-3-seconds"),
        pytest.param(7200.0, id="two-hours"),
        pytest.param(None, id="no-form-a-linkback"),
    ],
)
def test_a_form_sent_after_3_seconds_or_no_form_passes_the_form_age_rule(seconds):
    assert decide(facts(seconds_on_form=seconds), OPEN).rule == Rule.NO_RULE


@pytest.mark.parametrize(
    ("changes", "word", "reason"),
    [
        pytest.param({"text": "Visit our casino"}, "casino", "'casino' in text", id="text"),
        pytest.param({"name": "Casino Royale"}, "casino", "'casino' in name", id="name"),
        pytest.param({"email": "win@casino.example"}, "casino", "'casino' in email", id="email"),
        pytest.param(
            {"website": "https://casino.example"}, "casino", "'casino' in website", id="website"
        ),
        pytest.param(
            {"ip_address": "198.51.100.23"},
            "198.51.100.",  # not an address: an ordinary word, matched inside the IP
            "'198.51.100.' in IP address",
            id="ip-address",
        ),
        pytest.param(
            {"user_agent": "CasinoBot/1.0"}, "casino", "'casino' in user agent", id="user-agent"
        ),
        pytest.param(
            {"text": "casino"}, "CASINO", "'CASINO' in text", id="case-insensitive-as-written"
        ),
        pytest.param({"text": "a class act"}, "ass", "'ass' in text", id="inside-words"),
        pytest.param(
            {"name": "casino fan", "website": "https://casino.example"},
            "casino",
            "'casino' in name",
            id="first-field-named-name-before-website",
        ),
        pytest.param(
            {"text": "casino", "user_agent": "CasinoBot/1.0"},
            "casino",
            "'casino' in text",
            id="first-field-named-text-before-user-agent",
        ),
        pytest.param({"text": "casino"}, "  casino \t", "'casino' in text", id="trimmed"),
        pytest.param(
            {"text": "casino"}, "cas\x00in\x7fo", "'casino' in text", id="control-chars-stripped"
        ),
        pytest.param(
            {"text": "as 1+1=(2) shows"}, "1+1=(2)", "'1+1=(2)' in text", id="plain-substring"
        ),
        pytest.param(
            {"text": "see " + "0123456789" * 7},
            "0123456789" * 6,
            "'" + "0123456789" * 5 + "' in text",
            id="shown-cut-to-50-characters",
        ),
    ],
)
def test_a_disallowed_word_matches_each_field_and_names_the_first(changes, word, reason):
    decision = decide(facts(**changes), Rules(disallowed_words=(word,)))
    assert decision == Decision(
        Status.SPAM, Rule.DISALLOWED_WORD, f"spam: disallowed word {reason}"
    )


def test_the_first_word_of_the_list_that_matches_is_named():
    entry = facts(text="casino", name="poker")
    decision = decide(entry, Rules(disallowed_words=("poker", "casino")))
    assert decision.reason == "spam: disallowed word 'poker' in name"


@pytest.mark.parametrize(
    ("changes", "word"),
    [
        pytest.param({"text": "casino"}, "c.sino", id="no-regex-from-the-word"),
        pytest.param({"text": "casino"}, "", id="empty"),
        pytest.param({"text": "casino"}, "   \t ", id="blank"),
        pytest.param({"text": "casino"}, "\x00\x1b", id="only-control-chars"),
        pytest.param({"text": "my server is 203.0.113.7"}, "203.0.113.7", id="address-in-text"),
        pytest.param({"name": "203.0.113.7"}, "203.0.113.7", id="address-in-name"),
        pytest.param({"text": "we own 198.51.100.0/24"}, "198.51.100.0/24", id="range-in-text"),
        pytest.param({"website": "http://[2001:db8::1]/"}, "2001:db8::1", id="v6-in-website"),
    ],
)
def test_a_word_that_is_blank_or_an_address_does_not_match_the_text(changes, word):
    decision = decide(facts(**changes), Rules(hold_all=False, disallowed_words=(word,)))
    assert decision.rule == Rule.NO_RULE


@pytest.mark.parametrize(
    ("line", "caller"),
    [
        pytest.param("203.0.113.7", "203.0.113.7", id="v4-address"),
        pytest.param("198.51.100.0/24", "198.51.100.200", id="v4-range"),
        pytest.param("198.51.100.7/24", "198.51.100.1", id="v4-range-with-host-bits"),
        pytest.param("2001:db8::/32", "2001:db8:1::5", id="v6-range"),
        pytest.param("2001:DB8::1", "2001:db8::1", id="v6-address-shown-as-written"),
        pytest.param("198.51.100.0/24", "::ffff:198.51.100.7", id="v4-mapped-caller"),
        pytest.param(" 203.0.113.7 ", "203.0.113.7", id="trimmed"),
    ],
)
def test_an_address_line_matches_the_ip_address_it_contains(line, caller):
    decision = decide(facts(ip_address=caller), Rules(disallowed_words=(line,)))
    reason = f"spam: disallowed address '{line.strip()}' matches the IP address"
    assert decision == Decision(Status.SPAM, Rule.DISALLOWED_WORD, reason)


@pytest.mark.parametrize(
    ("line", "caller"),
    [
        pytest.param("198.51.100.0/24", "198.51.101.1", id="outside-the-v4-range"),
        pytest.param("203.0.113.7", "203.0.113.70", id="containment-not-substring"),
        pytest.param("2001:db8::/32", "2001:db9::1", id="outside-the-v6-range"),
        pytest.param("198.51.100.0/24", "2001:db8::1", id="v6-caller-v4-range"),
        pytest.param("198.51.100.0/24", "", id="no-caller-address"),
        pytest.param("198.51.100.0/24", "unknown", id="unparseable-caller-address"),
    ],
)
def test_an_address_line_passes_an_ip_address_outside_it(line, caller):
    decision = decide(facts(ip_address=caller), Rules(hold_all=False, disallowed_words=(line,)))
    assert decision.rule == Rule.NO_RULE


def test_a_moderation_address_line_holds_the_entry_and_says_so():
    rules = Rules(hold_all=False, moderation_words=("203.0.113.0/24",))
    decision = decide(facts(ip_address="203.0.113.9"), rules)
    assert decision == Decision(
        Status.PENDING,
        Rule.MODERATION_WORD,
        "held: moderation address '203.0.113.0/24' matches the IP address",
    )


@pytest.mark.parametrize(
    ("changes", "max_links", "decision"),
    [
        pytest.param(
            {"text": "see http://a.example"},
            1,
            Decision(Status.PENDING, Rule.LINKS, "held: 1 link"),
            id="one-link-singular",
        ),
        pytest.param(
            {"text": TWO_LINKS},
            2,
            Decision(Status.PENDING, Rule.LINKS, "held: 2 links"),
            id="as-many-as-the-setting",
        ),
        pytest.param(
            {"text": "see http://a.example"},
            2,
            Decision(Status.APPROVED, Rule.NO_RULE, "approved: no rule held it"),
            id="fewer-than-the-setting",
        ),
        pytest.param(
            {"text": TWO_LINKS + " http://c.example http://d.example"},
            0,
            Decision(Status.APPROVED, Rule.NO_RULE, "approved: no rule held it"),
            id="zero-disables-the-rule",
        ),
        pytest.param(
            {"text": "no links", "website": "https://ada.example.org"},
            1,
            Decision(Status.APPROVED, Rule.NO_RULE, "approved: no rule held it"),
            id="website-is-not-counted",
        ),
    ],
)
def test_an_entry_with_max_links_or_more_in_its_text_is_held(changes, max_links, decision):
    assert decide(facts(**changes), Rules(hold_all=False, max_links=max_links)) == decision


@pytest.mark.parametrize(
    ("setting", "words"),
    [
        pytest.param("", (), id="empty"),
        pytest.param("casino\nviagra", ("casino", "viagra"), id="one-a-line"),
        pytest.param("  casino \n\tviagra\t", ("casino", "viagra"), id="trimmed"),
        pytest.param("casino\n\n   \nviagra\n", ("casino", "viagra"), id="blanks-dropped"),
        pytest.param("casino\r\nviagra\rpoker", ("casino", "viagra", "poker"), id="any-newline"),
        pytest.param("viagra\ncasino\nviagra", ("viagra", "casino"), id="duplicates-dropped"),
        pytest.param("Casino\ncasino", ("Casino", "casino"), id="exact-duplicates-only"),
        pytest.param("x" * 250, ("x" * 200,), id="cut-to-200"),
        pytest.param("x" * 199 + " y", ("x" * 199,), id="cut-then-trimmed"),
    ],
)
def test_word_list_trims_drops_blanks_and_duplicates_and_cuts_long_lines(setting, words):
    assert word_list(setting) == words


@pytest.mark.parametrize(
    ("text", "links"),
    [
        pytest.param("", 0, id="empty"),
        pytest.param("no links here", 0, id="no-links"),
        pytest.param("see http://a.example and https://b.example", 2, id="bare-urls"),
        pytest.param('<a href="http://a.example">x</a>', 1, id="link-tag-once"),
        pytest.param('<A HREF="http://a.example">x</A>', 1, id="link-tag-any-case"),
        pytest.param("www.example.com", 1, id="www"),
        pytest.param("http://www.example.com", 1, id="www-in-a-url-once"),
        pytest.param("HTTPS://A.EXAMPLE", 1, id="scheme-any-case"),
        pytest.param('<a href="http://a.example">http://b.example</a>', 1, id="url-in-a-link"),
        pytest.param('<a href="http://a.example">x</a> http://b.example', 2, id="tag-and-bare"),
        pytest.param('<a title="t" href="http://a.example">x</a><a href="/y">y</a>', 2, id="two"),
        pytest.param('<img src="http://a.example/i.png">', 0, id="url-inside-another-tag"),
        pytest.param("<a name='n'>x</a>", 0, id="link-tag-without-href"),
        pytest.param("example.com", 0, id="bare-domain-not-counted"),
        pytest.param("awww.example.com", 0, id="www-inside-a-word"),
    ],
)
def test_count_links_counts_link_tags_and_bare_urls_once_each(text, links):
    assert count_links(text) == links


@pytest.mark.parametrize(
    ("words", "word", "matched"),
    [
        pytest.param(["Spammer@Shady.example"], "spammer@shady.example", True, id="same-word"),
        pytest.param(["shady.example"], "spammer@shady.example", True, id="part-of-it"),
        pytest.param(["spammer@shady.example"], "shady.example", False, id="wider-word"),
        pytest.param(["203.0.113.0/24"], "203.0.113.66", True, id="address-in-range"),
        pytest.param(["203.0.113.0/24"], "203.0.113.128/25", True, id="range-in-range"),
        pytest.param(["203.0.113.66"], "203.0.113.0/24", False, id="range-over-address"),
        pytest.param(["2001:db8::/32"], "2001:db8::1", True, id="ipv6-in-range"),
        pytest.param(["2001:db8::/32"], "203.0.113.66", False, id="other-version"),
        pytest.param(["203.0"], "203.0.113.66", False, id="word-is-no-range"),
        pytest.param(["", "  "], "anything", False, id="blank-lines-match-nothing"),
    ],
)
def test_already_matched_knows_what_a_words_list_catches(words, word, matched):
    assert already_matched(words, word) is matched
