"""Phone numbers in one international form, so one customer is one customer."""

from __future__ import annotations

import re
from collections.abc import Callable

from followup_cli.errors import FollowupError
from followup_cli.i18n import _

EXCEL_SCIENTIFIC = re.compile(r"^\d+(\.\d+)?[eE]\+\d+$")
_SCIENTIFIC = EXCEL_SCIENTIFIC


class InvalidValue(ValueError):
    """A cell value that cannot be used (a phone that is no phone, ...); the message says why."""


def phone_normaliser(region: str) -> Callable[[str], str]:
    """E.164 phones so `138 0000 0009` and `138-0000-0009` are one customer.

    Plain national mobile numbers take a fast path; everything else goes through
    phonenumbers, with a cache because tills repeat shop and family numbers.
    """
    import phonenumbers

    cache: dict[str, str] = {}
    country_code = phonenumbers.country_code_for_region(region)
    if not country_code:
        raise FollowupError(
            _("unknown phone region {region!r} (use a code such as CN, GB, US)").format(
                region=region
            )
        )
    separators = str.maketrans("", "", " -().\u3000")

    def normalise(raw: str) -> str:
        text = raw.strip()
        if text in cache:
            return cache[text]
        if _SCIENTIFIC.match(text):
            raise InvalidValue(
                _("phone {text!r} was mangled by Excel (format the column as text)").format(
                    text=text
                )
            )
        compact = text.translate(separators)
        if region == "CN" and len(compact) == 11 and compact.isdigit() and compact[0] == "1":
            result = f"+86{compact}"
        else:
            try:
                number = phonenumbers.parse(text, region)
            except phonenumbers.NumberParseException:
                raise InvalidValue(
                    _("phone {text!r} is not a phone number").format(text=text)
                ) from None
            if not phonenumbers.is_possible_number(number):
                raise InvalidValue(_("phone {text!r} is not a phone number").format(text=text))
            result = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        cache[text] = result
        return result

    return normalise


class PhoneLeftOut(InvalidValue):
    """A phone cell that is not a valid number for the country it would get: left out."""


_EXCEL_FLOAT = re.compile(r"^(\d{6,15})\.0+$")
_EXCEL_FORMULA_TEXT = re.compile(r'^="(.*)"$')


def clean_cell(text: str) -> str:
    """What spreadsheets wrap around ids and phones: Shopify's `'` prefix, `="…"`, a `.0`."""
    text = text.strip()
    if not text or (text[0] not in "'=" and not text.endswith(".0")):
        return text  # nothing wrapped around it: the usual case, kept cheap
    if text.startswith("'"):
        text = text[1:].strip()
    wrapped = _EXCEL_FORMULA_TEXT.match(text)
    if wrapped:
        text = wrapped.group(1).strip()
    typed = _EXCEL_FLOAT.match(text)
    if typed:
        text = typed.group(1)  # 13800138000.0: a number Excel or pandas typed, not 15 digits
    return text


