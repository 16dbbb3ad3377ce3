"""Sentence splitting and the cue features that the tagger's linear model reads."""

from __future__ import annotations

import itertools
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# A clause of a transcript that runs on longer than this many words is cut at a joining word,
# so that evidence points at a few lines, not at a whole unpunctuated answer.
MAX_CLAUSE_WORDS = 28
MIN_CLAUSE_WORDS = 8
HASH_DIM = 1 << 12

_SENTENCE_END = re.compile(
    r"[.!?]+[\"'\u201d\u2019)]*(?=\s)|\n+|\s*\bspeaker \d+\s*:", re.IGNORECASE
)
_JOINERS = frozenset(["and", "so", "but", "because", "then", "cos", "cause", "which"])
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


# Who a sentence is about: someone from probation or another service.
_SERVICE = _rx(
    r"\b(case ?managers?|probation|offender managers?|(key|youth|support|social|drugs?|housing)"
    r" ?workers?|keyworkers?|my workers?|officers?|practitioners?|services?|the system|"
    r"counsell?ors?|supervisors?|the team|the staff|staff)\b"
)
_PRONOUN = _rx(r"\b(she|he|her|him|they|them)\b")

# Cue families: each is one feature. Sense guards (below) blank out words used in another sense
# before these run, so "no choice of bus" never reaches the choice cues.
CUES: dict[str, re.Pattern[str]] = {
    # trust
    "t_word": _rx(
        r"\b(trust\w*|distrust\w*|mistrust\w*|honest\w*|in confidence|confid\w*|rely on|"
        r"reliable|believed? (me|her|him|them|what))\b"
    ),
    "t_listen": _rx(
        r"\b(listen\w*|heard me|hear me out|took me seriously|understood|understands? me|"
        r"asked (how|after|about)|remember\w*|diary|let me (finish|talk)|waits?|waited|reads? my|"
        r"talk(s|ed)? down|talked to me|explaining everything|mentioned it|in private)\b"
    ),
    "t_judged": _rx(
        r"\b(judg\w*|looked down|like a criminal|like dirt|like a number|laughed|labelled|"
        r"treated me|remorse|smiled|sneer\w*|stereotyp\w*|breach\w*|aggressive|blamed|"
        r"talk(s|ed)? down|suspicious|wary)\b"
    ),
    "t_promise": _rx(
        r"\b(promis\w*|kept (her|his|their|every|my|to) ?(word)?|(her|his|their) word|let me down|"
        r"did what (she|he|they) said|followed through|came through|straight with|told me straight|"
        r"told me honestly|tell me honestly|up ?front|sorted it|and (she|he|they) did)\b"
    ),
    "t_showup": _rx(
        r"\b(turned up|turn up|showed up|show up|came to (the|my|his|her)|rang me back|"
        r"called me back|got back to me|on my side|in my corner|stuck by|fought for|rang me|"
        r"rang to|check(ed)? (on me|i was)|comes with me|came with me|was there|"
        r"stood up for|vouched|went out of (her|his|their) way|didn't have to|funeral|hearing)\b"
    ),
    "t_record": _rx(
        r"\b(wrote|written|write|writes|report|reports|reported|notes|file|files|records?|"
        r"read out|behind my back|in court|passed on|pass on|shared|grass\w*|screen|computer|"
        r"typing|putting down|private|the court)\b"
    ),
    "t_disclose": _rx(
        r"\b(tell (her|him|them|probation) (everything|the truth|things|when|nothing|anything)|"
        r"told (her|him|them) (everything|the truth|things|about)|open(ed)? up|started telling|"
        r"keep my mouth shut|don't tell|wouldn't tell|won't tell|hid|hide|hiding|"
        r"(don't|didn't|never) say (nothing|anything)|answers short|telling (him|her|them) more|"
        r"told (her|him|them) the truth|for being honest|can't forget|"
        r"(whatever|what|anything) i tell|"
        r"what (she|he|they)('s| is| are)? saying)\b"
    ),
    "t_relation": _rx(
        r"\b(relationship|rapport|get on with|got on with|felt safe|comfortable|cared|cares|"
        r"like a (person|human)|as a person|know where i (am|stand)|different person|"
        r"one of the good|on my side)\b"
    ),
    # choice
    "c_word": _rx(
        r"\b(choice|choices|choose|chose|chosen|choosing|decid\w*|decision\w*|say in|a say|"
        r"no say|my say|in charge|in control|control over|take control|up to me|my call|"
        r"my idea|options?|picked|pick)\b"
    ),
    "c_plan": _rx(
        r"\b(plans?|sentence plan|goals?|targets?|priorit\w*|appointments?|sessions?|curfew|"
        r"courses?)\b"
    ),
    "c_fund": _rx(
        r"\b(enabling fund|personal budget|budget|fund|funding|grant|spend it|spent it|"
        r"put it towards|towards (a|the|my|some))\b"
    ),
    "c_asked": _rx(
        r"\b(asked (me )?(what|which|how i|if i|whether i)|ask me what|what (would|do|did) "
        r"(i|you) (want|need|think)|what i want\w*|what you want|what matters|what would "
        r"(actually )?help|instead of (being )?told|rather than told|instead of telling|"
        r"tell me which|your life|your choice|your decision|up to you|let me (decide|choose|pick)|"
        r"in my (own )?words|my words|blank sheet|mine to|my life)\b"
    ),
    "c_doneto": _rx(
        r"\b(done to|decided? (everything|it all|for me)|decide everything|told (me )?what to do|"
        r"(not|never|nobody|no one|no-one) (ever )?asked|without asking|signed without|no say|"
        r"imposed|tick ?box|handed me|their plan|their language|their priorities|our language|"
        r"our priorities|worked with|work with me|with me,? not|not with me|together|co-?produc\w*|"
        r"personalis\w*|fits? (round|around)|in meetings)\b"
    ),
    "c_self": _rx(
        r"\b(i chose|i picked|i decided|i choose|i made the calls|myself|my own|my idea|"
        r"i wanted|i want|i said)\b"
    ),
    # community
    "m_family": _rx(
        r"\b(mum'?s?|mam'?s?|mom|dad'?s?|mother|father|sisters?|brothers?|sons?|daughters?|kids|"
        r"children|nan'?s?|nana|gran|grandad|grandma|granddaughter|grandson|aunt|auntie|uncle|"
        r"cousins|niece|nephew|wife|husband|partner|family|families|grandkids|eldest|youngest)\b"
    ),
    "m_friends": _rx(
        r"\b(friends?|mates?|pals?|neighbours?|lads|fellas|peers?|the other (parents|dads|mums|"
        r"players|lads|members))\b"
    ),
    "m_group": _rx(
        r"\b(group|club|shed|garden|allotment|plots?|kitchen|church|mosque|temple|team|rota|choir|"
        r"committee|vicar|service|charity|"
        r"football|boxing|league|hall|gym|food bank|workshop|meetings|events?|breakfast|beds)\b"
    ),
    "m_volunteer": _rx(
        r"\b(volunteer\w*|give (it |something )?back|giving back|gave back|help(ing)? out|"
        r"helpline|committee|do the teas|shelter|muck in|share|"
        r"give (it )?out|for free|free to|on the rota|mentor\w*|for the school|for others|"
        r"get involved|coach|reporters?|help other|helps other)\b"
    ),
    "m_belong": _rx(
        r"\b(belong\w*|welcom\w*|part of|fit in|fitted in|accepted|normal|one of (us|them|the)|"
        r"mentioned it|no questions|ex-?con|like family|lonely|isolat\w*|on my own|expected|"
        r"came round|come round|invited|all of us|together|each other|everyone|nobody cares|"
        r"mates now|nobody (asks|stared|asked)|asking me to|parties|anchor|have me|"
        r"know my background|"
        r"made friends|anywhere else)\b"
    ),
    "m_place": _rx(
        r"\b(community|neighbourhood|estate|local|reintegrat\w*|settled?|back into|the area|"
        r"round here|street)\b"
    ),
    "m_support": _rx(
        r"\b(support\w*|helped|help me|helps me|dragged me|took me|taking (him|her|me)|picks? "
        r"(him|me|her) up|looked after|stood by|visit\w*|came to see|rings? me|phone calls|"
        r"letters|dinner|round for|cheering|there for|drove|at the gate|sofa|lets me stay|"
        r"put me up|raised me|stays for|sit with me|makes me|coming to)\b"
    ),
    "m_oldnet": _rx(
        r"\b(old (crowd|mates|friends|gang|circle|life)|same people|pulled? (me )?back|"
        r"slip back|back in with|bad crowd|stopped ringing|outside the shop)\b"
    ),
}

