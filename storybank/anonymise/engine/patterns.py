"""Patterns for UK and justice identifiers, written and spoken: phones, emails, refs, dates."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources

from storybank.anonymise.engine import confidence as conf
from storybank.anonymise.engine.cues import zipf


@dataclass(frozen=True)
class Hit:
    """One pattern match: a span, its label and how sure the pattern is."""

    start: int
    end: int
    label: str
    confidence: float


# ---------------------------------------------------------------------------------------------
# Number words

UNITS = {
    "zero": "0",
    "oh": "0",
    "o": "0",
    "nought": "0",
    "nil": "0",
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
}
TEENS = {
    "ten": "10",
    "eleven": "11",
    "twelve": "12",
    "thirteen": "13",
    "fourteen": "14",
    "fifteen": "15",
    "sixteen": "16",
    "seventeen": "17",
    "eighteen": "18",
    "nineteen": "19",
}
TENS = {
    "twenty": "2",
    "thirty": "3",
    "forty": "4",
    "fourty": "4",
    "fifty": "5",
    "sixty": "6",
    "seventy": "7",
    "eighty": "8",
    "ninety": "9",
}
MULTIPLIERS = {"double": 2, "triple": 3, "treble": 3}
NUMBER_WORDS = set(UNITS) | set(TEENS) | set(TENS) | set(MULTIPLIERS) | {"hundred", "thousand"}

ORDINALS = [
    "first",
    "second",
    "third",
    "fourth",
    "fifth",
    "sixth",
    "seventh",
    "eighth",
    "ninth",
    "tenth",
    "eleventh",
    "twelfth",
    "thirteenth",
    "fourteenth",
    "fifteenth",
    "sixteenth",
    "seventeenth",
    "eighteenth",
    "nineteenth",
    "twentieth",
    "thirtieth",
]
_ORDINAL_WORD = (
    r"(?:(?:twenty|thirty)[\s-]?(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth)"
    r"|" + "|".join(ORDINALS) + r")"
)
MONTHS = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_MONTHS_UNAMBIGUOUS = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|apr(?:il)?|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|march)"
)
WEEKDAYS = (
    r"(?:mon(?:day)?|tue(?:s(?:day)?)?|wed(?:nesday)?|thu(?:r(?:s(?:day)?)?)?"
    r"|fri(?:day)?|sat(?:urday)?|sun(?:day)?)"
)
_UNIT_WORD = r"(?:one|two|three|four|five|six|seven|eight|nine)"
_SPOKEN_YEAR = (
    r"(?:(?:nineteen|twenty)[\s-](?:(?:oh|o|hundred)[\s-]" + _UNIT_WORD + r"?"
    r"|(?:ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen)"
    r"|(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:[\s-]" + _UNIT_WORD + r")?)"
    r"|two[\s-]thousand(?:[\s-]and)?(?:[\s-](?:"
    + _UNIT_WORD
    + r"|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen"
    r"|twenty(?:[\s-]" + _UNIT_WORD + r")?))?)"
)
# "ninety one" after a day and month: a year said without its century.
_SHORT_SPOKEN_YEAR = (
    r"(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:[\s-]" + _UNIT_WORD + r")?"
)
_YEAR = r"(?:(?:19|20)\d{2}|'\d{2}|" + _SPOKEN_YEAR + r"|" + _SHORT_SPOKEN_YEAR + r")"
_DAY_NUM = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"
_DAY = r"(?:" + _DAY_NUM + r"|" + _ORDINAL_WORD + r")"

_F = re.IGNORECASE
_DATA = "storybank.anonymise.data"

DATE_PATTERNS: tuple[tuple[re.Pattern[str], float], ...] = (
    # 3/11/22, 21.06.2019, 03-11-2022, 2019-06-21
    (
        re.compile(
            r"(?<![\w/.\-])(?:(?:0?[1-9]|[12]\d|3[01])[/.\-](?:0?[1-9]|1[0-2])[/.\-](?:\d{4}|\d{2})"
            r"|(?:0?[1-9]|1[0-2])[/.\-](?:0?[1-9]|[12]\d|3[01])[/.\-](?:\d{4}|\d{2})"
            r"|(?:19|20)\d{2}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01]))(?![\w/]|[.\-]\d)",
            _F,
        ),
        conf.DATE_NUMERIC,
    ),
    # (Tues) (the) 10th (of) Jan(uary) (2021)
    (
        re.compile(
            r"\b(?:" + WEEKDAYS + r"\.?,?\s+)?(?:the\s+)?"
            r"(?:"
            + _DAY_NUM
            + r"\s+(?:of\s+)?"
            + MONTHS
            + r"|"
            + _ORDINAL_WORD
            + r"\s+of\s+"
            + MONTHS
            + r"|"
            + _ORDINAL_WORD
            + r"\s+"
            + _MONTHS_UNAMBIGUOUS
            + r")\b\.?"
            r"(?:,?\s+" + _YEAR + r"\b)?",
            _F,
        ),
        conf.DATE_DAY_MONTH,
    ),
    # (Tuesday) January (the) 10th (, 2021); May needs a day with a suffix or a year.
    (
        re.compile(
            r"\b(?:" + WEEKDAYS + r"\.?,?\s+)?"
            r"(?:" + _MONTHS_UNAMBIGUOUS + r"\.?\s+(?:the\s+)?(?:" + _DAY + r")"
            r"|ma[yr]\s+(?:the\s+)?(?:(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)|"
            + _ORDINAL_WORD
            + r"))"
            r"\b(?:,?\s+" + _YEAR + r"\b)?",
            _F,
        ),
        conf.DATE_MONTH_DAY,
    ),
    # June 2019, january twenty nineteen (a month with a year)
    (
        re.compile(
            r"\b" + MONTHS + r"\.?,?\s+(?:of\s+)?(?:(?:19|20)\d{2}|" + _SPOKEN_YEAR + r")\b", _F
        ),
        conf.DATE_MONTH_YEAR,
    ),
    # Tuesday the 10th
    (re.compile(r"\b" + WEEKDAYS + r",?[ \t]+the[ \t]+" + _DAY + r"\b", _F), conf.DATE_WEEKDAY_DAY),
)

# ---------------------------------------------------------------------------------------------
# Emails

# Matches start only at the start of a token, and local parts are at most 64 characters, so a
# long run of letters cannot make the search quadratic.
_EMAIL = re.compile(r"(?<![\w.+\-'])[\w.+\-']{1,64}@[\w\-]+(?:\.[\w\-]+)*\.[a-z]{2,}\b", _F)
_NUM_WORD_RE = "|".join(sorted(NUMBER_WORDS, key=len, reverse=True))
_SPOKEN_PIECE = r"(?:[a-z0-9]+)"
_SPOKEN_CONNECT = (
    r"(?:\s*[._\-]\s*|\s+(?:dot|underscore|dash|hyphen|point)\s+|\s+(?=(?:"
    + _NUM_WORD_RE
    + r")\b))"
)
_DOT = r"(?:\s*\.\s*|\s+dot\s+)"
_TLD = (
    r"(?:com|co"
    + _DOT
    + r"uk|org(?:"
    + _DOT
    + r"uk)?|net|uk|gov"
    + _DOT
    + r"uk|ac"
    + _DOT
    + r"uk|io|info|me|biz|eu|ie)"
)
_SPOKEN_LOCAL = r"\b" + _SPOKEN_PIECE + r"(?:" + _SPOKEN_CONNECT + _SPOKEN_PIECE + r"){0,6}"
_SPOKEN_AT = r"\s*(?:\bat(?:\s+sign)?\b|@)\s*"
_SPOKEN_EMAIL = re.compile(
    _SPOKEN_LOCAL + _SPOKEN_AT + r"[a-z0-9\-]+(?:(?:\s*\.\s*|\s+dot\s+)[a-z0-9\-]+){0,2}"
    r"(?:\s*\.\s*|\s+dot\s+)" + _TLD + r"\b",
    _F,
)
# Webmail providers are named without their ending as often as with it ("at gmail", "gmail com").
_WEBMAIL = (
    r"(?:gmail|googlemail|hotmail|outlook|yahoo|ymail|icloud|live|msn|aol|btinternet|btopenworld"
    r"|sky|virginmedia|talktalk|protonmail|proton|gmx|mail)"
)
_SPOKEN_WEBMAIL = re.compile(
    _SPOKEN_LOCAL + _SPOKEN_AT + _WEBMAIL + r"(?:(?:\s*\.\s*|\s+dot\s+|\s+)" + _TLD + r")?\b",
    _F,
)
_SPOKEN_LOCAL_STOP = {
    "is",
    "it's",
    "its",
    "email",
    "e-mail",
    "address",
    "me",
    "my",
    "on",
    "to",
    "the",
    "was",
    "and",
    "her",
    "his",
    "their",
    "your",
    "our",
    "mail",
    "send",
    "sends",
    "sent",
    "that",
    "at",
}

# ---------------------------------------------------------------------------------------------
# Phones

_PHONE_WRITTEN = re.compile(
    r"(?<![\w+])(?:\+\s?\d{1,3}[\s\-.]?(?:\(0\)\s?)?\(?\d|\(0\d|0\d)[\d\s\-.()]{6,16}\d(?![\w])"
)
_PHONE_US = re.compile(r"(?<![\w])\(?\d{3}\)?[\s\-.]\d{3}[\s\-.]\d{4}(?![\w])")

# ---------------------------------------------------------------------------------------------
# References

POSTCODE_AREAS = frozenset(
    area.upper()
    for area in resources.files(_DATA)
    .joinpath("postcode_areas.txt")
    .read_text(encoding="utf-8")
    .split()
    if not area.startswith("#")
)
_POSTCODE = re.compile(r"\b([A-Z]{1,2})(\d[A-Z\d]?)\s?(\d[A-Z]{2})\b", _F)
_OUTWARD = re.compile(r"\b([A-Z]{1,2})(\d{1,2}[A-Z]?)\b", _F)
_OUTWARD_BEFORE = re.compile(
    r"(?:post\s?code(?:'s|\s+is|\s+was)?:?|\bin|\bfrom|\bnear|\baround|\bround|,)\s*$", _F
)
_OUTWARD_AFTER = re.compile(r"^\s*(?:area|postcode|way|side)\b", _F)
_NI = re.compile(
    r"\b(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]\b",
    _F,
)
# The shape alone, with prefixes HMRC never issues (such as its example "QQ"): still redacted.
_NI_SHAPE = re.compile(r"\b[A-Z]{2}\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]\b", _F)
_CRN = re.compile(r"\b[A-Z]\d{6}\b", _F)
_PRISON_NUMBER = re.compile(r"\b[A-Z]\d{4}[A-Z]{2}\b", _F)
_VEHICLE = re.compile(r"\b[A-Z]{2}\d{2}\s?[A-Z]{3}\b", _F)
_VEHICLE_OLD = re.compile(r"\b(?:[A-Z]\d{1,3}\s?[A-Z]{3}|[A-Z]{3}\s?\d{1,3}[A-Z])\b")
_NHS = re.compile(r"(?<![\w\-])\d{3}[\s\-]?\d{3}[\s\-]?\d{4}(?![\w\-])")
_NHS_LEADIN = re.compile(r"\bnhs\s*(?:number|no\.?|num)?\s*(?:is|was|:)?\s*$", _F)
_LONG_NUMBER = re.compile(r"(?<![\w£$€.,/])\d[\d\s\-/]{4,}\d(?![\w.,]\d)(?!\w)")
_MIXED_REF = re.compile(r"\b(?=[A-Z/\-]*\d)(?=\d*[A-Z])[A-Z0-9][A-Z0-9/\-]{4,}[A-Z0-9]\b", _F)
_LEADIN = re.compile(
    r"\b(?:crn|case\s+(?:reference|ref|number|no)|reference|ref|account|acct|application"
    r"|claim|customer|prison(?:er)?\s+number|nomis|pnc|cro|national\s+insurance|ni\s+(?:number|no)"
    r"|nhs|passport|licence|license|tenancy|registration|reg|number\s+plate|plate|membership"
    r"|policy|booking|order|serial|payroll|student|staff|member|ticket|invoice|docket|warrant"
    r"|indictment|case|id|pin)"
    r"(?:\s+(?:number|no\.?|num|#|ref|reference|id|code))?"
    r"(?:'s|\u2019s|\s+is|\s+was|\s*:|\s*=|\s+of|\s+being|\s+reads|\s+#)*\s*$",
    _F,
)
_REF_AFTER_LEADIN = re.compile(r"[A-Z0-9][A-Z0-9/\-]*\d[A-Z0-9/\-]*(?:\s[A-Z0-9]{2,4}\b)?", _F)
_YEAR_RANGE = re.compile(r"^(?:19|20)\d{2}\s?[-/]\s?(?:(?:19|20)\d{2}|\d{2})$")


def is_ni_number(text: str) -> bool:
    """Say whether text is a National Insurance number in a form that is issued."""
    return bool(_NI.fullmatch(text.strip()))


def nhs_checksum_ok(digits: str) -> bool:
    """Check an NHS number's mod-11 check digit."""
    if len(digits) != 10 or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


