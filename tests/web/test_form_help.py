"""Help that a phone shows: error links that land on their field, and why a button is off."""

from __future__ import annotations

from html.parser import HTMLParser

from tests.conftest import post_form
from tests.conftest import public_id


class _Anchors(HTMLParser):
    """Ids on the page, and the in-page links inside the error summary."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.summary_links: list[str] = []
        self._in_summary = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids.add(found["id"] or "")
        if self._in_summary:
            self._in_summary += tag == "div"
        elif tag == "div" and "errors" in (found.get("class") or "").split():
            self._in_summary = 1
        if self._in_summary and tag == "a" and (found.get("href") or "").startswith("#"):
            self.summary_links.append((found["href"] or "")[1:])

    def handle_endtag(self, tag: str) -> None:
        if self._in_summary and tag == "div":
            self._in_summary -= 1


def test_every_link_in_the_new_story_error_summary_lands_on_its_field(client, factories, login_as):
    factories.site()
    login_as(factories.user("reporter"))
    page = post_form(client, "/stories/new", {"submission_key": "k" * 24}).get_data(as_text=True)
    anchors = _Anchors()
    anchors.feed(page)
    assert len(anchors.summary_links) >= 3  # title, story type, voice at least
    assert "story_type-0" in anchors.summary_links and "voice-0" in anchors.summary_links
    assert [link for link in anchors.summary_links if link not in anchors.ids] == []


def test_a_disabled_approve_button_says_why_in_words_not_a_tooltip(client, factories, login_as):
    story = factories.story(factories.user("reporter"), status="in_review", signed_off=False)
    login_as(factories.user("facilitator"))
    page = client.get(f"/review/{public_id(story.id)}").get_data(as_text=True)
    assert 'disabled aria-describedby="approve-blocked"' in page
    assert '<p class="hint" id="approve-blocked">Approve is not available yet: sign off' in page
    assert 'title="Sign off' not in page
