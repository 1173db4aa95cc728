"""What makes two comments the same (issue 6: a duplicate is refused): one digest of
all five fields."""

from dataclasses import replace

import pytest

from moderation.rules.policy import Facts
from moderation.services.comments import Submission, comment_fingerprint

FACTS = Facts("Nice bridge.", "Ada", "ada@example.net", "", "192.0.2.1", "ua")


def said(parent_id: int | None = None, **changed) -> Submission:
    """The comment of FACTS, with the fields given changed."""
    return Submission(replace(FACTS, **changed), parent_id)


SAID = said()


def test_the_same_comment_has_the_same_fingerprint_whatever_else_differs():
    elsewhere = said(website="https://ada.example/", ip_address="198.51.100.7")
    assert comment_fingerprint(1, elsewhere) == comment_fingerprint(1, SAID)


@pytest.mark.parametrize(
    "changed",
    [
        {"text": "Nice bridge!"},
        {"name": "Ada L."},
        {"email": "ada@example.org"},
        {"parent_id": 7},
        # Fields cannot run into each other: no separator inside a field fools it.
        {"name": 'Ada", "ada@example.net', "email": ""},
    ],
)
def test_any_field_of_the_five_makes_another_comment(changed):
    assert comment_fingerprint(1, said(**changed)) != comment_fingerprint(1, SAID)


def test_another_post_makes_another_comment():
    assert comment_fingerprint(2, SAID) != comment_fingerprint(1, SAID)


def test_any_text_has_a_fingerprint_even_a_lone_surrogate():
    odd = said(text="\ud800 and \x00")
    assert len(comment_fingerprint(1, odd)) == 64
