"""Certificate numbers (证书编号): 17 digits, year + month + registry code + 7-digit serial.

2026 11 1200 0000042
year month registry code (Tianjin 1200) serial (database sequence, never reused)
"""

from __future__ import annotations

import datetime as dt
import re

_NUMBER_RE = re.compile(r"^[0-9]{17}$")  # ASCII digits only (\d matches any script)
SERIAL_DIGITS = 7


class CertificateNumberError(ValueError):
    """A string that cannot be a certificate number."""


def compose_certificate_number(*, issued_on: dt.date, registry_code: str, serial: int) -> str:
    if not (len(registry_code) == 4 and registry_code.isdigit()):
        raise CertificateNumberError(f"registry code {registry_code!r} must be four digits")
    if not 1 <= serial < 10**SERIAL_DIGITS:
        raise CertificateNumberError(f"serial {serial} out of range")
    return f"{issued_on:%Y%m}{registry_code}{serial:0{SERIAL_DIGITS}d}"


def normalise_certificate_number(value: str) -> str:
    number = (value or "").strip().replace(" ", "").replace("-", "")
    if not _NUMBER_RE.match(number):
        raise CertificateNumberError(
            "证书编号应为17位数字 (a certificate number has 17 digits: year, month, registry "
            "code and serial)"
        )
    month = int(number[4:6])
    if not 1 <= month <= 12:
        raise CertificateNumberError("证书编号中的月份无效 (the month in the number is invalid)")
    return number
