"""The pattern layer: phone numbers, emails, references and dates, written and spoken."""

from __future__ import annotations

import pytest

from storybank.anonymise.engine import Anonymiser
from storybank.anonymise.engine.patterns import is_ni_number
from storybank.anonymise.engine.patterns import nhs_checksum_ok
from tests.anonymise.helpers import covered
from tests.anonymise.helpers import found
from tests.anonymise.helpers import untouched


@pytest.mark.parametrize(
    "number",
    [
        "07700 900 318",
        "07700900318",
        "07700-900-572",
        "+44 7700 900318",
        "+44 (0)7700 900318",
        "(01632) 960507",
        "01632 960507",
        "0113 496 0000",
    ],
)
def test_written_phone_numbers_are_found(anonymiser: Anonymiser, number: str) -> None:
    assert ("PHONE", number) in found(anonymiser, f"You can ring me on {number} any time.")


@pytest.mark.parametrize(
    "spoken",
    [
        "oh seven seven double oh nine hundred five seven two",
        "zero one six three two nine six oh five oh seven",
        "oh seven seven oh oh nine double oh eight one four",
        "07700 nine hundred five seven two",
    ],
)
def test_spoken_phone_numbers_are_found(anonymiser: Anonymiser, spoken: str) -> None:
    text = f"yeah he said ring me on {spoken} if you need me"
    assert ("PHONE", spoken) in found(anonymiser, text)


def test_small_spoken_numbers_are_not_phone_numbers(anonymiser: Anonymiser) -> None:
    text = "i get the number seventeen bus and do five or six jobs a week for twenty quid"
    assert found(anonymiser, text) == []


@pytest.mark.parametrize(
    "email",
    ["k.ellwood.84@outlook.com", "dave_smith@gmail.co.uk", "j.begum@thirteengroup.org.uk"],
)
def test_written_emails_are_found(anonymiser: Anonymiser, email: str) -> None:
    assert ("EMAIL", email) in found(anonymiser, f"Send it to {email}, please.")


@pytest.mark.parametrize(
    "spoken",
    [
        "k dot ellwood dot eighty four at outlook dot com",
        "dave underscore smith at gmail dot co dot uk",
        "jbegum at hotmail dot com",
    ],
)
def test_spoken_emails_are_found(anonymiser: Anonymiser, spoken: str) -> None:
    text = f"my email is {spoken} so send it there"
    assert ("EMAIL", spoken) in found(anonymiser, text)


@pytest.mark.parametrize("postcode", ["LA9 4QR", "la9 4qr", "LA94QR", "M1 1AE", "NE4 7YH"])
def test_full_postcodes_are_ids(anonymiser: Anonymiser, postcode: str) -> None:
    assert ("ID", postcode) in found(anonymiser, f"The flat is at {postcode} now.")


def test_outward_postcodes_need_an_address_context(anonymiser: Anonymiser) -> None:
    assert covered(anonymiser, "I moved to Kendal, LA9 last year.", "LA9")
    assert covered(anonymiser, "my postcode is ts3 now", "ts3")
    assert untouched(anonymiser, "We drove down the M1 and I took my B12 tablets.", "M1")
    assert untouched(anonymiser, "We drove down the M1 and I took my B12 tablets.", "B12")


@pytest.mark.parametrize("ni", ["AB 12 34 56 C", "ab123456c", "JE 01 23 45 D"])
def test_national_insurance_numbers_are_ids(anonymiser: Anonymiser, ni: str) -> None:
    assert ("ID", ni) in found(anonymiser, f"My NI is {ni}.")


def test_national_insurance_numbers_that_are_never_issued_are_refused() -> None:
    assert is_ni_number("AB 12 34 56 C")
    assert not is_ni_number("BG 12 34 56 A")  # prefix never used
    assert not is_ni_number("QQ 12 34 56 A")  # Q is never a prefix letter
    assert not is_ni_number("AB 12 34 56 E")  # suffix is A to D


def test_nhs_checksum() -> None:
    assert nhs_checksum_ok("9434765919")
    assert not nhs_checksum_ok("9434765918")
    assert not nhs_checksum_ok("943476591")


