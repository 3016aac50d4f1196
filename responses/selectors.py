"""Reads for the answer pages: which invitation or customer link a URL points at."""

from __future__ import annotations

from surveys.distribution import customer_link_id
from surveys.models import CustomerLink, Invitation, token_hash


def invitation_for_token(*, token: str) -> Invitation | None:
    if not token or len(token) > 200:
        return None
    return (
        Invitation.objects.select_related("survey", "cycle", "person", "team__location")
        .filter(token_hash=token_hash(token))
        .first()
    )


def customer_link_for_signed(*, signed: str) -> CustomerLink | None:
    link_id = customer_link_id(signed)
    if link_id is None:
        return None
    return (
        CustomerLink.objects.select_related("survey", "team", "location", "agent")
        .filter(pk=link_id)
        .first()
    )
