"""Languages of the pages: English (the source) and Simplified Chinese (shell).

Strings of the pages and messages are marked with ``_()`` in the code and the templates and
translated through Babel gettext catalogues under ``oncotrial/web/locale/<locale>/LC_MESSAGES``:
``messages.po`` for the pages, ``codes.po`` for the result codes of the core (one entry per
code pattern of :func:`oncotrial.codes.result_codes`, the pattern as ``msgctxt``). The ``.po``
files are read directly at start-up with Babel's reader, so there is no build step and no
compiled ``.mo`` file to keep in step. Form labels, code lists and criterion titles are
translated in the trial's own files (forms file, protocol file).

A language is a BCP 47 tag: ``en`` or ``zh-CN``. :func:`negotiate` picks one from ``?lang=``
or ``Accept-Language`` before log-in; after log-in the user's setting wins.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from oncotrial.codes import describe
from oncotrial.errors import UnknownTermError

__all__ = ["DEFAULT", "LANGUAGES", "Translator", "catalogue", "negotiate", "translator"]

#: Languages offered, with their own names (shown in the language switch).
LANGUAGES: Mapping[str, str] = {"en": "English", "zh-CN": "简体中文"}
DEFAULT = "en"
_LOCALE_DIRS = {"zh-CN": "zh_CN"}


@cache
def catalogue(language: str, domain: str) -> Catalog | None:
    """The Babel catalogue of ``domain`` for ``language``; None for English, the source.

    ``messages`` merges every ``messages*.po`` of the language (one file per part of the
    application, so that parts can be translated apart); ``codes`` is ``codes.po``.
    """
    folder = _LOCALE_DIRS.get(language)
    if folder is None:
        return None
    base = resources.files("oncotrial.web").joinpath("locale", folder, "LC_MESSAGES")
    names = sorted(p.name for p in base.iterdir()
                   if p.name.endswith(".po") and (p.name.startswith(f"{domain}_")
                                                  or p.name == f"{domain}.po"))
    merged = Catalog(locale=folder)
    for name in names:
        with base.joinpath(name).open("rb") as handle:
            for message in read_po(handle, locale=folder):
                if message.id:
                    merged[message.id] = message
    return merged


def _lookup(cat: Catalog | None, message: str, context: str | None = None) -> str | None:
    if cat is None:
        return None
    entry = cat.get(message, context=context)
    if entry is None or not entry.string or entry.fuzzy:
        return None
    return str(entry.string)


@dataclass(frozen=True)
class Translator:
    """The strings of one language.

    >>> Translator("en").gettext("Screening")
    'Screening'
    >>> Translator("en").label_key
    'en'
    """

    language: str
    missing: set[str] = field(default_factory=set, compare=False, repr=False)

    @property
    def label_key(self) -> str:
        """The key of the language in the trial's own files (forms labels): ``en`` or ``zh``."""
        return self.language.split("-")[0]

    def gettext(self, message: str, **values: Any) -> str:
        """``message`` in this language, with ``{name}`` parts filled from ``values``."""
        text = _lookup(catalogue(self.language, "messages"), message) if self.language != DEFAULT \
            else None
        if text is None:
            if self.language != DEFAULT:
                self.missing.add(message)
            text = message
        return text.format(**values) if values else text

    __call__ = gettext

    def code_meaning(self, code: str) -> str:
        """What a result code means, in this language (the catalogue's English when the code
        is unknown to it or not yet translated)."""
        try:
            entry = describe(code)
        except UnknownTermError:
            return code
        if self.language == DEFAULT:
            return entry.meaning
        text = _lookup(catalogue(self.language, "codes"), entry.meaning, context=entry.pattern)
        return text or entry.meaning


@cache
def translator(language: str) -> Translator:
    """The translator of ``language`` (English for a language not offered)."""
    return Translator(language if language in LANGUAGES else DEFAULT)


def negotiate(query_lang: str | None, accept_language: str | None) -> str:
    """The language for a visitor who has not logged in: ``?lang=`` first, then the first
    offered language of ``Accept-Language`` (by quality), else English.

    >>> negotiate(None, "zh-CN,zh;q=0.9,en;q=0.8")
    'zh-CN'
    >>> negotiate("en", "zh-CN")
    'en'
    >>> negotiate(None, "fr, zh;q=0.5")
    'zh-CN'
    """
    if query_lang is not None and query_lang in LANGUAGES:
        return query_lang
    ranked: list[tuple[float, int, str]] = []
    for n, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        ranked.append((-quality, n, tag.strip().lower()))
    for _, _, tag in sorted(ranked):
        if tag.startswith("zh"):
            return "zh-CN"
        if tag.startswith("en"):
            return "en"
    return DEFAULT
