"""Which language codes a survey may use, and which of them Tandem's own words exist in.

A survey language is a code as browsers send it: an ISO 639-1 language, optionally with an
ISO 3166-1 country ("fr", "pt-br"). The lists below are those standards' codes (from the
iso-codes tables), so a typo or an invented code ("xx", "en-zz") is refused.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.utils.translation import get_language_info

LANGUAGE_RE = re.compile(r"^[a-z]{2}(-[a-z]{2})?$")

# ISO 639-1: every two-letter language code.
ISO_LANGUAGES = frozenset(
    """
    aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu
    cv cy da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi
    ho hr ht hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks
    ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl
    nn no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl
    sm sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve
    vi vo wa wo xh yi yo za zh zu
    """.split()
)

# ISO 3166-1 alpha-2, in lower case: every country code.
ISO_COUNTRIES = frozenset(
    """
    ad ae af ag ai al am ao aq ar as at au aw ax az ba bb bd be bf bg bh bi bj bl bm bn bo
    bq br bs bt bv bw by bz ca cc cd cf cg ch ci ck cl cm cn co cr cu cv cw cx cy cz de dj
    dk dm do dz ec ee eg eh er es et fi fj fk fm fo fr ga gb gd ge gf gg gh gi gl gm gn gp
    gq gr gs gt gu gw gy hk hm hn hr ht hu id ie il im in io iq ir is it je jm jo jp ke kg
    kh ki km kn kp kr kw ky kz la lb lc li lk lr ls lt lu lv ly ma mc md me mf mg mh mk ml
    mm mn mo mp mq mr ms mt mu mv mw mx my mz na nc ne nf ng ni nl no np nr nu nz om pa pe
    pf pg ph pk pl pm pn pr ps pt pw py qa re ro rs ru rw sa sb sc sd se sg sh si sj sk sl
    sm sn so sr ss st sv sx sy sz tc td tf tg th tj tk tl tm tn to tr tt tv tw tz ua ug um
    us uy uz va vc ve vg vi vn vu wf ws ye yt za zm zw
    """.split()
)


def is_language_code(code: object) -> bool:
    """ "fr", "pt-br": a real language, with a real country if any (lower case, as stored)."""
    if not isinstance(code, str) or not LANGUAGE_RE.match(code):
        return False
    language, _, country = code.partition("-")
    return language in ISO_LANGUAGES and (not country or country in ISO_COUNTRIES)


def has_ui_words(code: str) -> bool:
    """Whether respondents reading `code` get Tandem's buttons and labels in it (settings.LANGUAGES:
    English, the words' own language, and the catalogues in responses/locale). A country variant
    reads its language's ("fr-ca" gets French)."""
    return code.partition("-")[0] in dict(settings.LANGUAGES)


def ui_language_names() -> list[str]:
    """ "English, French, German, Spanish": the languages Tandem's own words exist in, as the
    authoring pages (in English) name them."""
    return [get_language_info(code)["name"] for code, _name in settings.LANGUAGES]