def import_phone_reader(region: str) -> Callable[[str, str | None], str]:
    """Phones from an import, in E.164, never invented.

    The row's own evidence comes first: a `+`/`00` prefix, or a country code column
    (`Country Code`, `Default Address Country Code`, `CC`). Without it, the shop's region
    is used only for a number valid there: `(408) 781-2076` is not a Chinese number, so it is
    not stored as `+864087812076`. A number that fails is raised as `PhoneLeftOut`.
    """
    import phonenumbers

    if not phonenumbers.country_code_for_region(region):
        raise FollowupError(
            _("unknown phone region {region!r} (use a code such as CN, GB, US)").format(
                region=region
            )
        )
    regions = phonenumbers.SUPPORTED_REGIONS
    cache: dict[tuple[str, str | None], str] = {}
    separators = str.maketrans("", "", " -().\u3000/")

    def read(raw: str, country: str | None = None) -> str:
        text = clean_cell(raw if raw.isascii() else raw.translate(_FULL_WIDTH))
        country = (country or "").strip().upper() or None
        if country not in regions:
            country = COUNTRY_NAMES.get(" ".join(country.casefold().split())) if country else None
        key = (text, country)
        found = cache.get(key)
        if found is not None:
            return found
        if "+" in text and _SCIENTIFIC.match(text):  # Excel's 1.38E+10 has a "+"
            raise InvalidValue(
                _("phone {text!r} was mangled by Excel (format the column as text)").format(
                    text=text
                )
            )
        compact = text.translate(separators)
        if compact.startswith("00"):
            compact = "+" + compact[2:]
        stated = compact.startswith("+")
        used = None if stated else (country or region)
        if (
            used == "CN"
            and len(compact) == 11
            and compact.isdigit()
            and compact[0] == "1"
            and compact[1] in "3456789"
        ):
            return f"+86{compact}"  # the common case, not worth a cache entry
        else:
            try:
                number = phonenumbers.parse(compact, used)
            except phonenumbers.NumberParseException:
                raise PhoneLeftOut(
                    _("phone {text!r} is not a phone number").format(text=text)
                ) from None
            if stated or country:
                # The country is written down, not guessed: a number of a possible length
                # for it is kept (fictional ranges such as UK 07700 900xxx included).
                ok = phonenumbers.is_possible_number(number)
            else:
                ok = phonenumbers.is_valid_number(number)
            if not ok:
                if stated:
                    problem = _("phone {text!r} is not a valid number for its country")
                else:
                    problem = _("phone {text!r} is not a valid number for {region}")
                raise PhoneLeftOut(problem.format(text=text, region=used))
            result = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        if len(cache) > 50_000:
            cache.clear()  # memory stays flat on a file of a million different numbers
        cache[key] = result
        return result

    return read


# A country column written out in words (an address country, HubSpot's Country/Region).
COUNTRY_NAMES: dict[str, str] = {
    "united states": "US",
    "united states of america": "US",
    "usa": "US",
    "美国": "US",
    "canada": "CA",
    "加拿大": "CA",
    "united kingdom": "GB",
    "great britain": "GB",
    "uk": "GB",
    "英国": "GB",
    "china": "CN",
    "中国": "CN",
    "中国大陆": "CN",
    "hong kong": "HK",
    "香港": "HK",
    "中国香港": "HK",
    "macau": "MO",
    "macao": "MO",
    "澳门": "MO",
    "taiwan": "TW",
    "台湾": "TW",
    "singapore": "SG",
    "新加坡": "SG",
    "malaysia": "MY",
    "马来西亚": "MY",
    "japan": "JP",
    "日本": "JP",
    "south korea": "KR",
    "korea": "KR",
    "韩国": "KR",
    "australia": "AU",
    "澳大利亚": "AU",
    "new zealand": "NZ",
    "新西兰": "NZ",
    "germany": "DE",
    "德国": "DE",
    "france": "FR",
    "法国": "FR",
    "spain": "ES",
    "西班牙": "ES",
    "italy": "IT",
    "意大利": "IT",
    "netherlands": "NL",
    "ireland": "IE",
}


# What people type into a phone cell beside the number: full-width digits from a Chinese
# input method, a remark in brackets (`（微信同号）`, "same number on WeChat"), and a second
# number after a comma or a 、.
_FULL_WIDTH = str.maketrans("０１２３４５６７８９＋－（）　．", "0123456789+-() .")
_REMARK = re.compile(r"[(\[（【][^)\]）】\d]*[^)\]）】\d\s+\-][^)\]）】\d]*[)\]）】]")
_SEVERAL = re.compile(r"\s*[,，;；、|]\s*|\s+/\s+")


def typed_numbers(raw: str) -> list[str]:
    """The numbers in a phone cell as a person typed it, in order.

    `1351234563５` -> [`13512345635`]; `13612345634（微信同号）` -> [`13612345634`];
    `13712345622,0571-88886666` -> both. A cell of one plain number is returned as is.
    """
    text = raw.translate(_FULL_WIDTH) if not raw.isascii() else raw
    if "(" in text or "[" in text or "（" in text or "【" in text:
        text = _REMARK.sub(" ", text)
    parts = [part.strip() for part in _SEVERAL.split(text)]
    return [part for part in parts if part] or [text.strip()]


def is_mobile(e164: str) -> bool:
    """A mobile number (the one to call or message), as far as phonenumbers can tell."""
    if e164.startswith("+861"):
        return True  # every Chinese mobile; a landline has an area code of 2-4 digits
    import phonenumbers

    kind = phonenumbers.number_type(phonenumbers.parse(e164))
    return kind in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    )
