"""Property tests for the story text sanitiser: words kept, idempotent, never active HTML."""

from __future__ import annotations

import itertools
import unicodedata
from datetime import date
from html.parser import HTMLParser

import pytest
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from storybank.core.errors import InvalidInput
from storybank.core.ids import story_id_from_public
from storybank.core.sanitise import clean_story_text
from storybank.core.sanitise import decode_text_upload
from storybank.extensions import db
from storybank.stories.models import Story
from tests.conftest import post_form
from tests.conftest import public_id

FRAGMENTS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '"><svg onload=alert(1)>',
    "javascript:",
    "&lt;b&gt;",
    "&#60;script&#62;",
    "</div><div onclick=x>",
    "<!--",
    "]]>",
    "{{ 7*7 }}",
    "\r\n",
    "\x00",
    "e\u0301",
]
story_texts = st.lists(
    st.one_of(st.text(max_size=20), st.sampled_from(FRAGMENTS)), max_size=12
).map("".join)
_keys = itertools.count(1)


def letters_and_digits(text: str) -> list[str]:
    """The letters and digits of a text, compared after canonical decomposition."""
    return [c for c in unicodedata.normalize("NFD", text) if c.isalnum()]


@given(story_texts)
def test_sanitiser_never_loses_a_letter_or_digit(text):
    assert letters_and_digits(clean_story_text(text)) == letters_and_digits(text)


@given(story_texts)
def test_sanitiser_is_idempotent(text):
    once = clean_story_text(text)
    assert clean_story_text(once) == once


@given(story_texts)
def test_sanitised_text_has_no_control_characters_but_newlines_and_tabs(text):
    cleaned = clean_story_text(text)
    assert all(c in "\n\t" or unicodedata.category(c) != "Cc" for c in cleaned)
    assert "\r" not in cleaned


@given(st.binary(max_size=300))
def test_decoding_random_bytes_either_gives_text_or_a_message(data):
    try:
        assert isinstance(decode_text_upload(data), str)
    except InvalidInput as refusal:
        assert "file" in str(refusal)


class StoryTextReader(HTMLParser):
    """Collect what the page shows inside the story text, and any element found in it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0
        self.text = ""
        self.elements: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if self.depth:
            self.elements.append(tag)
        elif tag == "div" and ("class", "story-text") in attrs:
            self.depth = 1

    def handle_endtag(self, tag: str) -> None:
        if self.depth and tag == "div":
            self.depth = 0

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.text += data

    def handle_comment(self, data: str) -> None:
        if self.depth:
            self.elements.append("comment")


@pytest.mark.filterwarnings("ignore")
@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=story_texts)
def test_sanitised_story_renders_as_inert_text_on_the_story_page(client, factories, login_as, text):
    cleaned = clean_story_text(text)
    if not cleaned:
        return
    site = factories.site(f"Site {next(_keys)}")
    login_as(factories.user("reporter"))
    form = {
        "title": "A walk",
        "story_type": "personal",
        "voice": "person_on_probation",
        "site_id": str(site.id),
        "storyteller_pseudonym": "Wren",
        "consent_processing": "y",
        "consent_given_on": date.today().isoformat(),
        "text": text,
        "submission_key": f"prop-{next(_keys)}",
    }
    response = post_form(client, "/stories/new", form)
    if "\x00" in text:  # no form may carry a NUL: refused with a message, nothing saved
        assert response.status_code == 400 and "NUL" in response.get_data(as_text=True)
        return
    assert response.status_code == 302
    story_id = story_id_from_public(response.headers["Location"].rstrip("/").split("/")[-1])
    assert db.session.get(Story, story_id).current_text.body == cleaned
    reader = StoryTextReader()
    reader.feed(client.get(f"/stories/{public_id(story_id)}/original").get_data(as_text=True))
    assert reader.elements == []
    assert reader.text == cleaned
