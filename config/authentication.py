"""API authentication (its own module: REST framework imports it while it loads its settings)."""

from __future__ import annotations

from rest_framework.authentication import TokenAuthentication


class MemberTokenAuthentication(TokenAuthentication):
    """DRF's token authentication, reading the caller's membership (organisation, role, team)
    in the same query: every API view asks for it next (surveys.selectors.membership_for_user,
    which finds it on the user). One round trip less per call. A token whose user has no
    membership, or an unknown or inactive one, goes through DRF's own lookup and messages.
    """

    def authenticate_credentials(self, key):
        from rest_framework.authtoken.models import Token

        from surveys.models import Membership

        membership = (
            Membership.objects.select_related("organization", "team", "user")
            .filter(user__auth_token__key=key, user__is_active=True)
            .order_by("id")
            .first()
        )
        if membership is None:
            return super().authenticate_credentials(key)
        user = membership.user
        user._tandem_membership = membership
        return user, Token(key=key, user=user)
