"""Import every model so that the metadata is complete (Alembic and tests use it)."""

from storybank.accounts.models import AuthSession
from storybank.accounts.models import User
from storybank.anonymise.models import Anonymisation
from storybank.anonymise.models import IdentifierListEntry
from storybank.anonymise.models import Redaction
from storybank.api.models import ApiToken
from storybank.check.models import StorytellerCheck
from storybank.core.audit import AuditEvent
from storybank.curate.models import Event
from storybank.curate.models import EventAction
from storybank.curate.models import Pack
from storybank.curate.models import PackChange
from storybank.curate.models import PackQuote
from storybank.curate.models import PackRender
from storybank.curate.models import PackStory
from storybank.curate.models import PackSuggestion
from storybank.exports.models import ExportedStory
from storybank.exports.models import ExportManifest
from storybank.exports.models import OutputJob
from storybank.pipeline.models import Job
from storybank.privacy.models import StoryTombstone
from storybank.search.models import SearchDocument
from storybank.stories.models import ConsentRecord
from storybank.stories.models import Site
from storybank.stories.models import Story
from storybank.stories.models import StoryAudio
from storybank.stories.models import StoryText
from storybank.tag.models import CodebookVersion
from storybank.tag.models import StoryTheme
from storybank.tag.models import ThemeDefinition
from storybank.uploads.models import ResumableUpload

__all__ = [
    "Anonymisation",
    "ApiToken",
    "AuditEvent",
    "AuthSession",
    "CodebookVersion",
    "ConsentRecord",
    "Event",
    "EventAction",
    "ExportManifest",
    "ExportedStory",
    "IdentifierListEntry",
    "Job",
    "OutputJob",
    "Pack",
    "PackChange",
    "PackQuote",
    "PackRender",
    "PackStory",
    "PackSuggestion",
    "Redaction",
    "ResumableUpload",
    "SearchDocument",
    "Site",
    "Story",
    "StoryAudio",
    "StoryText",
    "StoryTheme",
    "StoryTombstone",
    "StorytellerCheck",
    "ThemeDefinition",
    "User",
]