_RUN_TOGETHER_EMAIL = re.compile(
    r"\b\w+(?:gmail|googlemail|hotmail|outlook|yahoo|icloud|btinternet|live|aol|protonmail"
    r"|sky|virginmedia|talktalk|me)(?:com|couk|net|org|orguk)\b",
    _F,
)


def _names_someone(address: str) -> bool:
    """Say whether a spoken address's local part looks like one ("jo bloggs", not "works")."""
    local = re.split(r"\s+at\b|@", address, maxsplit=1, flags=_F)[0].lower().split()
    pieces = [p for p in local if p not in _SPOKEN_LOCAL_STOP]
    return any(
        p in {"dot", "underscore", "dash", "hyphen"} or any(c.isdigit() for c in p) or zipf(p) < 4
        for p in pieces
    )


def find_emails(text: str) -> Iterator[Hit]:
    """Find written and spoken email addresses (and ones whose punctuation was lost)."""
    for match in _EMAIL.finditer(text):
        yield Hit(match.start(), match.end(), "EMAIL", conf.EMAIL_WRITTEN)
    for match in _RUN_TOGETHER_EMAIL.finditer(text):
        yield Hit(match.start(), match.end(), "EMAIL", conf.EMAIL_RUN_TOGETHER)
    webmail = [m for m in _SPOKEN_WEBMAIL.finditer(text) if _names_someone(m.group())]
    for match in [*_SPOKEN_EMAIL.finditer(text), *webmail]:
        start, end = match.start(), match.end()
        # Drop lead-in words the greedy local part swallowed ("my email is t dot ...").
        words = list(re.finditer(r"[^\s._\-]+", text[start:end]))
        for word in words:
            if word.group().lower() in _SPOKEN_LOCAL_STOP:
                start = match.start() + word.end()
                continue
            break
        while start < end and not text[start].isalnum():
            start += 1
        if start < end and text[start:end].lower().split()[0] not in {"at", "@"}:
            yield Hit(start, end, "EMAIL", conf.EMAIL_SPOKEN)


