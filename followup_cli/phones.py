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
