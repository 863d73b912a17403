"""Every string of the pages and every result code has its Simplified Chinese translation.

The strings are found as Babel finds them for a catalogue (``_()`` and ``t()`` calls in the
templates and the code of ``oncotrial.web``; the navigation labels, which are data); the
translations are the gettext catalogues under ``oncotrial/web/locale/zh_CN/LC_MESSAGES``. A
string or a code without a translation fails here, naming it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir

import oncotrial.web
from oncotrial.codes import result_codes
from oncotrial.web.deps import NAV
from oncotrial.web.i18n import catalogue, translator
from oncotrial.web.problems import _KINDS

WEB = Path(oncotrial.web.__file__).parent


def _source_strings() -> dict[str, str]:
    """msgid -> where it is first used."""
    found: dict[str, str] = {}
    for filename, lineno, message, _, _ in extract_from_dir(
            str(WEB), method_map=[("**/templates/**.html", "jinja2"), ("**.py", "python")],
            keywords={"_": None, "t": None, "gettext": None}):
        text = message if isinstance(message, str) else message[0]
        if text:
            found.setdefault(text, f"{filename}:{lineno}")
    for _, label, _ in NAV:
        found.setdefault(label, "oncotrial/web/deps.py NAV")
    for _, _, _, title in _KINDS:
        found.setdefault(title, "oncotrial/web/problems.py _KINDS")
    return found


def test_the_pages_have_strings_to_translate() -> None:
    strings = _source_strings()
    assert {"Log in", "Home", "Screening"} <= set(strings)


def test_every_string_of_the_pages_has_a_chinese_translation() -> None:
    zh = catalogue("zh-CN", "messages")
    assert zh is not None
    missing = []
    for message, where in sorted(_source_strings().items()):
        entry = zh.get(message)
        if entry is None or not entry.string or entry.fuzzy:
            missing.append(f"{where}: {message!r}")
    assert missing == [], "add these to a messages_*.po of zh_CN"


def test_placeholders_survive_translation() -> None:
    """A ``{name}`` part of the English is in the Chinese too, so no value is lost."""
    zh = catalogue("zh-CN", "messages")
    assert zh is not None
    bad = [m.id for m in zh if m.id and m.string
           and set(re.findall(r"\{\w+\}", str(m.id))) != set(re.findall(r"\{\w+\}",
                                                                        str(m.string)))]
    assert bad == []


def test_every_result_code_has_a_chinese_meaning_for_its_current_english() -> None:
    """One entry per code pattern (msgctxt), translating the catalogue's current English: a
    changed English meaning shows up here until its translation is checked again."""
    codes = catalogue("zh-CN", "codes")
    assert codes is not None
    missing = []
    for entry in result_codes():
        message = codes.get(entry.meaning, context=entry.pattern)
        if message is None or not message.string or message.fuzzy:
            missing.append(entry.pattern)
    assert missing == []


@pytest.mark.parametrize("code", ["ctcae.grade.3", "I11.not_met.anc_below_min",
                                  "dose.hold.heme_grade3_day1"])
def test_a_code_reads_in_chinese(code: str) -> None:
    english = translator("en").code_meaning(code)
    chinese = translator("zh-CN").code_meaning(code)
    assert chinese != english
    assert re.search(r"[\u4e00-\u9fff]", chinese)
