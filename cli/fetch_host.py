"""Which host a WebFetch of a URL reaches, as Claude Code's URL parser (Node, the WHATWG URL
Standard, https://url.spec.whatwg.org/) reads it, or a refusal where a reading could differ.

Python's urllib.parse is not that parser: for ``https://pastebin.com\\@docs.python.org/`` it reads
user info ``pastebin.com\\`` and host docs.python.org, while WHATWG ends an http(s) authority at
the backslash and fetches pastebin.com. WHATWG also ignores any number of slashes and
backslashes after ``https:``, removes tabs and newlines anywhere, percent-decodes and
IDNA-maps (UTS 46) host names, and reads hosts ending in a number as IPv4 in hex, octal or
fewer than four parts. Rather than follow every one of those rules, ``fetched_host`` accepts
only URLs whose host every reading agrees on and raises ``AmbiguousUrl`` for the rest; the
hook denies those, and a model can always send the plain ``https://host/path`` spelling.
The database then normalizes the host (coord.normalize_host: case, trailing dot, IPv6).
"""

from __future__ import annotations

import ipaddress
import re

# C0 controls and space: WHATWG strips them from both ends of the input.
_C0_OR_SPACE = "".join(chr(c) for c in range(0x21))
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
# A host name both parsers read the same way: ASCII letters, digits, '-', '_' and dots. Anything
# else is percent-decoded, IDNA-mapped or refused by WHATWG (or refused by the database).
_PLAIN_NAME = re.compile(r"[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.?")
_HEX_NUMBER = re.compile(r"0[xX][0-9A-Fa-f]*")


class AmbiguousUrl(ValueError):
    """The URL's host cannot be told for certain: the reason says why."""


def fetched_host(url: str) -> str:
    """The host Claude Code's WebFetch of ``url`` connects to: a lower-case name, a dotted-quad
    IPv4 address (WHATWG's reading of 0x7f.1, 2130706433 and the like) or an IPv6 address.
    AmbiguousUrl for anything that is not a plain absolute http(s) URL."""
    text = url.strip(_C0_OR_SPACE)
    if any(c in text for c in "\t\n\r"):
        raise AmbiguousUrl("it contains a tab or line break, which the URL parser removes")
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in text):
        raise AmbiguousUrl("it contains a control character")
    if "\\" in text:
        raise AmbiguousUrl("it contains a backslash, which ends the host for Claude Code's URL parser "
                           "but not for others")
    scheme = _SCHEME.match(text)
    if not scheme:
        raise AmbiguousUrl("it is not an absolute URL (no scheme)")
    if scheme.group(1).lower() not in ("http", "https"):
        raise AmbiguousUrl(f"its scheme {scheme.group(1)!r} is not http or https")
    rest = text[scheme.end():]
    if not rest.startswith("//") or rest[2:3] == "/":
        raise AmbiguousUrl("the scheme is not followed by exactly two slashes")
    authority = re.split(r"[/?#]", rest[2:], maxsplit=1)[0]
    if "@" in authority:
        raise AmbiguousUrl("it has user info (an @ before the host)")
    if authority.startswith("["):
        return _ipv6(authority)
    host, _, port = authority.partition(":")
    _check_port(port)
    if not host:
        raise AmbiguousUrl("it names no host")
    if "%" in host:
        raise AmbiguousUrl("its host is percent-encoded")
    if not host.isascii():
        raise AmbiguousUrl("its host is not ASCII (send the IDNA xn-- form)")
    if not _PLAIN_NAME.fullmatch(host):
        raise AmbiguousUrl(f"its host {host!r} has characters a host name does not")
    if _ends_in_a_number(host):
        return _ipv4(host)
    return host.lower()


def _check_port(port: str) -> None:
    if port and not (port.isascii() and port.isdigit() and int(port) <= 65535):
        raise AmbiguousUrl(f"its port {port!r} is not a number up to 65535")


def _ipv6(authority: str) -> str:
    inside, bracket, after = authority[1:].partition("]")
    if not bracket or (after and not after.startswith(":")):
        raise AmbiguousUrl("its IPv6 address is not closed by ]")
    _check_port(after[1:])
    if not re.fullmatch(r"[0-9A-Fa-f:.]+", inside):  # WHATWG has no zone ids (%)
        raise AmbiguousUrl("its IPv6 address has characters an address does not")
    try:
        return ipaddress.IPv6Address(inside).compressed
    except ValueError:
        raise AmbiguousUrl(f"[{inside}] is not an IPv6 address") from None


def _labels(host: str) -> list[str]:
    parts = host.split(".")
    if parts[-1] == "" and len(parts) > 1:
        parts.pop()
    return parts


def _ends_in_a_number(host: str) -> bool:
    """WHATWG's ends-in-a-number checker: such a host is parsed as IPv4, or the URL fails."""
    last = _labels(host)[-1]
    return bool(last) and (last.isdigit() or bool(_HEX_NUMBER.fullmatch(last)))


def _ipv4_number(part: str) -> int:
    if part == "":
        raise AmbiguousUrl("its host is not a valid IPv4 address (an empty part)")
    radix, digits = 10, part
    if part[:2] in ("0x", "0X"):
        radix, digits = 16, part[2:]
    elif len(part) > 1 and part[0] == "0":
        radix, digits = 8, part[1:]
    if digits == "":
        return 0
    allowed = {8: "01234567", 10: "0123456789", 16: "0123456789abcdefABCDEF"}[radix]
    if any(c not in allowed for c in digits):  # int() would also take '_', '+' and spaces
        raise AmbiguousUrl(f"its host is not a valid IPv4 address ({part!r})")
    return int(digits, radix)


def _ipv4(host: str) -> str:
    """WHATWG's IPv4 parser (1 to 4 parts, each decimal, 0x hex or 0 octal; the last fills the
    remaining bytes), as a dotted quad."""
    parts = _labels(host)
    if len(parts) > 4:
        raise AmbiguousUrl("its host is not a valid IPv4 address (more than four parts)")
    numbers = [_ipv4_number(p) for p in parts]
    if any(n > 255 for n in numbers[:-1]) or numbers[-1] >= 256 ** (5 - len(numbers)):
        raise AmbiguousUrl("its host is not a valid IPv4 address (a part is too large)")
    value = numbers[-1] + sum(n * 256 ** (3 - i) for i, n in enumerate(numbers[:-1]))
    return str(ipaddress.IPv4Address(value))
