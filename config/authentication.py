"""API authentication (its own module: REST framework imports it while it loads its settings)."""

from __future__ import annotations

from functools import cache

from rest_framework.authentication import TokenAuthentication


@cache
def _token_condition() -> str:
    """The token's active user's memberships (x: membership, r1: user), first one first. The
    token is a scalar subquery, not one more joined table: PostgreSQL then plans the query in
    ~0.3 ms instead of ~0.9 ms."""
    from rest_framework.authtoken.models import Token

    from config import rows

    return (
        f"x.user_id = (SELECT k.user_id FROM {rows.table(Token)} k WHERE k.key = %s) "
        "AND r1.is_active ORDER BY x.id"
    )


def membership_for_token(key: str):
    """The membership of an active user's token, with its organisation, user and team set on
    it (one query, written by hand: config.rows), or None. The user knows it as theirs
    (surveys.selectors.membership_for_user reads no more)."""
    return membership_and_rows_for_token(key, ())[0]


def membership_and_rows_for_token(key: str, others) -> tuple:
    """`membership_for_token(key)` and, in the same query, the rows of `others` ((model, id)
    pairs) in the member's organisation: (membership or None, [row or None, ...])."""
    from config import rows
    from surveys.models import Membership

    membership, found = rows.one_with_others(
        Membership, ("organization", "user", "team"), _token_condition(), [key], others
    )
    if membership is not None:
        membership.user._tandem_membership = membership
    return membership, found


class MemberTokenAuthentication(TokenAuthentication):
    """DRF's token authentication, reading the caller's membership (organisation, role, team)
    in the same query: every API view asks for it next (surveys.selectors.membership_for_user,
    which finds it on the user). One round trip less per call. A token whose user has no
    membership, or an unknown or inactive one, goes through DRF's own lookup and messages.
    """

    def authenticate_credentials(self, key):
        from rest_framework.authtoken.models import Token

        membership = membership_for_token(key)
        if membership is None:
            return super().authenticate_credentials(key)
        return membership.user, Token(key=key, user=membership.user)
