"""Forms as a browser sends them, read from the page the app rendered.

A test that posts a form builds nothing by hand: it takes the form's action, method
and every field a browser would send (hidden ones and the CSRF token included) from
the page, then changes only what the person would type or tick.
"""

from dataclasses import dataclass, field, replace
from urllib.parse import urljoin

from bs4 import BeautifulSoup, Tag
from werkzeug.datastructures import MultiDict

# Inputs whose value a browser sends as it stands; checkboxes and radios only when checked.
_VALUE_INPUTS = {
    "",
    "hidden",
    "text",
    "email",
    "url",
    "search",
    "password",
    "number",
    "tel",
    "date",
}
_BUTTON_TYPES = {"submit", "image", "button", "reset"}


@dataclass(frozen=True)
class Form:
    """A form on a page: where it goes, how, and what a browser would send as rendered."""

    action: str
    method: str
    fields: MultiDict = field(default_factory=MultiDict)
    buttons: tuple[Tag, ...] = ()
    referrer: str | None = None  # the Referer a browser sends with it, under the page's policy

    def data(self, **changes) -> MultiDict:
        """The rendered fields with `changes` applied: a value replaces, a list gives
        several values, None leaves the field out."""
        data = MultiDict(self.fields)
        for name, value in changes.items():
            data.poplist(name)
            if value is None:
                continue
            for each in value if isinstance(value, list | tuple) else [value]:
                data.add(name, each)
        return data


def _action(form: Tag, page_path: str) -> str:
    return urljoin(page_path, form.get("action") or page_path).split("#")[0]


def _controls(soup: BeautifulSoup, form: Tag) -> list[Tag]:
    """The form's controls, with those outside it that name it (`form="id"`)."""
    names = ("input", "select", "textarea", "button")
    inside = [control for control in form.find_all(names) if not control.get("form")]
    outside = soup.find_all(names, attrs={"form": form.get("id")}) if form.get("id") else []
    return inside + outside


def _values(control: Tag) -> list[str]:
    """What a browser sends for one control as rendered (no button: only a click sends it)."""
    if control.has_attr("disabled"):
        return []
    if control.name == "textarea":
        text = control.get_text()
        return [text[1:] if text.startswith("\n") else text]
    if control.name == "select":
        options = control.find_all("option")
        chosen = [option for option in options if option.has_attr("selected")]
        if not chosen and options and not control.has_attr("multiple"):
            chosen = options[:1]
        return [option.get("value", option.get_text()) for option in chosen]
    kind = control.get("type", "").lower()
    if kind in ("checkbox", "radio"):
        return [control.get("value", "on")] if control.has_attr("checked") else []
    if kind in _VALUE_INPUTS:
        return [control.get("value", "")]
    return []


def parse_forms(html: str, page_path: str = "/") -> list[tuple[Tag, Form]]:
    """Every form of a page, each with its tag (for selectors) and what it would send."""
    soup = BeautifulSoup(html, "html.parser")
    forms = []
    for tag in soup.find_all("form"):
        fields = MultiDict()
        buttons = []
        for control in _controls(soup, tag):
            if control.name == "button" or control.get("type", "").lower() in _BUTTON_TYPES:
                buttons.append(control)
                continue
            if control.get("name"):
                for value in _values(control):
                    fields.add(control["name"], value)
        method = (tag.get("method") or "get").lower()
        forms.append((tag, Form(_action(tag, page_path), method, fields, tuple(buttons))))
    return forms


def parse_form(html: str, selector: str, page_path: str = "/") -> Form:
    """The one form that `selector` (CSS) names on the page."""
    soup = BeautifulSoup(html, "html.parser")
    matches = soup.select(selector)
    forms = [tag for tag in matches if tag.name == "form"] or [
        tag.find_parent("form") for tag in matches if tag.find_parent("form")
    ]
    assert len(forms) == 1, f"{selector!r} names {len(forms)} forms on {page_path}"
    wanted = forms[0]
    for tag, form in parse_forms(html, page_path):
        if tag.sourceline == wanted.sourceline and tag.sourcepos == wanted.sourcepos:
            return form
    raise AssertionError(f"{selector!r} is not a form on {page_path}")


def referrer(page) -> str | None:
    """The Referer a browser sends from this page to its own origin: none under
    "no-referrer" (the page's meta tag wins over its header), the origin alone under
    "origin" or "strict-origin", else the page's address."""
    meta = BeautifulSoup(page.get_data(as_text=True), "html.parser").find(
        "meta", attrs={"name": "referrer"}
    )
    policy = (meta.get("content") if meta else None) or page.headers.get("Referrer-Policy", "")
    policy = policy.split(",")[-1].strip().lower()
    if policy == "no-referrer":
        return None
    if policy in ("origin", "strict-origin"):
        return page.request.host_url
    return page.request.url


def page_form(client, page_url: str, selector: str, request: dict | None = None) -> Form:
    """Load a page and read its form named by `selector`, as a browser would see it."""
    page = client.get(page_url, **(request or {}))
    assert page.status_code == 200, f"{page_url}: {page.status_code}"
    form = parse_form(page.get_data(as_text=True), selector, page_url)
    return replace(form, referrer=referrer(page))


def send(client, form: Form, button: str | None = None, request: dict | None = None, **changes):
    """Send a form as a browser does; `button` is the text of the submit button clicked,
    `request` the test client's options (environ_base, base_url, headers…)."""
    data = form.data(**changes)
    if button is not None:
        clicked = [each for each in form.buttons if each.get_text(strip=True) == button]
        assert clicked, f"no button {button!r} in the form to {form.action}"
        if clicked[0].get("name"):
            data.add(clicked[0]["name"], clicked[0].get("value", ""))
    options = dict(request or {})
    if form.referrer:
        options["headers"] = {"Referer": form.referrer, **options.get("headers", {})}
    if form.method == "post":
        return client.post(form.action, data=data, **options)
    return client.get(form.action, query_string=data, **options)


def submit_form(
    client,
    page_url: str,
    selector: str,
    button: str | None = None,
    request: dict | None = None,
    **changes,
):
    """Load the page, then send its form named by `selector` with `changes` typed in."""
    return send(client, page_form(client, page_url, selector, request), button, request, **changes)
