"""The tag package's part of erasure: a model that learnt from the story's decisions retrains."""

from __future__ import annotations

from sqlalchemy import func
from sqlalchemy import select

from storybank.extensions import db
from storybank.tag.models import StoryTheme
from storybank.tag.models import TaggerModel


def forget_decisions(story_id: int) -> None:
    """Mark for retraining every model trained on decisions since the story's first one.

    The decisions themselves go with the story's rows; a retrain starts from the model trained
    on labelled stories, so the next one leaves them out.
    """
    first = db.session.scalar(
        select(func.min(StoryTheme.decided_at)).where(
            StoryTheme.story_id == story_id, StoryTheme.decision.is_not(None)
        )
    )
    if first is None:
        return
    for model in db.session.scalars(select(TaggerModel).where(TaggerModel.created_at >= first)):
        if (model.trained_on or {}).get("source") == "decisions":
            model.needs_retraining = True
