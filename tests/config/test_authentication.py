"""API tokens: the caller's membership comes with the token, in one query; other tokens get
REST framework's own answers."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed

from config.authentication import MemberTokenAuthentication
from surveys.selectors import membership_for_user

pytestmark = pytest.mark.django_db


def test_a_members_token_brings_the_membership_in_one_query(world):
    key = Token.objects.create(user=world.cx_manager.user).key
    with CaptureQueriesContext(connection) as queries:
        user, token = MemberTokenAuthentication().authenticate_credentials(key)
        membership = membership_for_user(user=user)
        seen = (membership.organization.name, membership.role, membership.team)
    assert len(queries) == 1
    assert seen == (world.org.name, world.cx_manager.role, world.cx_manager.team)
    assert (user, token.key, membership) == (world.cx_manager.user, key, world.cx_manager)


def test_unknown_and_inactive_tokens_are_refused_as_before(world):
    with pytest.raises(AuthenticationFailed, match="Invalid token"):
        MemberTokenAuthentication().authenticate_credentials("0" * 40)
    user = world.staff.user
    key = Token.objects.create(user=user).key
    user.is_active = False
    user.save()
    with pytest.raises(AuthenticationFailed, match="inactive"):
        MemberTokenAuthentication().authenticate_credentials(key)


def test_a_token_of_a_user_without_membership_still_authenticates(db):
    user = get_user_model().objects.create_user("loner", password="x-long-password-1")
    key = Token.objects.create(user=user).key
    assert MemberTokenAuthentication().authenticate_credentials(key)[0] == user
    assert membership_for_user(user=user) is None
