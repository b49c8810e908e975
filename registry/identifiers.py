"""Identifiers the registry validates or issues; pure functions, no database.

- USCC (统一社会信用代码, GB 32100-2015): 18 characters ending in a check character; validated with
  python-stdnum so a mistyped code is rejected, not looked up.
- Registration number (登记号), 16 characters, following the structure of CNIPA's national format:

      YYYY  SS  T  NNNNNNNN  C
      year  data-source code  subject-type code  sequence  check character

  The subject-type code is the holder's USCC registration-authority digit (9 = market
  regulation, i.e. enterprises; 1 = institutions; 5 = social organisations; ...). The check
  character is ISO 7064 MOD 11-2 over the 15 digits before it (0-9 or X, as on Chinese resident
  ID numbers, GB 11643): it catches every single-digit error and every transposition of two
  adjacent digits, so a typo is detected before any query runs. (MOD 37-36, the alphanumeric
  hybrid system, misses some adjacent transpositions; our body is all digits, so 11-2 fits.)
- Application number (申请号): "SQ" + year + 8-digit sequence, assigned at first submission.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from stdnum import exceptions as stdnum_exceptions
from stdnum.cn import uscc as stdnum_uscc
from stdnum.iso7064 import mod_11_2

REGISTRATION_NUMBER_LENGTH = 16
SEQUENCE_DIGITS = 8
_REGISTRATION_RE = re.compile(r"^(\d{4})(\d{2})(\d)(\d{8})([0-9X])$")
_APPLICATION_RE = re.compile(r"^SQ\d{4}\d{8}$")


class IdentifierError(ValueError):
    """A code or number that is malformed or whose check character does not match."""


def normalise_uscc(value: str) -> str:
    """Return the USCC in canonical form (upper case, no spaces) or raise IdentifierError."""
    try:
        return stdnum_uscc.validate(value)
    except stdnum_exceptions.InvalidChecksum as exc:
        raise IdentifierError(
            "统一社会信用代码校验位错误 (USCC check character does not match)"
        ) from exc
    except stdnum_exceptions.InvalidLength as exc:
        raise IdentifierError("统一社会信用代码应为18位 (USCC must have 18 characters)") from exc
    except stdnum_exceptions.ValidationError as exc:
        raise IdentifierError("统一社会信用代码格式错误 (USCC format is invalid)") from exc


def uscc_with_check_character(first_17: str) -> str:
    """Complete a 17-character USCC body with its check character (used for demo data)."""
    return first_17 + stdnum_uscc.calc_check_digit(first_17)


@dataclass(frozen=True)
class RegistrationNumber:
    year: int
    source_code: str
    subject_code: str
    sequence: int

    @property
    def body(self) -> str:
        sequence = f"{self.sequence:0{SEQUENCE_DIGITS}d}"
        return f"{self.year:04d}{self.source_code}{self.subject_code}{sequence}"

    def __str__(self) -> str:
        return self.body + mod_11_2.calc_check_digit(self.body)


def compose_registration_number(
    *, year: int, source_code: str, subject_code: str, sequence: int
) -> str:
    if not 1 <= sequence < 10**SEQUENCE_DIGITS:
        raise IdentifierError(f"sequence {sequence} out of range")
    if not (len(source_code) == 2 and source_code.isdigit()):
        raise IdentifierError(f"data-source code {source_code!r} must be two digits")
    if not (len(subject_code) == 1 and subject_code.isdigit()):
        raise IdentifierError(f"subject-type code {subject_code!r} must be one digit")
    return str(
        RegistrationNumber(
            year=year, source_code=source_code, subject_code=subject_code, sequence=sequence
        )
    )


def parse_registration_number(value: str) -> RegistrationNumber:
    """Parse and check a registration number; raises IdentifierError on a format or check error."""
    number = (value or "").strip().upper().replace(" ", "").replace("-", "")
    match = _REGISTRATION_RE.match(number)
    if not match:
        raise IdentifierError(
            "登记号格式错误：应为15位数字加1位校验码 "
            "(registration number must be 15 digits and a check character: YYYY SS T NNNNNNNN C)"
        )
    if not mod_11_2.is_valid(number):
        raise IdentifierError(
            "登记号校验位错误 (registration number check character does not match: mistyped?)"
        )
    year, source_code, subject_code, sequence, _check = match.groups()
    return RegistrationNumber(
        year=int(year), source_code=source_code, subject_code=subject_code, sequence=int(sequence)
    )


def normalise_registration_number(value: str) -> str:
    return str(parse_registration_number(value))


def compose_application_number(*, year: int, sequence: int) -> str:
    return f"SQ{year:04d}{sequence:0{SEQUENCE_DIGITS}d}"


def is_application_number(value: str) -> bool:
    return bool(_APPLICATION_RE.match(value or ""))
