"""Write audit events. Callers commit, as with every service."""

from __future__ import annotations

import logging
from typing import Any

from flask import has_request_context, request

from learnapp.audit.models import AuditEvent
from learnapp.extensions import db

log = logging.getLogger("learnapp.audit")


def _clean(value: Any) -> Any:
    """Keep log lines whole: control characters in user-supplied text become spaces."""
    if isinstance(value, str):
        return "".join(" " if ord(ch) < 32 else ch for ch in value)
    return value


def record(
    action: str,
    *,
    actor: Any = None,
    target: Any = None,
    target_type: str | None = None,
    target_id: str | int | None = None,
    **details: Any,
) -> AuditEvent:
    """Add an audit event for ``action`` by ``actor`` on ``target`` (a model with ``id``)."""
    if target is not None:
        target_type = target_type or target.__tablename__
        target_id = target.id
    event = AuditEvent(
        action=action,
        actor_id=getattr(actor, "id", None),
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        details={key: _clean(value) for key, value in details.items()},
        ip_address=request.remote_addr if has_request_context() else None,
    )
    db.session.add(event)
    log.info(
        "%s actor=%s target=%s:%s %s",
        action,
        event.actor_id,
        target_type,
        target_id,
        " ".join(f"{key}={value!r}" for key, value in event.details.items()),
    )
    return event
