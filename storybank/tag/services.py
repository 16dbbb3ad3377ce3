"""Themes: the codebook and its versions, the tag stage, people's decisions, agreement, training."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from storybank.accounts.models import User
from storybank.anonymise.services import anonymised_passages
from storybank.anonymise.services import is_signed_off
from storybank.core.audit import AuditAction
from storybank.core.audit import record_event
from storybank.core.db import utcnow
from storybank.core.errors import InvalidInput
from storybank.core.errors import NotAllowed
from storybank.core.errors import NotFound
from storybank.core.story_hooks import run_story_hooks
from storybank.extensions import db
from storybank.pipeline.stages import ProgressCallback
from storybank.pipeline.stages import StageError
from storybank.stories import policy as story_policy
from storybank.stories.models import Story
from storybank.stories.queries import get_story
from storybank.tag import policy
from storybank.tag.embedding import EmbeddingError
from storybank.tag.engine import Codebook
from storybank.tag.engine import Example
from storybank.tag.engine import Tagger
from storybank.tag.engine import TaggerError
from storybank.tag.engine import Theme
from storybank.tag.engine import default_codebook
from storybank.tag.engine import default_weights
from storybank.tag.engine import retrain
from storybank.tag.engine import weights_from_dict
from storybank.tag.engine import weights_to_dict
from storybank.tag.models import CodebookVersion
from storybank.tag.models import StoryTheme
from storybank.tag.models import TaggerModel
from storybank.tag.models import ThemeDefinition

_tagger_lock = threading.Lock()
_tagger_cache: dict[tuple[int, datetime, Codebook], Tagger] = {}
_KEY = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
# The theme name column holds 80 characters (storybank.tag.models).
THEME_NAME_LIMIT = 80


def current_codebook() -> CodebookVersion:
    """Return the newest codebook version, creating version 1 from the defaults if none."""
    row = db.session.scalar(select(CodebookVersion).order_by(CodebookVersion.version.desc()))
    if row is not None:
        return row
    defaults = default_codebook()
    row = CodebookVersion(version=defaults.version, note="The pilot's three themes")
    for position, theme in enumerate(defaults.themes):
        row.themes.append(_definition_from(theme, position))
    db.session.add(row)
    db.session.commit()
    return row


def _definition_from(theme: Theme, position: int) -> ThemeDefinition:
    return ThemeDefinition(
        position=position,
        key=theme.key,
        name=theme.name,
        definition=theme.definition,
        indicators=list(theme.indicators),
        positive_examples=list(theme.positive_examples),
        negative_examples=list(theme.negative_examples),
    )


def engine_codebook(row: CodebookVersion) -> Codebook:
    """Return the engine's view of a codebook version: its themes in use."""
    return Codebook(
        version=row.version,
        themes=tuple(
            Theme(
                key=t.key,
                name=t.name,
                definition=t.definition,
                indicators=tuple(t.indicators),
                positive_examples=tuple(t.positive_examples),
                negative_examples=tuple(t.negative_examples),
            )
            for t in row.themes
            if not t.retired
        ),
    )


def current_model() -> TaggerModel:
    """Return the newest tagger model, storing the bundled default weights as version 1 if none."""
    row = db.session.scalar(select(TaggerModel).order_by(TaggerModel.version.desc()))
    if row is not None:
        return row
    weights = default_weights()
    provenance = weights.get("provenance", {})
    row = TaggerModel(
        version=1,
        codebook_version=int(provenance.get("codebook_version", 1)),
        trained_on={
            "source": "bundled default",
            "stories": provenance.get("stories"),
            "files": [
                {k: f.get(k) for k in ("file", "sha256", "stories", "themes")}
                for f in provenance.get("sources", [])
            ],
        },
        weights=weights,
    )
    db.session.add(row)
    try:
        db.session.commit()
    except IntegrityError:  # another worker stored it first
        db.session.rollback()
        return db.session.scalars(select(TaggerModel).order_by(TaggerModel.version.desc())).one()
    return row


