"""Bad input through the real new-story form: each is refused with a message a person can act
on, and leaves nothing behind. Harmless input comes through intact, and is shown escaped."""

from __future__ import annotations

import html
import io
import itertools
from datetime import date
from datetime import timedelta

import pytest

from storybank.core.audit import AuditEvent
from storybank.extensions import db
from storybank.pipeline.models import Job
from storybank.stories.models import ConsentRecord
from storybank.stories.models import Story
from storybank.stories.models import StoryText
from tests.conftest import login
from tests.conftest import post_form
from tests.conftest import public_id

_keys = itertools.count(1)

EMPTY = "The story is empty. Type or paste it, or upload a .txt file."
TOO_LONG = "The story is longer than the 200 KB limit for a text story."
FILE_TOO_LARGE = "That file is larger than the 200 KB limit for a text story."
NOT_UTF8 = "That file is not saved as UTF-8 text, so some letters would be lost."
NOT_TEXT = "That file is not a text file. Upload a .txt file, or paste the story instead."
NO_CONSENT = (
    "Storybank can only keep a story when the storyteller agrees to it being processed and stored."
)
BAD_FORM = "The form had expired or did not come from this site, so nothing was saved."


@pytest.fixture
def reporter(factories, login_as):
    user = factories.user("reporter")
    login_as(user)
    return user


@pytest.fixture
def site(factories):
    return factories.site("Northgate")


def story_form(site, **overrides) -> dict:
    """A complete, valid new-story form; overrides replace fields (None removes one)."""
    data = {
        "title": "The bike",
        "story_type": "personal",
        "voice": "person_on_probation",
        "site_id": str(site.id),
        "storyteller_pseudonym": "Robin",
        "storyteller_name": "",
        "consent_processing": "y",
        "consent_events": "y",
        "consent_research": "y",
        "consent_given_on": date.today().isoformat(),
        "text": "My officer wanted to hear my own ideas for the plan.",
        "submission_key": f"key-{next(_keys)}",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def upload(data: bytes, name: str = "story.txt") -> tuple[io.BytesIO, str]:
    return (io.BytesIO(data), name)


def submit(client, site, **overrides):
    return post_form(client, "/stories/new", story_form(site, **overrides))


def page_text(response) -> str:
    """The page as a person reads it (entities decoded)."""
    return html.unescape(response.get_data(as_text=True))


def counts() -> dict[str, int]:
    def count(model) -> int:
        return db.session.scalar(db.select(db.func.count()).select_from(model))

    submitted = db.session.scalar(
        db.select(db.func.count(AuditEvent.id)).where(AuditEvent.action == "story_submitted")
    )
    return {
        "stories": count(Story),
        "texts": count(StoryText),
        "consents": count(ConsentRecord),
        "jobs": count(Job),
        "submitted events": submitted,
    }


NOTHING = {"stories": 0, "texts": 0, "consents": 0, "jobs": 0, "submitted events": 0}


def assert_refused(response, message: str) -> None:
    assert response.status_code == 400, response.status_code
    assert message in page_text(response)
    assert counts() == NOTHING


def stored_text() -> str:
    story = db.session.scalar(db.select(Story))
    assert story is not None, "the story was saved"
    return story.current_text.body


# --- Empty and oversized --------------------------------------------------------------------


def test_empty_story_is_refused_with_a_message(client, reporter, site):
    assert_refused(submit(client, site, text=""), EMPTY)


@pytest.mark.parametrize("blank", ["   ", "\n\n\t  \r\n", "\u00a0 \u2003"])
def test_whitespace_only_story_is_refused_with_a_message(client, reporter, site, blank):
    assert_refused(submit(client, site, text=blank), EMPTY)


def test_empty_uploaded_file_is_refused_as_empty(client, reporter, site):
    assert_refused(submit(client, site, text="", text_file=upload(b"")), EMPTY)


def test_story_over_200_kb_is_refused_with_the_limit_named(client, reporter, site):
    assert_refused(submit(client, site, text="a" * 200_001), TOO_LONG)


def test_limit_counts_bytes_not_characters(client, reporter, site):
    # 100,001 two-byte letters: fewer than 200,000 characters, more than 200 KB.
    assert_refused(submit(client, site, text="é" * 100_001), TOO_LONG)


def test_story_of_exactly_200_kb_is_accepted(client, reporter, site):
    response = submit(client, site, text="a" * 200_000)
    assert response.status_code == 302
    assert len(stored_text()) == 200_000


def test_uploaded_file_over_200_kb_is_refused_with_the_limit_named(client, reporter, site):
    response = submit(client, site, text="", text_file=upload(b"word " * 40_001))
    assert_refused(response, FILE_TOO_LARGE)


def test_pasting_and_uploading_at_once_is_refused(client, reporter, site):
    response = submit(client, site, text="Pasted.", text_file=upload(b"Uploaded."))
    assert_refused(response, "Either paste the story or upload a file, not both.")


# --- Files that are not UTF-8 text -------------------------------------------------------------


def test_latin1_file_is_refused_with_how_to_fix_it(client, reporter, site):
    response = submit(client, site, text="", text_file=upload("café".encode("latin-1")))
    assert_refused(response, NOT_UTF8)
    assert "save it again as 'UTF-8' text" in page_text(response)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01", id="png"),
        pytest.param(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", id="pdf"),
        pytest.param(b"hello\x00world", id="nul-near-start"),
        pytest.param(b"a" * 9000 + b"\x00tail", id="nul-after-8k"),
        pytest.param(b"text with a bell \x07 in it", id="control-character"),
    ],
)
def test_file_that_is_not_text_is_refused(client, reporter, site, data):
    assert_refused(submit(client, site, text="", text_file=upload(data)), NOT_TEXT)


