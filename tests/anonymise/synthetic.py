"""Synthetic UK probation-style stories with labelled identifiers, for tuning and regression."""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from typing import Any

# Names of many origins, places from regions no labelled story comes from; none is taken from a
# sample or dev story, and whether each is in the bundled lists is left to chance.
FIRST = [
    "Dave",
    "Shannon",
    "Tariq",
    "Agnieszka",
    "Kwame",
    "Bernadette",
    "Lee",
    "Ruth",
    "Jordan",
    "Blessing",
    "Tomasz",
    "Chloe",
    "Gareth",
    "Sunita",
    "Callum",
    "Aisha",
    "Zbigniew",
    "Oksana",
    "Delroy",
    "Kerry-Ann",
    "Faisal",
    "Ionut",
    "Tendai",
    "Siobhan",
    "Rhys",
    "Jodie",
    "Bilal",
    "Ewa",
    "Themba",
    "Lorcan",
    "Mirela",
    "Dritan",
    "Hamza",
    "Ngozi",
    "Kacper",
    "Jolene",
    "Tyrone",
    "Wilf",
]
SURNAMES = [
    "Ellwood",
    "Okafor",
    "Wiśniewski",
    "Begum",
    "Rahman",
    "McAllister",
    "Pickering",
    "Oyelowo",
    "Gill",
    "Dobson",
    "Nowak",
    "Haile",
    "Fairbairn",
    "Goodall",
    "Mahmood",
    "Kowalczyk",
    "Teasdale",
    "Abernethy",
    "Mensah",
    "Ramsbottom",
]
PLACES = [
    "Carlisle",
    "Workington",
    "Whitehaven",
    "Kendal",
    "Barrow",
    "Lancaster",
    "Morecambe",
    "Blackpool",
    "Preston",
    "Burnley",
    "Wrexham",
    "Rhyl",
    "Swansea",
    "Llanelli",
    "Dumfries",
    "Paisley",
    "Kilmarnock",
    "Penrith",
    "Maryport",
    "Ulverston",
]
STREETS = [
    "Quarry Lane",
    "Parliament Road",
    "Botchergate",
    "Warwick Road",
    "Stricklandgate",
    "Church Lane",
    "Victoria Street",
    "Dalton Road",
    "Durham Road",
    "Park Avenue",
    "Albert Terrace",
    "Kings Road",
    "Scotch Street",
]
PRISONS = [
    "HMP Haverigg",
    "HMP Durham",
    "HMP Hull",
    "HMP Doncaster",
    "HMP Lancaster Farms",
    "Strangeways",
    "the Scrubs",
    "HMP Northumberland",
    "HMP Leeds",
    "HMP Wealstun",
    "HMP Kirkham",
    "HMP Humber",
]
ORGS = [
    "Tesco",
    "Greggs",
    "Kendal College",
    "Carlisle United",
    "Cumbria University",
    "Preston North End",
    "Brightpath Training",
    "Furness Food Bank Trust",
    "Walney Academy",
]
MONTHS = "January February March April May June July August September October November December"
ORD = [
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
]
UNITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]


def _spoken_digits(rng: random.Random, digits: str) -> str:
    words: list[str] = []
    i = 0
    while i < len(digits):
        d = digits[i]
        if i + 1 < len(digits) and digits[i + 1] == d and rng.random() < 0.5:
            words += ["double", "oh" if d == "0" else UNITS[int(d)]]
            i += 2
            continue
        words.append(("oh" if rng.random() < 0.6 else "zero") if d == "0" else UNITS[int(d)])
        i += 1
    return " ".join(words)


def phone(rng: random.Random) -> str:
    tail = f"{rng.randint(0, 999):03d}"
    mobile = rng.random() < 0.6
    digits = ("07700900" if mobile else "01632960") + tail
    form = rng.randrange(6)
    if form == 0:
        return (
            f"{digits[:5]} {digits[5:8]} {digits[8:]}" if mobile else f"{digits[:5]} {digits[5:]}"
        )
    if form == 1:
        return digits
    if form == 2:
        return f"+44 {digits[1:5]} {digits[5:]}"
    if form == 3:
        return f"({digits[:5]}) {digits[5:]}"
    if form == 4:
        return f"{digits[:5]}-{digits[5:8]}-{digits[8:]}"
    return _spoken_digits(rng, digits)


