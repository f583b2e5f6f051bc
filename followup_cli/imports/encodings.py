"""Which encoding a shop's text file is in, decided on evidence, never by trying latin-1.

Order: BOM (UTF-8 / UTF-16), strict UTF-8, UTF-8 with a few stray bytes (those rows are
rejected, the rest imports), GB18030 (Chinese Excel's "CSV"). GB18030 accepts nearly any
byte pair, so a Windows-1252, Big5 or Shift-JIS file also "decodes" as GB18030, into
Chinese-looking garbage: such a file is refused with the encoding it most likely is.
"""

from __future__ import annotations

import codecs
import re
from typing import TYPE_CHECKING

from followup_cli.errors import EXIT_NOTHING_IMPORTED, FollowupError
from followup_cli.i18n import N_, _

if TYPE_CHECKING:
    from followup_cli.imports.opened import OpenFile

_CJK = re.compile(r"[\u4e00-\u9fff]")
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")
SAMPLE = 1 << 20  # bytes looked at for the signs of a misread file

# Files an owner picks by mistake (the PDF the till printed, a photo of the list, a zipped
# export): named, with what to do, instead of a hint about encodings.
_PDF = N_("this is a PDF document, not a table: export the list as CSV or Excel (.xlsx)")
_PICTURE = N_("this is a picture, not a table: export the list as CSV or Excel (.xlsx)")
ARCHIVE = N_("this is a compressed archive, not a table: unpack it and import the file inside")
_DOCUMENTS = (
    (b"%PDF", _PDF),
    (b"\x89PNG", _PICTURE),
    (b"\xff\xd8\xff", _PICTURE),
    (b"GIF8", _PICTURE),
    (b"PK\x03\x04", ARCHIVE),
    (b"Rar!", ARCHIVE),
    (b"7z\xbc\xaf", ARCHIVE),
)


def _document_kind(head: bytes) -> str | None:
    return next((kind for magic, kind in _DOCUMENTS if head.startswith(magic)), None)


def detect_encoding(source: OpenFile, encoding: str | None = None) -> tuple[str, bool]:
    """(the codec to read the file with, whether rows with stray bytes are to be rejected
    one by one rather than the file refused)."""
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise FollowupError(
                _("unknown encoding {encoding!r}").format(encoding=encoding), EXIT_NOTHING_IMPORTED
            ) from None
        if not _scan(source, encoding)[0]:
            raise FollowupError(
                _("file is not valid {encoding}").format(encoding=encoding), EXIT_NOTHING_IMPORTED
            )
        return encoding, False
    head = source.read_at(0, 4)
    if head.startswith(codecs.BOM_UTF8):
        if not _scan(source, "utf-8", skip=3)[0]:
            raise FollowupError(_("file starts as UTF-8 but is not"), EXIT_NOTHING_IMPORTED)
        return "utf-8-sig", False
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        if not _scan(source, "utf-16")[0]:
            raise FollowupError(_("file starts as UTF-16 but is not"), EXIT_NOTHING_IMPORTED)
        return "utf-16", False
    document = _document_kind(source.read_at(0, 8))
    if document:
        raise FollowupError(_(document), EXIT_NOTHING_IMPORTED)
    if any(b"\x00" in chunk for chunk in source.chunks()):
        raise FollowupError(
            _("file contains NUL bytes: it is binary or UTF-16 without a BOM (try --encoding)"),
            EXIT_NOTHING_IMPORTED,
        )
    if _scan(source, "utf-8")[0]:
        return "utf-8", False
    if _mostly_utf8(source):
        return "utf-8", True
    decodes, chinese = _scan(source, "gb18030")
    sample = _sample(source)
    likely = misread_as_gb18030(sample) if decodes and chinese else likely_encoding(sample)
    if likely:
        raise FollowupError(
            _(
                "file is not UTF-8, and read as Chinese GBK/GB18030 it would be garbled: it "
                "looks like {encoding}; import it with --encoding {encoding}"
            ).format(encoding=likely),
            EXIT_NOTHING_IMPORTED,
        )
    if not decodes:
        raise FollowupError(
            _("file is neither UTF-8 nor GBK/GB18030: name its encoding with --encoding"),
            EXIT_NOTHING_IMPORTED,
        )
    if not chinese:
        raise FollowupError(
            _(
                "file is not UTF-8 and does not look like Chinese "
                "GBK: name its encoding with --encoding"
            ),
            EXIT_NOTHING_IMPORTED,
        )
    return "gb18030", False


