"""The vendored tus client is the published file, byte for byte, and the form page loads it."""

from __future__ import annotations

import hashlib
from pathlib import Path

VENDOR = Path(__file__).resolve().parents[2] / "storybank" / "static" / "vendor"
TUS_SHA256 = "8cbb1b63fccc3bba0ae73ad1deb160ce046c3750851d0c3e94921ae3ef070eb8"


def test_the_vendored_tus_client_is_the_published_file():
    digest = hashlib.sha256((VENDOR / "tus.min.js").read_bytes()).hexdigest()
    assert digest == TUS_SHA256, "storybank/static/vendor/tus.min.js changed"
    assert TUS_SHA256 in (VENDOR / "README.md").read_text()
    assert "MIT License" in (VENDOR / "tus-js-client.LICENSE").read_text()


def test_the_new_story_page_loads_the_client_from_this_site(client, factories, login_as):
    factories.site()
    login_as(factories.user("reporter"))
    page = client.get("/stories/new").get_data(as_text=True)
    assert 'src="/static/vendor/tus.min.js"' in page
    assert 'src="/static/story-form.js"' in page
    assert "https://" not in page.split("<main", 1)[1]
