"""The editor's language: English or Simplified Chinese, chosen per request.

The choice is the top bar's switch (a cookie), else the browser's Accept-Language, else
English. Texts are gettext messages (Flask-Babel; catalogs in editor/translations, see
docs/TRANSLATING.md); a text the editor's catalog does not know is looked up in the
families' and Types' own `translations/<language>.json` "texts", so a family's templates and
tab labels translate through the same `_()`. Dates and numbers are formatted by Babel.
"""
from __future__ import annotations

import re
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from babel.dates import format_datetime, format_time
from babel.numbers import format_decimal
from flask import Blueprint, Flask, Response, current_app, has_request_context, redirect, request, url_for
from flask_babel import Babel, get_locale, get_translations
from markupsafe import Markup

from element_studio.runtime.translations import DEFAULT_LANGUAGE, LANGUAGES, N_, localized_schema, text_in, translation_of

COOKIE = "element_studio_lang"
COOKIE_MAX_AGE = 365 * 24 * 3600
NAMES = {"en": "English", "zh": "中文"}  # each language in its own words, for the switch
HTML_LANG = {"en": "en", "zh": "zh-CN"}
SCRIPT = Path(__file__).parent / "static" / "studio.js"
SCRIPT_TEXT = re.compile(r"""\b_\("((?:[^"\\]|\\.)*)"[,)]""")

bp = Blueprint("i18n", __name__)


def language() -> str:
    """The language of the current request ("en" outside one)."""
    if not has_request_context():
        return DEFAULT_LANGUAGE
    chosen = request.cookies.get(COOKIE, "")
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES) or DEFAULT_LANGUAGE


def lookup(text: str) -> str:
    """`text` in the request's language, unformatted: the editor's catalog, then the element texts."""
    translated = get_translations().gettext(text)
    return translated if translated != text else _element_text(text, text)


def nlookup(singular: str, plural: str, number: int) -> str:
    """The singular or plural form, unformatted; element texts key a plural message by its singular."""
    translated = get_translations().ngettext(singular, plural, number)
    return translated if translated not in (singular, plural) else _element_text(singular, translated)


def _element_text(key: str, fallback: str) -> str:
    """What the families' and Types' `translations/<language>.json` texts say for `key`."""
    current = language()
    if current == DEFAULT_LANGUAGE or not has_request_context():
        return fallback
    from .studio import studio

    app = studio().app
    found = text_in([element.folder for element in app.metas() + app.types()], key, current)
    return found if found != key else fallback


def gettext(text: str, **values: Any) -> str:
    """`text` translated, then `%(name)s` filled from `values`."""
    translated = lookup(text)
    return translated % values if values else translated


_ = gettext


def ngettext(singular: str, plural: str, number: int, **values: Any) -> str:
    """The singular or plural form for `number` (`%(num)s` is the number)."""
    return nlookup(singular, plural, number) % {"num": format_number(number), **values}


def element_title(element: Any) -> str:
    """A family's or Type's title in the reader's language (its own translations), else e.json's."""
    return translation_of(element.folder, language()).title or element.title


def element_description(element: Any) -> str:
    return translation_of(element.folder, language()).description or element.description


def localized(type_element: Any, schema: dict[str, Any]) -> dict[str, Any]:
    """A Type's config schema with its texts in the reader's language (the Type's translations)."""
    return localized_schema(schema, translation_of(type_element.folder, language()))


def format_number(value: float) -> str:
    return format_decimal(value, locale=get_locale() if has_request_context() else DEFAULT_LANGUAGE)


def format_moment(epoch: float) -> str:
    """A date and time (local time) the way the reader's locale writes it."""
    return format_datetime(datetime.fromtimestamp(epoch), "medium", locale=get_locale() if has_request_context() else DEFAULT_LANGUAGE)


def format_clock(epoch: float) -> str:
    """A time of day (local time) the way the reader's locale writes it."""
    return format_time(datetime.fromtimestamp(epoch), "medium", locale=get_locale() if has_request_context() else DEFAULT_LANGUAGE)


def code(text: Any) -> Markup:
    """`text` as inline code, to put into a translated sentence (`_("Use %(x)s", x=code(...))`)."""
    return Markup("<code>{}</code>").format(text)


def strong(text: Any) -> Markup:
    """`text` in bold, to put into a translated sentence."""
    return Markup("<strong>{}</strong>").format(text)


@cache
def script_texts() -> tuple[str, ...]:
    """The messages studio.js shows (its `_("...")` calls), read once."""
    return tuple(match.encode().decode("unicode_escape") for match in SCRIPT_TEXT.findall(SCRIPT.read_text(encoding="utf-8")))


def script_catalog() -> dict[str, str]:
    """studio.js's messages in the request's language (the page embeds them as JSON)."""
    return {text: lookup(text) for text in script_texts()}


@bp.post("/language")
def choose() -> Response:
    """Remember the reader's language and go back to the page they were on."""
    wanted = request.form.get("language", "")
    target = request.form.get("next", "")
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("home.index")
    response = redirect(target)
    if wanted in LANGUAGES:
        response.set_cookie(COOKIE, wanted, max_age=COOKIE_MAX_AGE, samesite="Strict", httponly=True,
                            secure=current_app.config.get("SESSION_COOKIE_SECURE", False))
    return response


def init_app(flask_app: Flask) -> None:
    """Flask-Babel with our language choice; `_` in templates also knows the element texts."""
    flask_app.register_blueprint(bp)
    Babel(flask_app, locale_selector=language)
    flask_app.jinja_env.install_gettext_callables(
        gettext=lookup, ngettext=nlookup, newstyle=True)
    flask_app.jinja_env.globals.update(format_number=format_number, format_datetime=format_moment, code=code, strong=strong,
                                     element_title=element_title, element_description=element_description)

    @flask_app.context_processor
    def language_for_templates() -> dict[str, Any]:
        current = language()
        return {"language": current, "html_lang": HTML_LANG[current], "language_names": NAMES,
                "script_catalog": script_catalog}