def _scan(source: OpenFile, encoding: str, skip: int = 0) -> tuple[bool, bool]:
    """(the whole file decodes strictly, it holds Chinese characters), in one pass."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    chinese = False
    try:
        for index, chunk in enumerate(source.chunks()):
            text = decoder.decode(chunk[skip:] if index == 0 else chunk)
            chinese = chinese or bool(_CJK.search(text))
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False, chinese
    return True, chinese


def _mostly_utf8(source: OpenFile) -> bool:
    """A file that is UTF-8 but for a few bytes is UTF-8 with bad lines, not another
    encoding: its valid multi-byte characters outnumber its stray bytes four to one (GBK
    text decoded as UTF-8 is nearly all stray bytes)."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="surrogateescape")
    valid = stray = 0
    for chunk in source.chunks():
        for part in _NON_ASCII.finditer(decoder.decode(chunk)):
            bad = sum(1 for ch in part.group() if "\udc80" <= ch <= "\udcff")
            valid += len(part.group()) - bad
            stray += bad
    return bool(stray) and valid >= 4 * stray


def _sample(source: OpenFile) -> bytes:
    """The file's first megabyte, cut at a line end so no character is cut in two."""
    data = source.read_at(0, SAMPLE)
    if len(data) == SAMPLE and b"\n" in data:
        data = data[: data.rindex(b"\n") + 1]
    return data


# A GB18030 character: a lead byte, then a trail byte (or the four-byte form).
_GB_PAIR = re.compile(rb"[\x81-\xfe](?:[\x30-\x39][\x81-\xfe][\x30-\x39]|[\x40-\x7e\x80-\xfe])")
# ...inside a Latin word: a letter before it and an ASCII letter as its second byte ("Müller"
# in Windows-1252 is M, 0xfc 'l', ler: one "Chinese character" in the middle of the name).
_IN_LATIN_WORD = re.compile(rb"(?<=[A-Za-z])[\x80-\xfe][A-Za-z]")
_KANA = re.compile(r"[\u3040-\u30ff]")
_LATIN_LETTER = re.compile(r"[À-ÿŒœŠšŽžŸ]")


def misread_as_gb18030(sample: bytes) -> str | None:
    """The encoding a file that decodes as GB18030 most likely really is, or None when it
    reads as Chinese GBK: common Chinese is nearly all of a real GBK file; a third or more
    outside it, or characters inside Latin words, is not."""
    pairs = _GB_PAIR.findall(sample)
    if not pairs:
        return None
    outside = sum(1 for pair in pairs if not _common_chinese(pair))
    in_words = len(_IN_LATIN_WORD.findall(sample))
    if outside * 3 < len(pairs) and in_words * 5 < len(pairs):
        return None
    return likely_encoding(sample) or "cp1252"


def _common_chinese(pair: bytes) -> bool:
    """A GB2312 Hanzi (lead 0xb0-0xf7) or full-width punctuation (lead 0xa1-0xa3): what a
    Chinese file is made of. Big5's commonest characters (lead 0xa4-0xaf) read as kana,
    Greek or private-use here, Shift-JIS's (lead 0x81-0x9f) as rare GBK characters."""
    if len(pair) != 2 or pair[1] < 0xA1:
        return False
    return 0xB0 <= pair[0] <= 0xF7 or 0xA1 <= pair[0] <= 0xA3


def likely_encoding(sample: bytes) -> str | None:
    """Japanese (kana), a Western word with an accented letter, or Traditional Chinese."""
    shift_jis = _decoded(sample, "shift_jis")
    if shift_jis is not None and _KANA.search(shift_jis):
        return "shift_jis"
    western = _decoded(sample, "cp1252")
    if western is not None and _IN_LATIN_WORD.search(sample):
        accented = _NON_ASCII.findall(western)
        letters = sum(1 for part in accented for ch in part if _LATIN_LETTER.match(ch))
        if letters * 2 >= sum(map(len, accented)):
            return "cp1252"
    big5 = _decoded(sample, "big5")
    if big5 is not None and _CJK.search(big5):
        return "big5"
    if western is not None:
        return "cp1252"
    return None


def _decoded(sample: bytes, encoding: str) -> str | None:
    try:
        return sample.decode(encoding)
    except UnicodeDecodeError:
        return None