_REFERENCE_CONTEXT = re.compile(
    r"\b(?:account|acct|reference|ref|crn|case(?!\s+(?:manager|worker|officer|load))|application"
    r"|claim|customer|policy|membership"
    r"|invoice|nhs|insurance)\b(?!.*\b(?:phone|mobile|ring|call|text|landline|tel|contact)\b)",
    _F,
)


def find_phones(text: str) -> Iterator[Hit]:
    """Find phone numbers written with digits (UK first, then international and US shapes)."""
    for match in _PHONE_WRITTEN.finditer(text):
        raw = match.group().rstrip(" -.")
        if raw.count("(") != raw.count(")") and raw.startswith("("):
            raw = raw  # an opening bracket with no close is still a phone number
        digits = _digits(raw)
        head = raw.lstrip("(")
        ok = 8 <= len(digits) <= 15 if head.startswith("+") else 10 <= len(digits) <= 11
        if ok and not _looks_like_date(raw):
            before = text[max(0, match.start() - 50) : match.start()]
            label = "ID" if _REFERENCE_CONTEXT.search(before) else "PHONE"
            yield Hit(match.start(), match.start() + len(raw), label, conf.PHONE_WRITTEN)
    for match in _PHONE_US.finditer(text):
        digits = _digits(match.group())
        before = text[max(0, match.start() - 24) : match.start()]
        if _NHS_LEADIN.search(before) or (digits[0] != "0" and nhs_checksum_ok(digits)):
            continue
        yield Hit(match.start(), match.end(), "PHONE", conf.PHONE_OTHER_SHAPE)


