"""Named confidences: how sure each kind of evidence makes the anonymiser (0..1)."""

# Below this a candidate is still hidden (recall first) but marked unsure and shown first.
UNSURE_BELOW = 0.6

KNOWN_NAME = 0.95  # a name the story already knows (storyteller, reporter, consent form)
KNOWN_NAME_FUZZY = 0.8  # the same, misspelt by a little
PRISON_LISTED = 0.9  # an official prison name, with "HMP" or "prison" or unambiguous alone
PRISON_PREFIXED = 0.85  # "HMP <name>" for a prison the list lacks
COURT = 0.85  # a listed court or "<place> Magistrates' Court"

NER = 0.7  # the spaCy model's entity in cased text
NER_CASELESS = 0.5  # the model's entity in text without capitals (it relies on case)
NER_LISTED_BONUS = 0.15  # the entity's words are listed names or places
NER_EVERYDAY_PENALTY = 0.2  # every word of the entity is everyday English

NAME_LISTED = 0.8  # a listed first name or surname that is no everyday word
NAME_LISTED_CASED = 0.75  # a listed name that is also a word, capitalised mid-sentence
NAME_EVERYDAY_WITH_CUE = 0.65  # a listed name that is also a word, with a cue ("my mate Will")
NAME_UNKNOWN_WITH_CUE = 0.55  # a word in no list, not English, with a cue before it
NAME_UNKNOWN_CAPITALISED = 0.45  # a capitalised word in no list, not English, mid-sentence
NAME_RARE_CASELESS = 0.45  # a rare word in lower-case speech, in no list and not English
NAME_REPEATED = 0.55  # another mention of a word already found as a name
NAME_EVERYDAY_BARE = 0.35  # in speech, an English name that is also a word, where a name can be
NAME_IN_LIST = 0.6  # a listed name after "and" or "then" that follows another name
NAME_SHAPE = 0.7  # a word shaped like a surname ("o'hare", "d'souza")
PLACE_UNKNOWN_AFTER_CUE = 0.45  # a word in no list, not English, after "in", "at", "from"
PLACE_AFTER_PREFIX = 0.7  # "River <name>", "Mount <name>", "St <name>'s"
PLACE_AFTER_STRONG_CUE = 0.4  # in speech, the words after "grew up in", "moved to"

PLACE_LISTED = 0.85  # a gazetteer place that is no everyday word
PLACE_EVERYDAY_WITH_CUE = 0.6  # a gazetteer place that is also a word, after "in", "from"...
STREET = 0.75  # "<name> Road", "14 <name> Lane"
VENUE = 0.7  # "the <name> Arms", "<name> Hospital"
ORGANISATION = 0.65  # "<name> Trust", "<name> Training", "<name> FC"
CLUB = 0.7  # "<place> United"
ACRONYM = 0.4  # an upper-case abbreviation that names no known service
CASELESS_RULE_PENALTY = 0.1  # a street, venue or body found without capitals

CONTEXT_BONUS = 0.15  # a cue word next to a name (a title, "said", "my mate") raises it

# Patterns (engine/patterns.py): a shape that only an identifier has scores high.
DATE_NUMERIC = 0.9  # 3/11/22, 2019-06-21
DATE_DAY_MONTH = 0.9  # the 10th of January (2021)
DATE_MONTH_DAY = 0.85  # January the 10th
DATE_MONTH_YEAR = 0.85  # June 2019
DATE_WEEKDAY_DAY = 0.7  # Tuesday the 10th
EMAIL_WRITTEN = 0.98
EMAIL_SPOKEN = 0.9  # "jo dot smith at gmail dot com"
EMAIL_RUN_TOGETHER = 0.7  # punctuation lost by speech-to-text
PHONE_WRITTEN = 0.95
PHONE_OTHER_SHAPE = 0.8  # (555) 123 4567
POSTCODE = 0.95  # LA9 4QR
POSTCODE_DISTRICT_CUED = 0.8  # "the TS5 area"
POSTCODE_DISTRICT = 0.6
NI_NUMBER = 0.95  # a prefix HMRC issues
NI_SHAPE = 0.8  # the shape with any prefix (HMRC's example "QQ")
CRN = 0.9
PRISON_NUMBER = 0.9
VEHICLE = 0.85
VEHICLE_OLD = 0.6
NHS_WITH_LEADIN = 0.95
NHS_CHECKSUM = 0.85
REFERENCE_AFTER_LEADIN = 0.85  # "my crn's ...", "account number ..."
LONG_NUMBER = 0.55  # seven or more digits with no lead-in
MIXED_REFERENCE = 0.5  # letters and four or more digits
SPOKEN_FORMAT = 0.85  # a CRN, prison or NI number read out
SPOKEN_POSTCODE = 0.8  # a postcode or registration read out
SPOKEN_PHONE = 0.85
SPOKEN_LONG_NUMBER = 0.6
SPOKEN_REFERENCE = 0.6  # six or more letters and digits read out, mixed
SPOKEN_REFERENCE_LEADIN = 0.75
