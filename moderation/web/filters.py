"""Template filters for every page, public and dashboard alike; create_app registers
them, so no blueprint depends on another for them."""

from datetime import datetime

from flask import Flask


def long_date(moment: datetime) -> str:
    """Format a timestamp as "November 27, 2026 at 4:45 am" (UTC)."""
    hour = moment.hour % 12 or 12
    meridiem = "am" if moment.hour < 12 else "pm"
    return f"{moment:%B} {moment.day}, {moment.year} at {hour}:{moment:%M} {meridiem}"


def init_app(app: Flask) -> None:
    """Register the filters on the app's Jinja environment."""
    app.add_template_filter(long_date, "longdate")