def test_png_renamed_to_txt_is_refused_whatever_its_name(client, reporter, site):
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    response = submit(client, site, text="", text_file=upload(png, "holiday.txt"))
    assert_refused(response, NOT_TEXT)


def test_pasted_text_with_a_nul_byte_is_refused_or_cleaned(client, reporter, site):
    response = submit(client, site, text="Before\x00after the NUL.")
    assert response.status_code in (302, 400)
    if response.status_code == 400:
        assert counts() == NOTHING
    else:
        assert "\x00" not in stored_text()


# --- Markup is kept as written and shown escaped ---------------------------------------------

ACTIVE = [
    pytest.param("<script>alert(1)</script>", id="script"),
    pytest.param("Hello <SCRIPT src=//evil.example/x.js></SCRIPT>", id="script-upper"),
    pytest.param("<img src=x onerror=alert(1)>", id="img-onerror"),
    pytest.param('<a href="javascript:alert(1)">my story</a>', id="javascript-link"),
    pytest.param("&lt;script&gt;alert(1)&lt;/script&gt;", id="entity-encoded-script"),
    pytest.param("<iframe src=https://evil.example></iframe>", id="iframe"),
    pytest.param("<svg onload=alert(1)>", id="svg-onload"),
    pytest.param("&lt;scr<b></b>ipt&gt;alert(1)&lt;/scr<b></b>ipt&gt;", id="split-script"),
]


@pytest.mark.parametrize("markup", ACTIVE)
def test_pasted_markup_is_stored_as_written_and_shown_inert(client, reporter, site, markup):
    story = f"I met my case manager. {markup} It went well."
    assert submit(client, site, text=story).status_code == 302
    assert stored_text() == story
    story_id = db.session.scalar(db.select(Story.id))
    body = client.get(f"/stories/{public_id(story_id)}/original").get_data(as_text=True)
    assert markup not in body
    assert "<script>alert" not in body.lower()
    assert "<img src=x" not in body


