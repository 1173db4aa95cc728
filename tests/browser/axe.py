"""axe-core in the browser: check the page as it stands and list what it finds.

axe-core is vendored from npm (vendor/axe-core/README.md says which version). It is
evaluated through the DevTools protocol, which the page's Content-Security-Policy does not
govern, so the pages are checked under their real CSP. axe needs JavaScript on in the
context: its checks run on timers.
"""

from pathlib import Path

AXE_VERSION = "4.14.1"
# Every rule axe runs by default, and WCAG 2.2's target size (off by default): the
# dashboard is used on phones.
OPTIONS = {"rules": {"target-size": {"enabled": True}}}
AXE_SOURCE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"


def violations(page) -> list[dict]:
    """Run every axe rule but the experimental ones on the page; return the violations."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE_SOURCE.read_text(encoding="utf-8"))
    assert page.evaluate("axe.version") == AXE_VERSION
    return page.evaluate(
        "options => axe.run(document, options).then(results => results.violations)", OPTIONS
    )


def report(found: list[dict]) -> str:
    """The violations one a line: rule id, what it asks, and the elements that break it."""
    lines = []
    for violation in found:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"]:
            lines.append(f"    {' '.join(map(str, node['target']))}: {node['failureSummary']!r}")
    return "\n".join(lines)


def assert_accessible(page) -> None:
    """Fail with a readable list when axe finds anything wrong with the page."""
    found = violations(page)
    assert not found, f"axe found on {page.url}:\n{report(found)}"
