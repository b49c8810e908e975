"""Identifiers (domain.md section 4): USCC check character and the registration number's check
character must catch typing errors before any lookup. Pure functions, no database."""

import string

import pytest

from registry.identifiers import (
    IdentifierError,
    RegistrationNumber,
    compose_application_number,
    compose_registration_number,
    is_application_number,
    normalise_registration_number,
    normalise_uscc,
    parse_registration_number,
)

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100-2015: no I, O, S, V, Z
ALPHANUMERIC = string.digits + string.ascii_uppercase

USCC_CHECK_ERROR = "统一社会信用代码校验位错误 (USCC check character does not match)"
USCC_LENGTH_ERROR = "统一社会信用代码应为18位 (USCC must have 18 characters)"
REGISTRATION_FORMAT_ERROR = (
    "登记号格式错误：应为15位数字加1位校验码 "
    "(registration number must be 15 digits and a check character: YYYY SS T NNNNNNNN C)"
)
REGISTRATION_CHECK_ERROR = (
    "登记号校验位错误 (registration number check character does not match: mistyped?)"
)

VALID_USCCS = [
    "91110000600037341L",  # python-stdnum's documented example
    "91120116MA05JKP8X7",  # letters in the organisation code
    "121200004013593211",  # an institution (registration authority 1)
    "52120000MJ00001238",  # a social organisation (registration authority 5)
]

# Every data-source code, three subject-type codes, small and large sequences: 504 numbers.
COMPOSED_NUMBERS = [
    compose_registration_number(
        year=2026, source_code=source, subject_code=subject, sequence=sequence
    )
    for source in ("01", "02", "03", "04")
    for subject in ("9", "1", "5")
    for sequence in [*range(1, 41), 12_345_678, 99_999_999]
]


# --- USCC -----------------------------------------------------------------------------------
@pytest.mark.parametrize("code", VALID_USCCS)
def test_valid_uscc_is_accepted_unchanged(code):
    # given a valid code  # when
    result = normalise_uscc(code)
    # then
    assert result == code


def test_uscc_lower_case_and_separators_are_normalised():
    # given the documented example typed in lower case with spaces and dashes
    typed = "9111 0000-6000 3734 1l"
    # when
    result = normalise_uscc(typed)
    # then
    assert result == "91110000600037341L"


@pytest.mark.parametrize("code", VALID_USCCS)
def test_every_single_character_substitution_of_a_uscc_is_rejected(code):
    # given every code obtained by replacing one character with another of the USCC alphabet
    typos = [
        code[:position] + replacement + code[position + 1 :]
        for position in range(len(code))
        for replacement in USCC_ALPHABET
        if replacement != code[position]
    ]
    assert len(typos) == 18 * 30
    # when
    accepted = []
    for typo in typos:
        try:
            normalise_uscc(typo)
        except IdentifierError:
            continue
        accepted.append(typo)
    # then
    assert accepted == []


def test_uscc_typo_in_the_serial_reports_the_check_character():
    # given the documented example with one digit of its serial mistyped (…373… → …374…)
    typo = "91110000600047341L"
    # when
    with pytest.raises(IdentifierError) as excinfo:
        normalise_uscc(typo)
    # then
    assert str(excinfo.value) == USCC_CHECK_ERROR


@pytest.mark.parametrize("code", ["91110000600037341", "91110000600037341LL", ""])
def test_uscc_of_wrong_length_is_rejected(code):
    # given / when
    with pytest.raises(IdentifierError) as excinfo:
        normalise_uscc(code)
    # then
    assert str(excinfo.value) == USCC_LENGTH_ERROR


# --- registration numbers ----------------------------------------------------------------------
def test_composed_registration_number_has_the_documented_structure():
    # given / when
    number = compose_registration_number(year=2026, source_code="01", subject_code="9", sequence=1)
    # then: YYYY SS T NNNNNNNN C
    assert number == "2026019000000015"
    assert len(number) == 16