# Words used in another sense: each match is blanked (same length) before the cues run.
_GUARDS = [
    # fillers: "to be honest", "honestly", "trust me", "i'll be straight"
    _rx(r"\b(to be (honest|fair)|i('ll| will) be (straight|honest)( with you)?|trust me|tbh)\b"),
    _rx(r"(?<!tell me )(?<!told me )(?<!tell you )(?<!told you )(?<!said )\bhonestly\b"),
    # choice of transport, food and the like; "no choice but to"
    _rx(
        r"\b((no|a|any|the|little|not much|more) )?choices? (of|between) (the )?(\w+ )?"
        r"(bus|buses|train|trains|route|routes|taxi|food|meal|meals|toast|drink|drinks|"
        r"sandwich\w*|colour\w*|flavour\w*|seat\w*|time|times|days?|shops?)\b"
    ),
    _rx(r"\b(had|have|has|got|with) no (other )?choice but\b"),
    _rx(r"\bspoilt for choice\b"),
    # community as a sentence type or a building
    _rx(
        r"\bcommunity (payback|order|orders|sentence|service|rehabilitation|centre|hospital|"
        r"nurse|team|mental health)\b"
    ),
    # trust as an organisation or a fund
    _rx(r"\b(nhs|hospital|housing|health|charitable|charity|national) trust\b|\btrust fund\b"),
    # plans that are not a person's own plan
    _rx(
        r"\b(phone|data|meal|payment|repayment|floor|pension|tariff|travel|mobile|contract|"
        r"escape|seating) plans?\b"
    ),
    # budgets and funds that are not a personal budget
    _rx(r"\b(council|government|school|nhs|weekly|food) (budget|fund|funding)\b"),
    # "report" meaning to sign in, and reporting to the police
    _rx(r"\breport (on|in|to the (police|desk|office)|every)\b"),
]

