"""SMS length (pure): GSM-7 160 characters in one segment, else 153 each; UCS-2 70, else 67 each."""

from __future__ import annotations

from dataclasses import dataclass

# The GSM 03.38 basic character set (one septet each).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# The extension table: each is sent as ESC + character, so it counts as two.
GSM7_EXTENDED = frozenset("^{}\\[~]|€\f")


@dataclass(frozen=True)
class SmsLength:
    """How a text will be sent: its encoding, length in that encoding's units, and segments."""

    encoding: str  # "GSM-7" or "UCS-2"
    units: int
    segments: int


def is_gsm7(text: str) -> bool:
    """True when every character is in the GSM-7 basic or extension table."""
    return all(c in GSM7_BASIC or c in GSM7_EXTENDED for c in text)


def sms_length(text: str) -> SmsLength:
    """Count a text's segments as a carrier would."""
    if is_gsm7(text):
        units = sum(2 if c in GSM7_EXTENDED else 1 for c in text)
        single, multi = 160, 153
        encoding = "GSM-7"
    else:
        # UCS-2 counts UTF-16 code units: an emoji outside the BMP takes two.
        units = len(text.encode("utf-16-le")) // 2
        single, multi = 70, 67
        encoding = "UCS-2"
    if units <= single:
        return SmsLength(encoding, units, 1 if units else 0)
    if encoding == "UCS-2":
        return SmsLength(encoding, units, -(-units // multi))
    # An escape pair (ESC + character) is never split across two segments.
    count, used = 1, 0
    for c in text:
        width = 2 if c in GSM7_EXTENDED else 1
        if used + width > multi:
            count, used = count + 1, 0
        used += width
    return SmsLength(encoding, units, count)


def segments(text: str) -> int:
    """How many SMS segments `text` takes."""
    return sms_length(text).segments