def test_nhs_numbers_are_ids_when_the_checksum_passes(anonymiser: Anonymiser) -> None:
    assert ("ID", "943 476 5919") in found(anonymiser, "It was 943 476 5919 on the form.")


def test_nhs_numbers_with_a_failing_checksum_need_a_lead_in(anonymiser: Anonymiser) -> None:
    labels = dict((t, lab) for lab, t in found(anonymiser, "It was 943 476 5918 on the form."))
    assert labels.get("943 476 5918") != "ID"
    assert ("ID", "943 476 5918") in found(anonymiser, "My NHS number is 943 476 5918.")


@pytest.mark.parametrize(
    ("text", "ref"),
    [
        ("my crn's k482913 they've got it on file", "k482913"),
        ("Her case reference is X123456.", "X123456"),
        ("inside they only ever used my number c4471kd", "c4471kd"),
        ("My prison number was A1234BC.", "A1234BC"),
        ("The car was registration PX19 KLT and I sold it.", "PX19 KLT"),
        ("Her fine account number is 0913-4426-58 apparently", "0913-4426-58"),
        ("my reference number is HB/2291/77 for the claim", "HB/2291/77"),
        ("the fine account is 4471 2290 8812 so", "4471 2290 8812"),
    ],
)
def test_reference_numbers_are_ids(anonymiser: Anonymiser, text: str, ref: str) -> None:
    assert ("ID", ref) in found(anonymiser, text)


def test_lead_in_words_stay_outside_the_id(anonymiser: Anonymiser) -> None:
    spans = found(anonymiser, "registration PX19 KLT")
    assert spans == [("ID", "PX19 KLT")]


def test_spoken_references_are_ids(anonymiser: Anonymiser) -> None:
    assert covered(
        anonymiser, "my crn is f six two oh three eight four ok", "f six two oh three eight four"
    )
    assert covered(anonymiser, "postcode t s five six j a yeah", "t s five six j a")


@pytest.mark.parametrize(
    "date",
    [
        "2nd of May",
        "9th of january",
        "3/11/22",
        "21.06.2019",
        "14 November 2021",
        "Tues 10th Jan",
        "the ninth of january",
        "January 9th, 2020",
        "June 2019",
        "the twenty first of march nineteen eighty seven",
    ],
)
def test_specific_dates_are_found(anonymiser: Anonymiser, date: str) -> None:
    text = f"It happened on {date} and I remember it."
    assert covered(anonymiser, text, date.removeprefix("the "))


@pytest.mark.parametrize(
    "phrase",
    [
        "every Saturday",
        "on a tuesday",
        "in June",
        "back in 2015",
        "last month",
        "at 10:30",
        "for £340",
        "I may go",
        "the first time",
    ],
)
def test_vague_times_are_not_dates(anonymiser: Anonymiser, phrase: str) -> None:
    text = f"It was {phrase} and that was that."
    assert untouched(anonymiser, text, phrase)


@pytest.mark.parametrize(
    "spoken",
    ["b four one nine two d k", "registration k y six two p r t"],
)
def test_spoken_letters_and_digits_are_a_reference(anonymiser: Anonymiser, spoken: str) -> None:
    text = f"she read it out {spoken} and wrote it down"
    reference = spoken.removeprefix("registration ")
    assert covered(anonymiser, text, reference)


@pytest.mark.parametrize(
    "spoken",
    [
        "kerry bloggs at gmail",
        "k dot bloggs at sign hotmail dot co dot uk",
        "kbloggs eighty two at outlook com",
    ],
)
def test_spoken_webmail_addresses_are_found(anonymiser: Anonymiser, spoken: str) -> None:
    text = f"you can email me on {spoken} whenever"
    assert covered(anonymiser, text, spoken)


def test_working_at_a_webmail_company_is_no_address(anonymiser: Anonymiser) -> None:
    labels = {label for label, _ in found(anonymiser, "my cousin works at yahoo in the office")}
    assert "EMAIL" not in labels
