"""embed.js stays small (issue 13: at most 10 kB gzipped; Isso's is 20 kB) and keeps to
what a host page's CSP allows: no eval, no inline style attribute, and HTML only from the
API's sanitised `html` fields."""

import gzip
import re
from pathlib import Path

EMBED = Path(__file__).resolve().parents[2] / "static" / "embed.js"
MAX_GZIPPED_BYTES = 10_240


def test_embed_script_is_at_most_ten_kilobytes_gzipped():
    size = len(gzip.compress(EMBED.read_bytes(), compresslevel=9))

    assert size <= MAX_GZIPPED_BYTES, f"embed.js is {size:,} bytes gzipped"


def test_embed_script_sets_html_only_from_the_apis_sanitised_fields():
    source = EMBED.read_text(encoding="utf-8")

    assigned = re.findall(r"\.(?:innerHTML|outerHTML)\s*=\s*([^;]+);", source)
    assert assigned == ["entry.html", "answer.data.html"]
    assert "insertAdjacentHTML" not in source
    assert "document.write" not in source


def test_embed_script_uses_no_eval_and_no_inline_style_attribute():
    source = EMBED.read_text(encoding="utf-8")

    for forbidden in ("eval(", "new Function", 'setAttribute("style"', "style="):
        assert forbidden not in source, forbidden