@pytest.mark.parametrize("markup", ACTIVE[:3])
def test_uploaded_markup_is_stored_as_written(client, reporter, site, markup):
    assert submit(client, site, text="", text_file=upload(markup.encode())).status_code == 302
    assert stored_text() == markup


@pytest.mark.parametrize(
    "story",
    [
        pytest.param("Then <name> told me to leave.", id="angle-brackets"),
        pytest.param("I learned javascript: it got me a job.", id="javascript-colon"),
        pytest.param("My mate said onion=good and data: text/html is a thing.", id="look-alikes"),
    ],
)
def test_harmless_story_that_looks_like_code_is_kept_word_for_word(client, reporter, site, story):
    response = submit(client, site, text=story)
    assert response.status_code == 302, page_text(response)
    assert stored_text() == story


# --- Consent and the rest of the form ---------------------------------------------------------


def test_missing_consent_to_processing_is_refused_with_what_to_do(client, reporter, site):
    response = submit(client, site, consent_processing=None)
    assert_refused(response, NO_CONSENT)
    assert "Ask them, and tick the box if they agree." in page_text(response)


def test_consent_date_in_the_future_is_refused(client, reporter, site):
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    response = submit(client, site, consent_given_on=tomorrow)
    assert_refused(response, "The consent date cannot be in the future.")


def test_audio_at_events_without_events_consent_is_refused(client, reporter, site):
    response = submit(client, site, consent_events=None, consent_audio_at_events="y")
    assert_refused(
        response, "Playing the audio at events needs consent to use the story at events too."
    )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title", "  ", "Enter a title."),
        ("title", "t" * 201, "Keep a title under 200 characters."),
        ("storyteller_pseudonym", "", "Enter the storyteller's pseudonym."),
        ("story_type", "poem", "Choose a story type."),
        ("voice", "judge", "Choose whose voice the story is in."),
        ("site_id", "999999", "Choose the site where the story was gathered."),
        ("submission_key", "", "The form was incomplete. Reload the page and submit again."),
    ],
)
def test_bad_fields_are_refused_with_a_message(client, reporter, site, field, value, message):
    assert_refused(submit(client, site, **{field: value}), message)


# --- CSRF and double submits ------------------------------------------------------------------


def test_forged_csrf_token_is_refused_and_nothing_saved(client, reporter, site):
    data = {**story_form(site), "csrf_token": "forged-token"}
    response = client.post("/stories/new", data=data)
    assert response.status_code == 400
    assert BAD_FORM in page_text(response)
    assert counts() == NOTHING


def test_missing_csrf_token_is_refused_and_nothing_saved(client, reporter, site):
    response = client.post("/stories/new", data=story_form(site))
    assert response.status_code == 400
    assert BAD_FORM in page_text(response)
    assert counts() == NOTHING


def test_csrf_token_from_another_session_is_refused(app, client, reporter, site, factories):
    other = app.test_client()
    token_page = other.get("/login").get_data(as_text=True)
    token = token_page.split('name="csrf-token" content="')[1].split('"')[0]
    response = client.post("/stories/new", data={**story_form(site), "csrf_token": token})
    assert response.status_code == 400
    assert counts() == NOTHING


def test_double_click_with_the_same_submission_key_makes_one_story(client, reporter, site):
    form = story_form(site, submission_key="same-key-twice")
    first = post_form(client, "/stories/new", form)
    second = post_form(client, "/stories/new", form)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert counts() == {
        "stories": 1,
        "texts": 1,
        "consents": 1,
        "jobs": 3,  # ingest, anonymise and tag
        "submitted events": 1,
    }


def test_same_submission_key_from_two_reporters_makes_two_stories(
    app, client, reporter, site, factories
):
    other = factories.user("reporter")
    other_client = app.test_client()
    login(other_client, other.email)
    form = story_form(site, submission_key="shared-key")
    assert post_form(client, "/stories/new", form).status_code == 302
    assert post_form(other_client, "/stories/new", form).status_code == 302
    assert counts()["stories"] == 2


