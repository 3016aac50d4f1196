from __future__ import annotations

from surveys.selectors import membership_for_user


def membership(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"membership": None}
    return {"membership": membership_for_user(user=user)}