# Features that combine cues: who the sentence is about, and what happens.
INTERACTIONS = (
    "x_trust_actor",
    "x_choice_actor",
    "x_fund_choice",
    "x_plan_asked",
    "x_comm_support",
    "x_comm_group",
    "x_family_together",
    "x_showup_person",
    "x_trust_pronoun",
    "x_choice_pronoun",
)
CONTEXT = ("actor", "actor_near", "pronoun_actor", "pronoun")
FEATURES: tuple[str, ...] = ("bias", "indicator", *CONTEXT, *CUES, *INTERACTIONS)
N_NAMED = len(FEATURES)
N_FEATURES = N_NAMED + HASH_DIM


@dataclass(frozen=True)
class Sentence:
    """A sentence (or a clause of a run-on transcript) with its offsets into the story."""

    start: int
    end: int
    text: str


def normalise(text: str) -> str:
    """Lower-case with plain apostrophes, keeping every offset."""
    return text.lower().replace("\u2019", "'").replace("\u2018", "'")


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _cut_long(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Cut a long clause at joining words into pieces of MIN..MAX words."""
    words = [(m.start() + start, m.group()) for m in _WORD.finditer(normalise(text[start:end]))]
    if len(words) <= MAX_CLAUSE_WORDS:
        return [(start, end)]
    pieces: list[tuple[int, int]] = []
    piece_start, count = start, 0
    for index, (offset, word) in enumerate(words):
        remaining = len(words) - index
        if (
            word in _JOINERS
            and count >= MIN_CLAUSE_WORDS
            and remaining >= MIN_CLAUSE_WORDS // 2
            and (count >= MAX_CLAUSE_WORDS // 2 or remaining <= MAX_CLAUSE_WORDS)
        ):
            pieces.append((piece_start, offset))
            piece_start, count = offset, 0
        count += 1
    pieces.append((piece_start, end))
    return pieces


def split_sentences(text: str) -> list[Sentence]:
    """Split a story into sentences; long transcript clauses are cut at joining words."""
    sentences: list[Sentence] = []
    cuts: list[tuple[int, int]] = []  # (where a sentence ends, where the next may start)
    for match in _SENTENCE_END.finditer(text):
        if match.group().strip().lower().startswith("speaker"):
            cuts.append((match.start(), match.end()))  # a speaker label is not story text
        else:
            cuts.append((match.end(), match.end()))
    cuts.append((len(text), len(text)))
    position = 0
    for end_at, resume in cuts:
        start, end = _trim(text, position, max(position, end_at))
        position = max(position, resume)
        if end <= start or not _WORD.search(normalise(text[start:end])):
            continue
        for piece_start, piece_end in _cut_long(text, start, end):
            s, e = _trim(text, piece_start, piece_end)
            if e > s:
                sentences.append(Sentence(s, e, text[s:e]))
    return sentences


def guarded(text: str) -> str:
    """Blank out words used in another sense, keeping offsets."""
    chars = list(normalise(text))
    for guard in _GUARDS:
        for match in guard.finditer("".join(chars)):
            chars[match.start() : match.end()] = " " * (match.end() - match.start())
    return "".join(chars)


def compile_indicators(phrases: Sequence[str]) -> re.Pattern[str] | None:
    """Compile a theme's indicator phrases into one word-bounded pattern."""
    parts = [re.escape(normalise(p.strip())) for p in phrases if p.strip()]
    if not parts:
        return None
    parts.sort(key=len, reverse=True)
    return re.compile(r"\b(" + "|".join(parts) + r")\b")


_STOP = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "but",
        "so",
        "to",
        "of",
        "in",
        "on",
        "at",
        "for",
        "with",
        "from",
        "by",
        "as",
        "is",
        "was",
        "were",
        "be",
        "been",
        "am",
        "are",
        "it",
        "its",
        "i",
        "me",
        "my",
        "we",
        "us",
        "our",
        "you",
        "your",
        "he",
        "him",
        "his",
        "she",
        "her",
        "they",
        "them",
        "their",
        "this",
        "that",
        "these",
        "those",
        "there",
        "then",
        "than",
        "do",
        "did",
        "does",
        "done",
        "have",
        "has",
        "had",
        "um",
        "uh",
        "er",
        "like",
        "just",
        "yeah",
        "well",
        "oh",
        "up",
        "out",
        "about",
        "into",
        "if",
        "when",
        "what",
        "which",
        "who",
        "how",
        "all",
        "any",
        "some",
        "no",
        "not",
        "don't",
        "didn't",
        "i'm",
        "it's",
        "that's",
    ]
)