def email(rng: random.Random) -> str:
    first = rng.choice(FIRST).lower().replace("-", "")
    last = rng.choice(SURNAMES).lower().replace("ś", "s")
    num = rng.randint(1, 99)
    domain = rng.choice(
        ["gmail.com", "outlook.com", "hotmail.co.uk", "yahoo.co.uk", "btinternet.com"]
    )
    if rng.random() < 0.6:
        return rng.choice([f"{first}.{last}{num}@{domain}", f"{first[0]}{last}@{domain}"])
    spoken_domain = domain.replace(".", " dot ")
    spoken_number = rng.choice(["ninety one", "eighty seven", str(num)])
    return f"{first[0]} dot {last} dot {spoken_number} at {spoken_domain}"


def crn(rng: random.Random) -> str:
    value = rng.choice("ABCDEFGHJKLMNPRSTVWXYZ") + f"{rng.randint(0, 999999):06d}"
    return value.lower() if rng.random() < 0.4 else value


def prison_number(rng: random.Random) -> str:
    letters = "ABCDEFGHJKLMNPRSTVWXYZ"
    value = (
        rng.choice(letters)
        + f"{rng.randint(1000, 9999)}"
        + rng.choice(letters)
        + rng.choice(letters)
    )
    return value.lower() if rng.random() < 0.4 else value


def ni_number(rng: random.Random) -> str:
    prefix = rng.choice(["AB", "JE", "PR", "SN", "WT", "HK"])
    digits = f"{rng.randint(0, 999999):06d}"
    value = f"{prefix} {digits[:2]} {digits[2:4]} {digits[4:]} {rng.choice('ABCD')}"
    return value if rng.random() < 0.5 else value.replace(" ", "")


def nhs_number(rng: random.Random) -> str:
    while True:
        base = f"{rng.randint(400000000, 799999999)}"
        total = sum(int(d) * w for d, w in zip(base, range(10, 1, -1), strict=True))
        check = 11 - total % 11
        check = 0 if check == 11 else check
        if check != 10:
            digits = base + str(check)
            return f"{digits[:3]} {digits[3:6]} {digits[6:]}"


def postcode(rng: random.Random) -> str:
    area = rng.choice(["TS", "DL", "HU", "NE", "SR", "LS", "M", "B", "S"])
    letters = "ABDEFGHJLNPQRSTUWXYZ"
    value = (
        f"{area}{rng.randint(1, 25)} {rng.randint(1, 9)}{rng.choice(letters)}{rng.choice(letters)}"
    )
    return value.lower() if rng.random() < 0.3 else value


def registration(rng: random.Random) -> str:
    letters = "ABCDEFGHJKLMNPRSTVWXY"
    return (
        rng.choice(letters)
        + rng.choice(letters)
        + f"{rng.randint(10, 73)} "
        + "".join(rng.choice(letters) for _ in range(3))
    )


def account(rng: random.Random) -> str:
    return f"{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}-{rng.randint(10, 99)}"


def date(rng: random.Random) -> str:
    day = rng.randint(1, 28)
    month = rng.randint(1, 12)
    year = rng.randint(1975, 2024)
    name = MONTHS.split()[month - 1]
    suffix = "th" if 11 <= day <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    forms = [
        f"{day}{suffix} of {name}",
        f"{day}/{month}/{str(year)[2:]}",
        f"{day:02d}.{month:02d}.{year}",
        f"{day} {name} {year}",
        f"{name[:3]} {day}{suffix}",
        f"the {ORD[day - 1] if day <= 20 else 'twentieth'} of {name.lower()}",
        f"{name} {year}",
    ]
    return rng.choice(forms)


