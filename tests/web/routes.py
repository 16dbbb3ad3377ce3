"""The app's URL rules that take one kind of argument, and the requests to them that are not 404."""

from __future__ import annotations

import re
from collections.abc import Iterable
from collections.abc import Sequence

from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import post_form
from tests.conftest import public_id


def routes_taking(app: Flask, converter: str, placeholder: str) -> list[tuple[str, str]]:
    """Every (method, rule) with a `<converter:...>` part, that part written as `{placeholder}`
    and any other part filled in with something that exists or is harmless."""
    fillers = {"int": "1", "story": public_id(1)}
    found = []
    for rule in app.url_map.iter_rules():
        if f"<{converter}:" not in rule.rule:
            continue
        url = re.sub(rf"<{converter}:\w+>", f"{{{placeholder}}}", rule.rule)
        for other, filler in fillers.items():
            url = re.sub(rf"<{other}:\w+>", filler, url)
        url = re.sub(r"<any\(([\w]+)[^>]*>", r"\1", url)
        url = re.sub(r"<(?:string:)?\w+>", "x", url)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((method, url))
    return found


def answers_other_than_404(
    client: FlaskClient,
    routes: Iterable[tuple[str, str]],
    placeholder: str,
    values: Sequence[object],
) -> list[tuple[str, str, int]]:
    """Request every route with each value in its placeholder (a GET, or a form posted with the
    session's CSRF token) and return the (method, URL, status) of each answer that was not 404."""
    wrong = []
    for method, url in routes:
        for value in values:
            target = url.format_map({placeholder: value})
            response = client.get(target) if method == "GET" else post_form(client, target, {})
            if response.status_code != 404:
                wrong.append((method, target, response.status_code))
    return wrong