def _hash(token: str) -> int:
    return zlib.crc32(token.encode("utf-8")) % HASH_DIM


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


@dataclass
class Features:
    """The sentences of one text and their shared feature rows (indicator column left empty)."""

    sentences: list[Sentence]
    matrix: np.ndarray  # (sentences, N_FEATURES) float32
    clean: list[str]  # each sentence, lower-cased and guarded


def extract(text: str) -> Features:
    """Split a text and compute the cue, context and word-hash features of each sentence."""
    sentences = split_sentences(text)
    if not sentences:
        sentences = [Sentence(0, len(text), text)]
    clean_text = guarded(text)
    clean = [clean_text[s.start : s.end] for s in sentences]
    matrix = np.zeros((len(sentences), N_FEATURES), dtype=np.float32)
    index = {name: i for i, name in enumerate(FEATURES)}
    actors = [bool(_SERVICE.search(c)) for c in clean]
    story_actor = any(actors)
    for row, sentence_text in enumerate(clean):
        hits = {name: bool(pattern.search(sentence_text)) for name, pattern in CUES.items()}
        actor = actors[row]
        near = actor or (row > 0 and actors[row - 1])
        pronoun = story_actor and bool(_PRONOUN.search(sentence_text))
        who = near or pronoun
        values = dict(hits)
        values["bias"] = True
        values["actor"] = actor
        values["actor_near"] = near
        values["pronoun_actor"] = pronoun and not near
        values["pronoun"] = bool(_PRONOUN.search(sentence_text))
        trust_acts = (
            "t_listen",
            "t_promise",
            "t_showup",
            "t_record",
            "t_disclose",
            "t_relation",
            "t_judged",
            "t_word",
        )
        values["x_trust_actor"] = who and any(hits[k] for k in trust_acts)
        choosing = hits["c_word"] or hits["c_asked"] or hits["c_doneto"]
        values["x_choice_actor"] = who and choosing
        values["x_fund_choice"] = hits["c_fund"] and (choosing or hits["c_self"])
        values["x_plan_asked"] = hits["c_plan"] and (
            hits["c_asked"] or hits["c_doneto"] or hits["c_word"]
        )
        people = hits["m_family"] or hits["m_friends"]
        values["x_comm_support"] = people and (hits["m_support"] or hits["m_belong"])
        values["x_comm_group"] = hits["m_group"] and (
            hits["m_belong"] or hits["m_volunteer"] or hits["m_friends"]
        )
        values["x_family_together"] = hits["m_family"] and hits["m_belong"]
        # a pronoun alone is a weak sign of a worker: leave out record-keeping words there
        values["x_trust_pronoun"] = values["pronoun"] and any(
            hits[k] for k in trust_acts if k != "t_record"
        )
        values["x_choice_pronoun"] = values["pronoun"] and choosing
        values["x_showup_person"] = hits["t_showup"] and (values["pronoun"] or near)
        for name, on in values.items():
            if on:
                matrix[row, index[name]] = 1.0
        words = [_stem(w) for w in _WORD.findall(sentence_text) if w not in _STOP]
        for token in {*words, *(a + " " + b for a, b in itertools.pairwise(words))}:
            matrix[row, N_NAMED + _hash(token)] = 1.0
    return Features(sentences, matrix, clean)