def first(rng: random.Random) -> str:
    return rng.choice(FIRST)


def full(rng: random.Random) -> str:
    return f"{rng.choice(FIRST)} {rng.choice(SURNAMES)}"


SLOTS: dict[str, tuple[str, Callable[[random.Random], str]]] = {
    "first": ("PERSON", first),
    "full": ("PERSON", full),
    "place": ("LOCATION", lambda rng: rng.choice(PLACES)),
    "street": ("LOCATION", lambda rng: rng.choice(STREETS)),
    "address": ("LOCATION", lambda rng: f"{rng.randint(1, 120)} {rng.choice(STREETS)}"),
    "prison": ("ORG", lambda rng: rng.choice(PRISONS)),
    "org": ("ORG", lambda rng: rng.choice(ORGS)),
    "phone": ("PHONE", phone),
    "email": ("EMAIL", email),
    "crn": ("ID", crn),
    "prisonno": ("ID", prison_number),
    "ni": ("ID", ni_number),
    "nhs": ("ID", nhs_number),
    "postcode": ("ID", postcode),
    "reg": ("ID", registration),
    "account": ("ID", account),
    "date": ("DATE", date),
}

TEMPLATES = (
    "My case manager is called {first} and she has been good with me since I got out of {prison}.",
    "me and {first} went down {street} on a tuesday to see about the flat",
    "If anything goes wrong you can ring {first} on {phone} any time before five.",
    "my crn's {crn} they've got it all on file",
    "Inside they only ever called me by my number, {prisonno}, never my name.",
    "My National Insurance number is {ni} and the job centre lost it twice.",
    "my nhs number is {nhs} and the GP still could not find my records",
    "The flat is at {address}, {postcode}, if the housing association wants to check.",
    "I sat the test on the {date} and I passed first time.",
    "Send it to my email, {email}, and I will read it before the meeting.",
    "The car was registration {reg} and I sold it years ago.",
    "The fine account number on the letter was {account} and I had fourteen days to pay.",
    "{full} is my probation officer now and she works out of the office in {place}.",
    "I got a start at {org} in {place} and my mate {first} got me the interview.",
    "Every Saturday I help at the food bank on {street} with {first} and the lads.",
    "when i came out of {prison} on the {date} my son {first} was living with my nan in {place}",
    "she said text me on {phone} or email {email} whenever you need to",
    "The letter said my appointment was on {date} at the office on {street}.",
    "My solicitor {full} rang me about the court date, which is {date}.",
    "{first} said I should go to the meeting at the library in {place}.",
    "I'm {first}, I was born on {date} and I grew up in {place}.",
    "I was in {prison} for two years and my prison number was {prisonno}.",
    "i live round {street} in {place} now postcode {postcode}",
    "my officer {first} gave me her work mobile which is {phone}",
)


def generate(count: int = 400, seed: int = 11) -> list[dict[str, Any]]:
    """Return synthetic stories of three to six sentences with labelled spans."""
    rng = random.Random(seed)
    records = []
    for n in range(count):
        text = ""
        spans: list[dict[str, Any]] = []
        for template in rng.sample(TEMPLATES, rng.randint(3, 6)):
            lower = template[0].islower()
            pos = 0
            for match in re.finditer(r"\{(\w+)\}", template):
                label, make = SLOTS[match.group(1)]
                value = make(rng)
                if lower:
                    value = value.lower()
                text += template[pos : match.start()]
                spans.append({"start": len(text), "end": len(text) + len(value), "label": label})
                text += value
                pos = match.end()
            text += template[pos:] + " "
        text = text.rstrip()
        for span in spans:
            span["text"] = text[span["start"] : span["end"]]
            # A leading "the" stays outside the span.
            if span["text"].lower().startswith("the "):
                span["start"] += 4
                span["text"] = span["text"][4:]
        records.append({"id": f"synthetic-{n:04d}", "text": text, "spans": spans})
    return records