def get_tagger(codebook: Codebook, model: TaggerModel) -> Tagger:
    """Return the tagger for this codebook and model version, built once per process."""
    factory = current_app.config.get("TAGGER_FACTORY")
    if factory is not None:
        return factory(codebook)
    # Model rows never change, so a version (with its creation time, in case a database is
    # rebuilt) names the weights; the codebook is compared by content.
    key = (model.version, model.created_at, codebook)
    with _tagger_lock:
        if key not in _tagger_cache:
            _tagger_cache.clear()
            _tagger_cache[key] = Tagger(codebook, weights_from_dict(model.weights))
        return _tagger_cache[key]


def tag_story(story_id: int, report_progress: ProgressCallback) -> None:
    """Score every theme for the story's newest text, with evidence. People's decisions stay."""
    story = db.session.get(Story, story_id)
    if story is None or story.current_text is None:
        raise StageError("The story has no text to tag.")
    codebook = engine_codebook(current_codebook())
    model = current_model()
    text = story.current_text
    try:
        scores = get_tagger(codebook, model).score(text.body)
    except (EmbeddingError, TaggerError) as error:  # written for people, and quote no text
        raise StageError(error.message) from error
    except Exception as error:
        raise StageError(f"Theme tagging failed ({type(error).__name__}). Retry it.") from error
    existing = {
        theme.theme_key: theme
        for theme in db.session.scalars(select(StoryTheme).where(StoryTheme.story_id == story.id))
    }
    for result in scores:
        theme = existing.get(result.theme) or StoryTheme(story_id=story.id, theme_key=result.theme)
        theme.text_version_id = text.id
        theme.codebook_version = codebook.version
        theme.model_version = model.version
        theme.score = float(result.score)
        theme.suggested = bool(result.assigned)
        theme.evidence = [
            {"start": e.start, "end": e.end, "score": round(float(e.score), 3)}
            for e in result.evidence
        ]
        db.session.add(theme)
    db.session.commit()
    report_progress(1.0)


@dataclass(frozen=True)
class ThemeView:
    """A theme for one story as a person sees it: suggestion, evidence and decision."""

    key: str
    name: str
    definition: str
    row: StoryTheme | None
    evidence: list[str]

    @property
    def is_tag(self) -> bool:
        return bool(self.row and self.row.is_tag)


def _definitions(row: CodebookVersion) -> dict[str, ThemeDefinition]:
    return {t.key: t for t in row.themes if not t.retired}


def story_themes(actor: User, story_id: int) -> list[ThemeView]:
    """Return each theme of the codebook for the story, with its evidence.

    Evidence is always quoted from the anonymised text, never the original, so showing it
    needs no audit: the signed-off text for everyone, or, before sign-off, the draft (every
    redaction not yet rejected hidden) for those who may see the original anyway.
    """
    story = get_story(actor, story_id)
    draft = not is_signed_off(story) and story_policy.can_see_original(actor, story)
    rows = {
        t.theme_key: t
        for t in db.session.scalars(select(StoryTheme).where(StoryTheme.story_id == story.id))
    }
    views = []
    for key, definition in _definitions(current_codebook()).items():
        row = rows.get(key)
        spans = [(e["start"], e["end"]) for e in (row.evidence if row else [])]
        if row is not None and story.current_text and row.text_version_id != story.current_text.id:
            spans = []
        evidence = anonymised_passages(story, spans, draft=draft) or []
        views.append(ThemeView(key, definition.name, definition.definition, row, evidence))
    return views


def decide_theme(actor: User, story_id: int, theme_key: str, present: bool) -> StoryTheme:
    """Confirm or reject a theme for a story, or add one the tagger did not suggest (audited)."""
    story = get_story(actor, story_id)
    if not policy.can_decide_themes(actor, story):
        raise NotAllowed("Themes are decided while the story is in review or approved.")
    definitions = _definitions(current_codebook())
    if theme_key not in definitions or story.current_text is None:
        raise NotFound
    row = db.session.scalar(
        select(StoryTheme).where(StoryTheme.story_id == story.id, StoryTheme.theme_key == theme_key)
    )
    if row is None:
        row = StoryTheme(
            story_id=story.id,
            theme_key=theme_key,
            text_version_id=story.current_text.id,
            codebook_version=current_codebook().version,
            score=0.0,
            suggested=False,
            evidence=[],
        )
        db.session.add(row)
    row.decision = "confirmed" if present else "rejected"
    row.decided_by_id = actor.id
    row.decided_at = utcnow()
    record_event(
        AuditAction.THEME_CONFIRMED if present else AuditAction.THEME_REJECTED,
        actor_id=actor.id,
        target_type="story",
        target_id=story.id,
        theme=theme_key,
    )
    run_story_hooks(story.id)
    db.session.commit()
    return row