@pytest.mark.parametrize("number", COMPOSED_NUMBERS[:: len(COMPOSED_NUMBERS) // 12])
def test_composed_registration_numbers_parse_back(number):
    # given a composed number  # when
    parsed = parse_registration_number(number)
    # then
    assert str(parsed) == number
    assert parsed.year == 2026
    assert parsed.source_code == number[4:6]
    assert parsed.subject_code == number[6]
    assert parsed.sequence == int(number[7:15])


def test_parse_returns_every_part():
    # given / when
    parsed = parse_registration_number("2026041000000075")
    # then
    assert parsed == RegistrationNumber(year=2026, source_code="04", subject_code="1", sequence=7)


def test_every_single_character_substitution_is_rejected():
    # given every number of the set with one character replaced by another letter or digit
    checked = 0
    accepted = []
    # when
    for number in COMPOSED_NUMBERS:
        for position in range(16):
            for replacement in ALPHANUMERIC:
                if replacement == number[position]:
                    continue
                typo = number[:position] + replacement + number[position + 1 :]
                checked += 1
                try:
                    parse_registration_number(typo)
                except IdentifierError:
                    continue
                accepted.append((number, typo))
    # then
    assert checked == len(COMPOSED_NUMBERS) * 16 * 35
    assert accepted == []


def test_every_adjacent_transposition_is_rejected():
    # given every number of the set with two different neighbouring characters swapped
    checked = 0
    accepted = []
    # when
    for number in COMPOSED_NUMBERS:
        for position in range(15):
            first, second = number[position], number[position + 1]
            if first == second:
                continue
            swapped = number[:position] + second + first + number[position + 2 :]
            checked += 1
            try:
                parse_registration_number(swapped)
            except IdentifierError:
                continue
            accepted.append((number, swapped))
    # then
    assert checked == 4838  # 504 numbers; runs of equal digits (0000…) are not swaps
    assert accepted == []


def test_swapping_two_sequence_digits_is_detected():
    # given a registration number and the same number with its sequence digits 5 and 6 swapped
    number = compose_registration_number(
        year=2026, source_code="01", subject_code="5", sequence=12_345_678
    )
    # MOD 11-2 over 202601512345678: the check character is 6
    assert number == "2026015123456786"
    swapped = "2026015123465786"
    # when
    with pytest.raises(IdentifierError) as excinfo:
        parse_registration_number(swapped)
    # then
    assert str(excinfo.value) == REGISTRATION_CHECK_ERROR


def test_mistyped_check_character_reports_the_check_error():
    # given / when
    with pytest.raises(IdentifierError) as excinfo:
        parse_registration_number("2026019000000016")
    # then
    assert str(excinfo.value) == REGISTRATION_CHECK_ERROR


@pytest.mark.parametrize(
    "value",
    [
        "",
        "202601900000001",  # 15 characters
        "2026019000000015X",  # 17 characters
        "202601900000001J",  # a letter other than X as check character
        "202601Y000000015",  # a letter as subject-type code
        "202601900000015",  # a sequence digit missing
        "20260190000000015",  # a sequence digit too many
        "2026A19000000015",  # a letter in the data-source code
    ],
)
def test_malformed_registration_number_is_rejected(value):
    # given / when
    with pytest.raises(IdentifierError) as excinfo:
        parse_registration_number(value)
    # then
    assert str(excinfo.value) == REGISTRATION_FORMAT_ERROR


@pytest.mark.parametrize(
    "typed",
    [
        "202602900000009x",
        "2026 02 9 00000009 X",
        "2026-02-9-00000009-X",
        " 2026-02 9-0000 0009-x ",
    ],
)
def test_lower_case_spaces_and_dashes_are_accepted_and_normalised(typed):
    # given a valid number typed loosely  # when
    normalised = normalise_registration_number(typed)
    parsed = parse_registration_number(typed)
    # then
    assert normalised == "202602900000009X"
    assert parsed == RegistrationNumber(year=2026, source_code="02", subject_code="9", sequence=9)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"sequence": 0}, "sequence 0 out of range"),
        ({"sequence": 100_000_000}, "sequence 100000000 out of range"),
        ({"source_code": "1"}, "data-source code '1' must be two digits"),
        ({"subject_code": "91"}, "subject-type code '91' must be one digit"),
        ({"subject_code": "Y"}, "subject-type code 'Y' must be one digit"),
    ],
)
def test_compose_refuses_parts_that_do_not_fit(kwargs, message):
    # given
    parts = {"year": 2026, "source_code": "01", "subject_code": "9", "sequence": 1, **kwargs}
    # when
    with pytest.raises(IdentifierError) as excinfo:
        compose_registration_number(**parts)
    # then
    assert str(excinfo.value) == message


# --- application numbers -----------------------------------------------------------------------
def test_application_number_format():
    # given / when
    number = compose_application_number(year=2026, sequence=42)
    # then
    assert number == "SQ202600000042"
    assert is_application_number(number) is True
    assert is_application_number("SQ20260000042") is False
    assert is_application_number("2026019000000015") is False
