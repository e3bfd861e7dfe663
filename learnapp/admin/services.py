"""Queries for the admin pages."""

from __future__ import annotations

from sqlalchemy import func, or_, select

from learnapp.auth.models import User
from learnapp.extensions import db

PAGE_SIZE = 50


def search_users(query: str, page: int) -> tuple[list[User], int]:
    """Return one page of users matching ``query`` (e-mail or name) and the total count."""
    stmt = select(User)
    if query:
        pattern = f"%{query.lower()}%"
        stmt = stmt.where(
            or_(User.email.like(pattern), func.lower(User.display_name).like(pattern))
        )
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    users = db.session.scalars(
        stmt.order_by(User.id).limit(PAGE_SIZE).offset((max(page, 1) - 1) * PAGE_SIZE)
    ).all()
    return list(users), total
