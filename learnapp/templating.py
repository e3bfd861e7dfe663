"""Template filters shared by every feature."""

from __future__ import annotations

from decimal import Decimal

from flask import Flask


def number(value: Decimal | int | float | None) -> str:
    """``100`` for Decimal("100.00"), ``66.67`` for Decimal("66.67"); an empty string for None."""
    if value is None:
        return ""
    return format(Decimal(value).normalize(), "f")


def register_template_filters(app: Flask) -> None:
    app.add_template_filter(number, "number")