def tags_for_stories(story_ids: list[int]) -> dict[int, list[str]]:
    """Return the confirmed themes of each story."""
    tags: dict[int, list[str]] = {story_id: [] for story_id in story_ids}
    if story_ids:
        query = select(StoryTheme).where(
            StoryTheme.story_id.in_(story_ids), StoryTheme.decision == "confirmed"
        )
        for row in db.session.scalars(query):
            tags[row.story_id].append(row.theme_key)
    return tags


def save_theme(
    actor: User,
    *,
    key: str,
    name: str,
    definition: str,
    indicators: list[str],
    positive_examples: list[str],
    negative_examples: list[str],
    retired: bool = False,
) -> CodebookVersion:
    """Add or change a theme (or retire it): a new codebook version, the old one kept."""
    if not policy.can_manage_codebook(actor):
        raise NotAllowed
    key = (key or "").strip().lower()
    if not _KEY.match(key):
        raise InvalidInput("Give the theme a short key: lower-case letters, like 'housing'.", "key")
    if not (name or "").strip():
        raise InvalidInput("Give the theme a name.", field="name")
    if len(name.strip()) > THEME_NAME_LIMIT:
        raise InvalidInput(
            f"Shorten the theme's name to {THEME_NAME_LIMIT} characters or fewer.", field="name"
        )
    if not (definition or "").strip():
        raise InvalidInput(
            "Write what the theme covers, for the people who apply it.", "definition"
        )
    previous = current_codebook()
    row = CodebookVersion(
        version=previous.version + 1, note=f"{key} changed", created_by_id=actor.id
    )
    replaced = False
    for position, theme in enumerate(previous.themes):
        copy = ThemeDefinition(
            position=position,
            key=theme.key,
            name=theme.name,
            definition=theme.definition,
            indicators=list(theme.indicators),
            positive_examples=list(theme.positive_examples),
            negative_examples=list(theme.negative_examples),
            retired=theme.retired,
        )
        if theme.key == key:
            replaced = True
            copy.name, copy.definition = name.strip(), definition.strip()
            copy.indicators = [i.strip() for i in indicators if i.strip()]
            copy.positive_examples = [e.strip() for e in positive_examples if e.strip()]
            copy.negative_examples = [e.strip() for e in negative_examples if e.strip()]
            copy.retired = retired
        row.themes.append(copy)
    if not replaced:
        row.themes.append(
            ThemeDefinition(
                position=len(previous.themes),
                key=key,
                name=name.strip(),
                definition=definition.strip(),
                indicators=[i.strip() for i in indicators if i.strip()],
                positive_examples=[e.strip() for e in positive_examples if e.strip()],
                negative_examples=[e.strip() for e in negative_examples if e.strip()],
                retired=retired,
            )
        )
    db.session.add(row)
    record_event(AuditAction.CODEBOOK_CHANGED, actor_id=actor.id, version=row.version, theme=key)
    db.session.commit()
    return row


def codebook_for(actor: User) -> CodebookVersion:
    """Return the current codebook for those who may see or export it."""
    if not (policy.can_export_codebook(actor) or policy.can_manage_codebook(actor)):
        raise NotAllowed
    return current_codebook()