# --- What is accepted, and how it is shown ------------------------------------------------------


def test_html_is_kept_as_the_words_typed(client, reporter, site):
    response = submit(client, site, text="It was <b>bold</b> and <i>kind</i>.<br>Thank you.")
    assert response.status_code == 302
    assert stored_text() == "It was <b>bold</b> and <i>kind</i>.<br>Thank you."


def test_utf8_file_with_bom_and_non_ascii_is_accepted_intact(client, reporter, site):
    data = "\ufeffZoë\u2019s café — naïve résumé".encode()
    response = submit(client, site, text="", text_file=upload(data))
    assert response.status_code == 302, page_text(response)
    assert stored_text() == "Zoë\u2019s café — naïve résumé"


@pytest.mark.parametrize(
    "encoding", [pytest.param("utf-16", id="utf-16-native-bom"), "utf-16-le", "utf-16-be"]
)
def test_utf16_file_with_bom_is_accepted_intact(client, reporter, site, encoding):
    words = "Zoë\u2019s café\r\nsecond line — naïve"
    data = ("\ufeff" + words).encode(encoding) if encoding != "utf-16" else words.encode(encoding)
    response = submit(client, site, text="", text_file=upload(data))
    assert response.status_code == 302, page_text(response)
    assert stored_text() == "Zoë\u2019s café\nsecond line — naïve"


def test_utf8_file_without_bom_is_accepted(client, reporter, site):
    response = submit(client, site, text="", text_file=upload("Straße ok".encode()))
    assert response.status_code == 302, page_text(response)
    assert stored_text() == "Straße ok"


def test_utf16_file_cut_mid_letter_is_refused_as_not_text(client, reporter, site):
    data = "\ufeffHalf a letter".encode("utf-16-le")[:-1]
    assert_refused(submit(client, site, text="", text_file=upload(data)), NOT_TEXT)


def test_binary_behind_a_utf16_bom_is_refused(client, reporter, site):
    data = b"\xff\xfe" + "hi\x01\x02there".encode("utf-16-le")
    assert_refused(submit(client, site, text="", text_file=upload(data)), NOT_TEXT)


def test_windows_line_endings_are_normalised(client, reporter, site):
    response = submit(client, site, text="", text_file=upload(b"One.\r\nTwo.\rThree."))
    assert response.status_code == 302
    assert stored_text() == "One.\nTwo.\nThree."


def test_stored_text_is_rendered_escaped_on_the_original_page(client, reporter, site):
    story = 'I said 5 < 6 & "quotes" and <3 to my mentor; 2 > 1.'
    assert submit(client, site, text=story).status_code == 302
    assert stored_text() == story
    story_id = db.session.scalar(db.select(Story.id))
    body = client.get(f"/stories/{public_id(story_id)}/original").get_data(as_text=True)
    assert "5 &lt; 6 &amp; &#34;quotes&#34; and &lt;3 to my mentor; 2 &gt; 1." in body
    assert "5 < 6" not in body


def test_title_and_pseudonym_are_rendered_escaped(client, reporter, site):
    response = submit(client, site, title="<i>Fish</i> & chips", storyteller_pseudonym="<u>R</u>")
    assert response.status_code == 302
    story_id = db.session.scalar(db.select(Story.id))
    body = client.get(f"/stories/{public_id(story_id)}").get_data(as_text=True)
    assert "&lt;i&gt;Fish&lt;/i&gt; &amp; chips" in body
    assert "<i>Fish</i>" not in body
    assert "<u>R</u>" not in body


def test_form_with_no_file_chosen_still_takes_the_pasted_story(client, reporter, site):
    """Browsers send an empty, nameless file part when no file is chosen."""
    response = submit(client, site, text="Pasted story.", text_file=upload(b"", ""))
    assert response.status_code == 302, page_text(response)
    assert stored_text() == "Pasted story."
