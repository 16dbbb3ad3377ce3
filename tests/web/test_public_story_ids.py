"""Stories are named in URLs by an opaque public id: a keyed permutation of the row id that
does not count upwards, and anything else in its place is a 404, never a 500."""

from __future__ import annotations

import itertools
import os
import re

import pytest

from storybank.core.ids import MAX_ROW_ID
from storybank.core.ids import PUBLIC_ID_ALPHABET
from storybank.core.ids import PUBLIC_ID_LENGTH
from storybank.core.ids import PUBLIC_ID_PATTERN
from storybank.core.ids import _permute
from storybank.core.ids import decode_public_id
from storybank.core.ids import encode_public_id
from storybank.core.ids import public_id_key
from tests.conftest import public_id
from tests.web.routes import answers_other_than_404
from tests.web.routes import routes_taking

KEY = public_id_key("a key for these tests")
SAMPLE = [*range(0, 2000), *range(MAX_ROW_ID - 500, MAX_ROW_ID + 1), 2**20, 2**30, 123_456_789]


def _spell(block: int) -> str:
    """A 64-bit block written the way public ids are."""
    chars = []
    for _ in range(PUBLIC_ID_LENGTH):
        chars.append(PUBLIC_ID_ALPHABET[block & 31])
        block >>= 5
    return "".join(reversed(chars))


def test_the_mapping_is_a_bijection_on_a_sample():
    tokens = [encode_public_id(row, KEY) for row in SAMPLE]
    assert len(set(tokens)) == len(SAMPLE)
    assert [decode_public_id(token, KEY) for token in tokens] == SAMPLE
    assert all(re.fullmatch(PUBLIC_ID_PATTERN, token) for token in tokens)


@pytest.mark.parametrize("row", [0, 1, MAX_ROW_ID])
def test_the_ends_of_the_range_round_trip(row):
    assert decode_public_id(encode_public_id(row, KEY), KEY) == row


@pytest.mark.parametrize("row", [-1, MAX_ROW_ID + 1, 2**64])
def test_a_number_outside_the_range_has_no_public_id(row):
    with pytest.raises(ValueError):
        encode_public_id(row, KEY)


def test_consecutive_ids_give_unrelated_tokens():
    tokens = [encode_public_id(row, KEY) for row in range(1, 201)]
    assert tokens != sorted(tokens), "tokens do not sort in the order of the ids"
    pairs = list(itertools.pairwise(tokens))
    # By chance, neighbours share their first character 1 time in 16 and their first two 1
    # time in 512; counting ids would share all but the last one or two.
    assert sum(one[0] == two[0] for one, two in pairs) < len(pairs) / 5
    assert sum(one[:2] == two[:2] for one, two in pairs) <= 3
    for one, two in pairs:
        assert sum(a == b for a, b in zip(one, two, strict=True)) < 6, (one, two)


def test_tokens_depend_on_the_key():
    other = public_id_key("another key")
    assert public_id_key("a key for these tests") == KEY
    tokens = [encode_public_id(row, KEY) for row in range(1, 51)]
    assert not set(tokens) & {encode_public_id(row, other) for row in range(1, 51)}
    assert [decode_public_id(token, other) for token in tokens].count(None) >= 49


def test_a_guess_or_a_tampered_token_decodes_to_nothing():
    token = encode_public_id(42, KEY)
    for position in range(PUBLIC_ID_LENGTH):
        for char in "bq7" if position else "bp":
            if token[position] == char:
                continue
            tampered = token[:position] + char + token[position + 1 :]
            assert decode_public_id(tampered, KEY) is None, tampered


MALFORMED = ["", "42", "a" * 12, "a" * 14, "A" * 13, "a" * 12 + "1", "a" * 12 + "="]
WIDE_OR_TOO_BIG = ["\uff41" * 13, "q" * 13]  # full-width letters; a value past 64 bits


@pytest.mark.parametrize("text", MALFORMED + WIDE_OR_TOO_BIG)
def test_malformed_text_decodes_to_nothing(text):
    assert decode_public_id(text, KEY) is None


def test_a_block_with_its_high_bits_set_decodes_to_nothing():
    for high in (1, 2**31, 2**32 - 1):
        block = _permute(KEY, (high << 32) | 7)
        assert decode_public_id(_spell(block), KEY) is None
    assert decode_public_id(_spell(_permute(KEY, MAX_ROW_ID + 1)), KEY) is None
    assert decode_public_id(_spell(_permute(KEY, 7)), KEY) == 7


def test_random_text_of_the_right_shape_is_almost_never_a_story():
    found = 0
    for _ in range(2000):
        raw = int.from_bytes(os.urandom(8), "big")
        found += decode_public_id(_spell(raw), KEY) is not None
    assert found == 0


def test_the_app_derives_the_key_from_its_secret(make_app):
    first = make_app(SECRET_KEY="one secret")
    second = make_app(SECRET_KEY="another secret")
    with first.app_context():
        one = public_id(5)
    with second.app_context():
        assert public_id(5) != one


def test_no_route_takes_a_story_by_its_row_id(app):
    rules = [rule.rule for rule in app.url_map.iter_rules()]
    assert not [rule for rule in rules if "<int:story_id>" in rule]
    urls = {url for _, url in routes_taking(app, "story", "story")}
    for expected in ("/stories/{story}", "/review/{story}", "/stories/{story}/original"):
        assert expected in urls


def test_anything_but_the_public_id_is_not_found_on_every_story_url(
    app, client, factories, login_as
):
    admin = factories.user("admin")
    story = factories.story(factories.user("reporter"), status="approved")
    login_as(admin)
    token = public_id(story.id)
    flipped = ("b" if token[0] != "b" else "c") + token[1:]  # never the token itself
    high = _spell(_permute(public_id_key(app.config["SECRET_KEY"]), (1 << 40) | story.id))
    wrong_forms = [str(story.id), flipped, high, token.upper(), token + "a", "a" * 300, "%00"]
    assert client.get(f"/stories/{token}").status_code == 200
    routes = routes_taking(app, "story", "story")
    assert answers_other_than_404(client, routes, "story", wrong_forms) == []


def test_pages_link_stories_by_public_id_and_never_by_number(client, factories, login_as):
    story = factories.story(factories.user("reporter"), status="approved")
    page = login_as(factories.user("admin")).get("/stories/library").text
    assert f'href="/stories/{public_id(story.id)}"' in page
    assert f'href="/stories/{story.id}"' not in page


def test_a_story_someone_may_not_see_is_still_not_found_by_its_public_id(
    client, factories, login_as
):
    story = factories.story(factories.user("reporter"))
    login_as(factories.user("reporter"))
    assert client.get(f"/stories/{public_id(story.id)}").status_code == 404


def test_the_label_shows_the_public_id_not_the_number(client, factories, login_as):
    story = factories.story(factories.user("reporter"), status="approved", title="Plot 9")
    page = login_as(factories.user("researcher")).get(f"/stories/{public_id(story.id)}").text
    assert f"Story {public_id(story.id)}" in page
    assert f"Story #{story.id}" not in page and "Plot 9" not in page