@dataclass(frozen=True)
class Agreement:
    """How far the tagger's suggestions agree with reviewers' decisions, for one theme."""

    theme: str
    decided: int
    true_positive: int
    false_positive: int
    false_negative: int
    true_negative: int

    @property
    def precision(self) -> float | None:
        suggested = self.true_positive + self.false_positive
        return self.true_positive / suggested if suggested else None

    @property
    def recall(self) -> float | None:
        present = self.true_positive + self.false_negative
        return self.true_positive / present if present else None

    @property
    def kappa(self) -> float | None:
        """Cohen's kappa between tagger and reviewers (None with too little to compare)."""
        n = self.decided
        if not n:
            return None
        observed = (self.true_positive + self.true_negative) / n
        tagger_yes = (self.true_positive + self.false_positive) / n
        people_yes = (self.true_positive + self.false_negative) / n
        expected = tagger_yes * people_yes + (1 - tagger_yes) * (1 - people_yes)
        if expected == 1:
            return None
        return (observed - expected) / (1 - expected)


def agreement(actor: User) -> list[Agreement]:
    """Per theme: precision, recall and Cohen's kappa of the tagger against people's decisions."""
    if not policy.can_see_agreement(actor):
        raise NotAllowed
    results = []
    for key in _definitions(current_codebook()):
        counts = dict.fromkeys(("tp", "fp", "fn", "tn"), 0)
        rows = db.session.execute(
            select(StoryTheme.suggested, StoryTheme.decision, func.count())
            .where(StoryTheme.theme_key == key, StoryTheme.decision.is_not(None))
            .group_by(StoryTheme.suggested, StoryTheme.decision)
        )
        for suggested, decision, count in rows:
            present = decision == "confirmed"
            cell = ("t" if suggested == present else "f") + ("p" if suggested else "n")
            counts[cell] += count
        results.append(
            Agreement(
                key, sum(counts.values()), counts["tp"], counts["fp"], counts["fn"], counts["tn"]
            )
        )
    return results


def decided_examples() -> list[Example]:
    """People's decisions as training examples (the text is what they judged)."""
    examples = []
    rows = db.session.scalars(select(StoryTheme).where(StoryTheme.decision.is_not(None)))
    for row in rows:
        story = db.session.get(Story, row.story_id)
        if story is None or story.current_text is None:
            continue
        examples.append(
            Example(story.current_text.body, row.theme_key, row.decision == "confirmed")
        )
    return examples


def _base_model() -> TaggerModel:
    """Return the newest model trained on labelled stories rather than on decisions."""
    current_model()
    query = select(TaggerModel).order_by(TaggerModel.version.desc())
    rows = list(db.session.scalars(query))
    return next((r for r in rows if r.trained_on.get("source") != "decisions"), rows[-1])


def tagger_models(actor: User) -> list[TaggerModel]:
    """Return the tagger's model versions, newest first, for those who see agreement."""
    if not policy.can_see_agreement(actor):
        raise NotAllowed
    current_model()
    return list(db.session.scalars(select(TaggerModel).order_by(TaggerModel.version.desc())))


def train_tagger(actor: User | None = None) -> tuple[int, str]:
    """Learn from people's decisions: a new model version that the tag stage uses from now on.

    The starting point is the model trained on labelled stories, not the last retrain, so each
    decision counts once and an erased story's decisions leave the model at the next retrain.
    `actor` None is the command line.
    """
    if actor is not None and not policy.can_train_tagger(actor):
        raise NotAllowed
    codebook = engine_codebook(current_codebook())
    examples = decided_examples()
    base = _base_model()
    start = Tagger(codebook, weights_from_dict(base.weights))
    try:
        models = retrain(start, examples)
    except TaggerError as error:
        raise InvalidInput(error.message) from error
    counts: dict[str, dict[str, int]] = {}
    for example in examples:
        tally = counts.setdefault(example.theme, {"confirmed": 0, "rejected": 0})
        tally["confirmed" if example.present else "rejected"] += 1
    latest = db.session.scalar(select(func.max(TaggerModel.version))) or 0
    row = TaggerModel(
        version=latest + 1,
        codebook_version=codebook.version,
        created_by_id=actor.id if actor else None,
        trained_on={"source": "decisions", "base_version": base.version, "decisions": counts},
        weights=weights_to_dict(models, base_version=base.version, decisions=len(examples)),
    )
    db.session.add(row)
    record_event(
        AuditAction.TAGGER_TRAINED,
        actor_id=actor.id if actor else None,
        version=row.version,
        count=len(examples),
    )
    db.session.commit()
    return len(examples), f"tagger model version {row.version}"
