"""Every sentence a person reads goes through `_()`, so a language is a catalogue, not a rewrite.

Catalogues are plain Python modules in `followup_cli/locales/` (`zh_CN.py` holds `MESSAGES`, a
dict from the English text to its translation). Keys are whole sentences with `{named}` fields,
filled after translation with `str.format`: never build a sentence from fragments.
Machine output (JSON keys, CSV columns of `--format csv`, exit codes, option names) is never
translated.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping

DEFAULT_LANGUAGE = "en"

_messages: Mapping[str, str] = {}
_language = DEFAULT_LANGUAGE


def _(message: str) -> str:
    """The message in the current language (the English text when no translation exists)."""
    return _messages.get(message, message)


def language() -> str:
    return _language


def set_language(code: str) -> None:
    """Switch every later `_()` call to `code` ("en", "zh", "zh_CN"); unknown codes mean English."""
    global _messages, _language
    name = normalise(code)
    if name == DEFAULT_LANGUAGE:
        _messages, _language = {}, DEFAULT_LANGUAGE
        return
    try:
        module = importlib.import_module(f"followup_cli.locales.{name}")
    except ImportError:
        _messages, _language = {}, DEFAULT_LANGUAGE
        return
    _messages, _language = module.MESSAGES, name


def normalise(code: str) -> str:
    """'zh', 'zh-CN', 'zh_CN.UTF-8', 'zh_Hans' -> 'zh_CN'; anything English or unknown -> 'en'."""
    base = code.strip().split(".")[0].split("@")[0].replace("-", "_").lower()
    if base.startswith("zh"):
        return "zh_CN"
    return DEFAULT_LANGUAGE


def language_from_environment(environ: Mapping[str, str] = os.environ) -> str:
    """The language the locale asks for, in POSIX order: LC_ALL, LC_MESSAGES, LANG."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name)
        if value:
            return normalise(value)
    return DEFAULT_LANGUAGE


def N_(message: str) -> str:
    """Mark a sentence for translation where it is defined; `_()` translates it where it is shown.

    For text held in module-level tables (column headings, definitions) that must follow a
    language chosen after the module was imported.
    """
    return message


def choose_language(
    lang_option: str | None, shop_option: str | None, environ: Mapping[str, str] = os.environ
) -> str:
    """The language to speak: --lang, else the shop option `language`, else the locale."""
    for choice in (lang_option, shop_option):
        if choice and choice != "auto":
            return normalise(choice)
    return language_from_environment(environ)
