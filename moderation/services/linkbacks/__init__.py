"""Linkbacks: other blogs telling us that they link to one of our posts (SPEC §1 (Who uses
it): Pingback 1.0, Webmention and TrackBack 1.2; SPEC §3 (Linkbacks)).

Each receiver has one shape, check → record → verify. `pingback` verifies its source
during the request, then records the entry; `webmention` and `trackback` record at once,
and `mentions` holds the job that verifies them later. `recording` is what the three
share (the caller, repeats, the flood rule, the entry and mention rows); `targets` finds
the post a target URL names; `photos` keeps webmention authors' photos. They raise
domain errors (rules.errors); web/linkback.py answers them in each protocol's terms.
"""