def _looks_like_date(raw: str) -> bool:
    return bool(re.fullmatch(r"\d{1,2}[.\-]\d{1,2}[.\-]\d{2,4}", raw.strip()))


def find_references(text: str) -> Iterator[Hit]:
    """Find postcodes, NI, NHS, CRN and prison numbers, registrations and introduced references."""
    for match in _POSTCODE.finditer(text):
        if match.group(1).upper() in POSTCODE_AREAS:
            yield Hit(match.start(), match.end(), "ID", conf.POSTCODE)
    for match in _OUTWARD.finditer(text):
        area = match.group(1).upper()
        if area not in POSTCODE_AREAS:
            continue
        before = text[max(0, match.start() - 30) : match.start()]
        after = text[match.end() : match.end() + 12]
        if re.search(r"\b(?:the|vitamin|on|m|junction|a)\s*$", before, _F):
            continue
        if _OUTWARD_BEFORE.search(before) or _OUTWARD_AFTER.match(after):
            if re.search(r"post\s?code", before, _F) or _OUTWARD_AFTER.match(after):
                yield Hit(match.start(), match.end(), "ID", conf.POSTCODE_DISTRICT_CUED)
            elif before.rstrip().endswith(",") or match.group().isupper():
                yield Hit(match.start(), match.end(), "ID", conf.POSTCODE_DISTRICT)
    for regex, confidence in (
        (_NI, conf.NI_NUMBER),
        (_NI_SHAPE, conf.NI_SHAPE),
        (_CRN, conf.CRN),
        (_PRISON_NUMBER, conf.PRISON_NUMBER),
        (_VEHICLE, conf.VEHICLE),
        (_VEHICLE_OLD, conf.VEHICLE_OLD),
    ):
        for match in regex.finditer(text):
            yield Hit(match.start(), match.end(), "ID", confidence)
    for match in _NHS.finditer(text):
        digits = _digits(match.group())
        before = text[max(0, match.start() - 24) : match.start()]
        if _NHS_LEADIN.search(before):
            yield Hit(match.start(), match.end(), "ID", conf.NHS_WITH_LEADIN)
        elif digits[0] != "0" and nhs_checksum_ok(digits):
            yield Hit(match.start(), match.end(), "ID", conf.NHS_CHECKSUM)
    for match in _LEADIN_TARGETS.finditer(text):
        before = text[max(0, match.start() - 40) : match.start()]
        if _LEADIN.search(before):
            ref = _REF_AFTER_LEADIN.match(text, match.start())
            if ref and len(_digits(ref.group())) >= 3:
                end = ref.end()
                # A trailing group is only part of the reference if it holds a digit or capitals.
                tail = ref.group().rsplit(" ", 1)
                if len(tail) == 2 and not re.search(r"\d|^[A-Z]+$", tail[1]):
                    end = ref.start() + len(tail[0])
                yield Hit(ref.start(), end, "ID", conf.REFERENCE_AFTER_LEADIN)
    for match in _LONG_NUMBER.finditer(text):
        raw = match.group().rstrip(" -/")
        digits = _digits(raw)
        if len(digits) >= 7 and not _YEAR_RANGE.match(raw) and not _looks_like_date(raw):
            yield Hit(match.start(), match.start() + len(raw), "ID", conf.LONG_NUMBER)
    for match in _MIXED_REF.finditer(text):
        if len(_digits(match.group())) >= 4:
            yield Hit(match.start(), match.end(), "ID", conf.MIXED_REFERENCE)


_LEADIN_TARGETS = re.compile(r"(?<![\w])[A-Z0-9](?=[A-Z0-9/\-]*\d)", _F)


def find_dates(text: str) -> Iterator[Hit]:
    """Find specific dates: a day with a month, a month with a year, or a full date."""
    for regex, confidence in DATE_PATTERNS:
        for match in regex.finditer(text):
            start, end = match.start(), match.end()
            span = match.group()
            lead = re.match(r"the\s+", span, _F)
            if lead:
                start += lead.end()
            while end > start and text[end - 1] in ".,":
                end -= 1
            yield Hit(start, end, "DATE", confidence)
