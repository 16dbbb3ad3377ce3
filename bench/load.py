"""A bounded load test of Storybank scaled out (scripts/scaleout.sh run-load runs it end to end).

Two parts, each a subcommand:

* `seed` (in-process, with the same STORYBANK_* settings as the server): accounts through the
  account services (staff enrolled in two-step sign-in with secrets kept for pyotp), sites, a few
  hundred approved stories through the story, theme and approval services (not the pipeline: no
  job is queued for them) so that searches find something, and events with packs. Writes the
  accounts, passwords and TOTP secrets to a JSON file (0600) for `run`.
* `run` (HTTP only): for --seconds (120), --reporters (20) reporters log in, submit text stories
  and recordings (a short real clip, transcribed by the workers with tiny.en) and watch their
  progress; --staff (20) facilitators, researchers and an admin log in with password and TOTP
  code and browse the library, story pages, review queue, events and packs, search by words and
  facets, and charts. Every URL of a story or event is taken from a link on a page or a redirect's
  Location, never made from an id. Then a drain period: every submitted story must reach review
  (or a visible failed state); one that is still queued or running is lost.

Prints p50/p95 per page kind, errors (any 5xx or unexpected status), stories reaching review,
lost jobs and requests/s. Exits 1 on any error or lost job; a page over the p95 target (500 ms,
uploads excepted) is printed, not fatal.

    .venv/bin/python bench/load.py seed --accounts FILE [--stories 300]
    .venv/bin/python bench/load.py run --url http://127.0.0.1:58331 --accounts FILE
        [--seconds 120] [--reporters 20] [--staff 20] [--drain 300] [--audio CLIP]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import secrets
import statistics
import sys
import threading
import time
from collections import Counter
from collections import defaultdict
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
DEFAULT_CLIP = SHARED / "data" / "audio" / "src" / "harvard_spk1_snt1.wav"
P95_TARGET = 0.5
UPLOAD_KINDS = {"submit_audio"}
# Statuses that answer a page as expected: a page, or a redirect after a form.
EXPECTED = {200, 302, 303}
REVIEWED = {"in_review", "approved", "returned"}
STILL_WORKING = {"received", "transcribing", "anonymising", "tagging"}
VOICES = ["person_on_probation", "peer_mentor", "staff", "family_or_friend"]
TYPES = ["personal", "snapshot", "dialogue"]
THEMES = ["trust", "choice", "community"]
SEARCH_WORDS = ["work", "housing", "family", "officer", "bike", "college", "support*", "hostel"]
SENTENCES = [
    "My officer listened when I said the plan did not fit my shifts at work.",
    "We talked about housing and the hostel for weeks before anything moved.",
    "The peer mentor met me at the station on the first day and that made the difference.",
    "I got a bike from the fund so I could get to work on time.",
    "My family came to the review meeting and for once nobody talked over them.",
    "College was the first place where people did not ask about my past.",
    "The group on Thursdays gave me support when the money ran out.",
    "I wanted to choose my own course and the officer backed me.",
    "Trust took a long time because every appointment was with someone new.",
    "We cooked together at the community centre and I started volunteering there.",
    "The job centre and probation finally spoke to each other about my hours.",
    "Being asked what I thought about my own plan was new to me.",
]


# ---------------------------------------------------------------- seed (in-process, services)


def _story_text(rng: random.Random) -> str:
    return " ".join(rng.choice(SENTENCES) for _ in range(rng.randint(6, 14)))


def seed(accounts_path: Path, stories: int, reporters: int, staff: int) -> None:
    """Make accounts, approved stories and events through the services; write the accounts."""
    import pyotp

    from storybank import create_app
    from storybank.accounts import twofactor
    from storybank.accounts.services import create_user
    from storybank.anonymise.models import Anonymisation
    from storybank.check.services import record_storyteller_agreement
    from storybank.check.services import show_storyteller_check
    from storybank.core.db import utcnow
    from storybank.curate.builder import add_story_to_pack
    from storybank.curate.events import EventDetails
    from storybank.curate.events import create_event
    from storybank.extensions import db
    from storybank.pipeline.models import Job
    from storybank.stories.services import ConsentAnswers
    from storybank.stories.services import StoryDraft
    from storybank.stories.services import approve_story
    from storybank.stories.services import create_site
    from storybank.stories.services import submit_story
    from storybank.tag.services import decide_theme

    started = time.perf_counter()
    # The same database and storage as the server, but a queue of its own that nobody consumes:
    # seeded stories skip the pipeline (their job rows are removed below).
    app = create_app({"QUEUE_URL": "memory://", "QUEUE_IMMEDIATE": False})
    rng = random.Random(20261202)
    accounts: dict[str, list[dict[str, str]]] = {"reporters": [], "staff": []}
    with app.app_context():

        def user(role: str, email: str) -> tuple[object, dict[str, str]]:
            password = secrets.token_urlsafe(12)
            made = create_user(None, email=email, role=role, password=password, display_name=email)
            return made, {"email": email, "password": password, "role": role}

        def enrol(made, entry: dict[str, str]) -> None:
            secret = twofactor.begin_enrolment(made)
            # A code of the previous 30-second step, so the first sign-in's code is always new.
            earlier = utcnow() - timedelta(seconds=30)
            twofactor.confirm_enrolment(made, pyotp.TOTP(secret).at(earlier), now=utcnow())
            entry["totp_secret"] = secret

        admin, _ = user("admin", "seed-admin@load.test")
        author, _ = user("reporter", "seed-reporter@load.test")
        sites = [create_site(None, name) for name in ("North", "South", "East", "West")]
        facilitators = []
        roles = ["admin"] + [("facilitator", "researcher")[n % 2] for n in range(staff - 1)]
        for number, role in enumerate(roles, start=1):
            made, entry = user(role, f"{role}{number}@load.test")
            enrol(made, entry)
            accounts["staff"].append(entry)
            if role == "facilitator":
                facilitators.append(made)
        for number in range(1, reporters + 1):
            accounts["reporters"].append(user("reporter", f"reporter{number}@load.test")[1])

        approved = []
        for number in range(1, stories + 1):
            draft = StoryDraft(
                title=f"Seeded story {number}",
                story_type=rng.choice(TYPES),
                voice=rng.choice(VOICES),
                site_id=rng.choice(sites).id,
                storyteller_pseudonym=f"Teller {number}",
                consent=ConsentAnswers(
                    processing=True,
                    events=rng.random() > 0.1,
                    research=rng.random() > 0.1,
                    audio_at_events=False,
                    given_on=date.today(),
                ),
                submission_key=secrets.token_urlsafe(16),
                text=_story_text(rng),
            )
            story = submit_story(author, draft)
            # What the pipeline and a reviewer would have done: no job, checked redactions
            # (the invented text names nobody), in review, themes decided, the storyteller's
            # agreement, approved.
            db.session.execute(db.delete(Job).where(Job.story_id == story.id))
            db.session.add(
                Anonymisation(
                    story_id=story.id,
                    text_version_id=story.current_text.id,
                    signed_off_at=utcnow(),
                    signed_off_by_id=admin.id,
                )
            )
            story.status = "in_review"
            db.session.commit()
            for key in THEMES:
                if rng.random() < 0.4:
                    decide_theme(admin, story.id, key, True)
            shown = show_storyteller_check(author, story.id).status.stamp
            record_storyteller_agreement(author, story.id, shown)
            approve_story(admin, story.id)
            approved.append(story.id)

        for number, facilitator in enumerate(facilitators[:6], start=1):
            details = EventDetails(
                title=f"Conversation of Change {number}",
                held_on=date.today() + timedelta(days=7 * number),
                place="Community hall",
                facilitator_id=facilitator.id,
            )
            event = create_event(admin, details)
            for story_id in rng.sample(approved, 8):
                try:
                    add_story_to_pack(admin, event.id, story_id, reason="Load test")
                except Exception:  # its consent does not allow events: skip it
                    db.session.rollback()
                    continue
    accounts_path.write_text(json.dumps(accounts, indent=1))
    os.chmod(accounts_path, 0o600)
    print(
        f"seeded {stories} approved stories, {len(accounts['staff'])} staff (two-step), "
        f"{reporters} reporters and {min(6, len(facilitators))} events with packs "
        f"in {time.perf_counter() - started:.1f} s"
    )


# ---------------------------------------------------------------- run (HTTP)


class _Page(HTMLParser):
    """The links and form fields of a page (enough to fill Storybank's forms)."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.inputs: dict[str, str] = {}
        self.choices: dict[str, list[str]] = defaultdict(list)
        self.checkboxes: list[tuple[str, str]] = []
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        if tag == "a" and found.get("href"):
            self.links.append(found["href"])
        elif tag == "input" and found.get("name"):
            kind = found.get("type", "text")
            if kind == "radio":
                self.choices[found["name"]].append(found.get("value", ""))
            elif kind == "checkbox":
                self.checkboxes.append((found["name"], found.get("value", "y")))
            else:
                self.inputs.setdefault(found["name"], found.get("value", ""))
        elif tag == "select":
            self._select = found.get("name")
        elif tag == "option" and self._select:
            self.choices[self._select].append(found.get("value", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


def parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


@dataclass
class Figures:
    """Every timed request, by page kind, and every error; shared by the threads."""

    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter = field(default_factory=Counter)
    error_samples: list[str] = field(default_factory=list)
    submitted: list[tuple[VirtualUser, str, str]] = field(default_factory=list)  # who, url, kind
    progress: dict[str, str] = field(default_factory=dict)  # story page -> its progress.json
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, kind: str, seconds: float, status: int, url: str, expected=EXPECTED) -> bool:
        ok = status in expected
        with self.lock:
            self.times[kind].append(seconds)
            if not ok:
                self.errors[f"{kind} {status}"] += 1
                if len(self.error_samples) < 20:
                    self.error_samples.append(f"{kind} {status} {urlsplit(url).path}")
        return ok


class VirtualUser:
    """One person with a browser session: requests are timed and checked."""

    def __init__(self, base: str, figures: Figures, rng: random.Random) -> None:
        import requests

        self.base = base
        self.figures = figures
        self.rng = rng
        self.http = requests.Session()

    def _call(self, kind: str, method: str, url: str, expected=EXPECTED, **kwargs):
        import requests

        url = urljoin(self.base, url)
        started = time.perf_counter()
        try:
            reply = self.http.request(method, url, allow_redirects=False, timeout=120, **kwargs)
        except requests.RequestException as error:
            self.figures.record(kind, time.perf_counter() - started, 0, url, expected)
            with self.figures.lock:
                self.figures.error_samples.append(f"{kind}: {type(error).__name__}")
            return None
        ok = self.figures.record(
            kind, time.perf_counter() - started, reply.status_code, url, expected
        )
        return reply if ok else None

    def get(self, kind: str, url: str, **kwargs):
        return self._call(kind, "GET", url, **kwargs)

    def post(self, kind: str, url: str, data: dict, **kwargs):
        return self._call(kind, "POST", url, data=data, **kwargs)

    def location(self, reply) -> str | None:
        if reply is None or reply.status_code not in {302, 303}:
            return None
        return urljoin(reply.url, reply.headers["Location"])

    def log_in(self, account: dict[str, str]) -> bool:
        import pyotp

        form = self.get("login_form", "/login")
        if form is None:
            return False
        fields = {
            "csrf_token": parse(form.text).inputs.get("csrf_token", ""),
            "email": account["email"],
            "password": account["password"],
        }
        after = self.location(self.post("login", "/login", fields))
        if after is None:
            return False
        if account.get("totp_secret"):
            if urlsplit(after).path != "/login/code":
                self.figures.record("two_step", 0.0, 0, after)  # it must ask for a code
                return False
            code_page = self.get("two_step_form", after)
            if code_page is None:
                return False
            code = pyotp.TOTP(account["totp_secret"]).now()
            fields = {
                "csrf_token": parse(code_page.text).inputs.get("csrf_token", ""),
                "code": code,
            }
            after = self.location(self.post("two_step", after, fields))
            if after is None:
                return False
        return self.get("home", after, expected={200, 302}) is not None

    def think(self, low: float, high: float, deadline: float) -> bool:
        time.sleep(max(0.0, min(self.rng.uniform(low, high), deadline - time.time())))
        return time.time() < deadline


def _story_links(links: list[str]) -> list[str]:
    """Links to one story's page, whatever the story's id looks like."""
    found = []
    for link in links:
        path = urlsplit(link).path
        parts = path.strip("/").split("/")
        if len(parts) == 2 and parts[0] == "stories" and parts[1] not in {"new", "library"}:
            found.append(link)
    return found


def _links_like(links: list[str], pattern: str) -> list[str]:
    return [link for link in links if re.fullmatch(pattern, urlsplit(link).path)]


class Reporter(VirtualUser):
    """Logs in, submits stories (text, and every third a recording), watches them."""

    def run(self, account, deadline: float, clip: bytes, clip_name: str, most: int) -> None:
        if not self.log_in(account):
            return
        mine: list[str] = []
        while time.time() < deadline:
            if len(mine) < most:
                audio = len(mine) % 3 == 2
                story = self.submit(audio, clip, clip_name)
                if story:
                    mine.append(story)
            elif mine:
                self.get("story", self.rng.choice(mine))
            listing = self.get("my_stories", "/stories/")
            progress = self.figures.progress.get(mine[-1]) if mine else None
            if listing is not None and progress:
                self.get("progress", progress)
            if not self.think(3, 8, deadline):
                break

    def submit(self, audio: bool, clip: bytes, clip_name: str) -> str | None:
        form = self.get("new_story_form", "/stories/new")
        if form is None:
            return None
        page = parse(form.text)
        fields = {
            "csrf_token": page.inputs.get("csrf_token", ""),
            "submission_key": page.inputs.get("submission_key", ""),
            "title": "A story from the load test",
            "story_type": self.rng.choice(page.choices.get("story_type") or TYPES),
            "voice": self.rng.choice(page.choices.get("voice") or VOICES),
            "site_id": self.rng.choice(page.choices.get("site_id") or [""]),
            "storyteller_pseudonym": "Sam",
            "consent_processing": "y",
            "consent_events": "y",
            "consent_research": "y",
            "consent_given_on": date.today().isoformat(),
        }
        if audio:
            files = {"audio_file": (clip_name, clip, "application/octet-stream")}
            reply = self._call("submit_audio", "POST", "/stories/new", data=fields, files=files)
        else:
            fields["text"] = _story_text(self.rng)
            reply = self.post("submit_text", "/stories/new", fields)
        story = self.location(reply)
        if story is None:
            return None
        page = self.get("story", story)
        found = re.search(r'data-progress-url="([^"]+)"', page.text if page is not None else "")
        with self.figures.lock:
            self.figures.submitted.append((self, story, "audio" if audio else "text"))
            if found:
                self.figures.progress[story] = found.group(1)
        return story


class Staff(VirtualUser):
    """A facilitator, researcher or admin: two-step sign-in, then the pages of their role."""

    def run(self, account, deadline: float) -> None:
        if not self.log_in(account):
            return
        role = account["role"]
        while time.time() < deadline:
            if role in {"facilitator", "admin"}:
                self.library()
                self.events()
                self.get("review_queue", "/review/")
            if role in {"researcher", "admin"}:
                self.research()
            if not self.think(1, 4, deadline):
                break

    def library(self) -> None:
        page = self.get("library", "/stories/library")
        if page is None:
            return
        links = parse(page.text).links
        stories = _story_links(links)
        if stories:
            self.get("story", self.rng.choice(stories))
        older = [link for link in links if "page=" in link]
        if older:
            self.get("library", self.rng.choice(older))

    def events(self) -> None:
        page = self.get("events", "/events/")
        if page is None:
            return
        events = _links_like(parse(page.text).links, r"/events/[^/]+") or []
        events = [e for e in events if urlsplit(e).path not in {"/events/new"}]
        if not events:
            return
        event = self.get("event", self.rng.choice(events))
        if event is None:
            return
        links = parse(event.text).links
        for kind, pattern in (("pack", r"/events/[^/]+/pack"), ("digest", r"/events/[^/]+/digest")):
            found = _links_like(links, pattern)
            if found:
                self.get(kind, found[0])

    def research(self) -> None:
        word = self.rng.choice(SEARCH_WORDS)
        page = self.get("search_words", "/research/", params={"q": word})
        if page is None:
            return
        found = parse(page.text)
        stories = _story_links(found.links)
        if stories:
            self.get("story", self.rng.choice(stories))
        if found.checkboxes:  # facets, from the page's own filter boxes
            picks = self.rng.sample(found.checkboxes, k=min(2, len(found.checkboxes)))
            params = [("q", word), *picks] if self.rng.random() < 0.5 else picks
            self.get("search_facets", "/research/", params=params)
        charts = [link for link in found.links if urlsplit(link).path == "/research/charts"]
        if charts:
            chart_page = self.get("charts", charts[0])
            if chart_page is not None and self.rng.random() < 0.3:
                svgs = _links_like(parse(chart_page.text).links, r"/research/charts/[^/]+\.svg")
                if svgs:
                    self.get("chart_svg", self.rng.choice(svgs))


def drain(figures: Figures, seconds: float) -> dict[str, int]:
    """Wait until every submitted story is in review or visibly failed; count the rest lost."""
    states: dict[str, str] = {}
    deadline = time.time() + seconds
    while True:
        for user, story, _kind in figures.submitted:
            if states.get(story) in REVIEWED or states.get(story) == "failed":
                continue
            progress = figures.progress.get(story)
            if progress is None:  # its page never showed its progress
                states[story] = "missing"
                continue
            reply = user.http.get(urljoin(user.base, progress), timeout=60)
            states[story] = reply.json()["status"] if reply.status_code == 200 else "missing"
        waiting = [s for s in states.values() if s in STILL_WORKING]
        if not waiting or time.time() > deadline:
            break
        time.sleep(3)
    counts = Counter(states.values())
    return {
        "submitted": len(figures.submitted),
        "reached_review": sum(counts[s] for s in REVIEWED),
        "failed_visibly": counts["failed"],
        "lost": sum(n for s, n in counts.items() if s not in REVIEWED and s != "failed"),
    }


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def run(args: argparse.Namespace) -> int:
    accounts = json.loads(Path(args.accounts).read_text())
    clip = Path(args.audio).read_bytes()
    figures = Figures()
    started = time.time()
    deadline = started + args.seconds
    threads = []
    people = [("reporter", a) for a in accounts["reporters"][: args.reporters]]
    people += [("staff", a) for a in accounts["staff"][: args.staff]]
    for number, (kind, account) in enumerate(people):
        rng = random.Random(number)
        if kind == "reporter":
            user = Reporter(args.url, figures, rng)
            target, extra = user.run, (clip, Path(args.audio).name, args.most)
        else:
            user = Staff(args.url, figures, rng)
            target, extra = user.run, ()

        # A ramp: people arrive over the first quarter of the run, not all at once (a sign-in
        # is an argon2 hash of 64 MiB, deliberately slow: 40 at once would measure only that).
        delay = number * args.seconds / 4 / max(1, len(people))

        def begin(target=target, account=account, extra=extra, delay=delay) -> None:
            time.sleep(delay)
            target(account, deadline, *extra)

        threads.append(threading.Thread(target=begin, daemon=True))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(1.0, deadline - time.time() + 150))
    load_seconds = time.time() - started
    machine_load = os.getloadavg()[0]  # the figures mean little on a machine busy with more
    requests_done = sum(len(v) for v in figures.times.values())
    drain_started = time.time()
    jobs = drain(figures, args.drain)
    drain_seconds = time.time() - drain_started

    print(f"\n== Storybank load: {len(people)} people for {args.seconds} s against {args.url} ==")
    print(f"machine: {os.cpu_count()} cores, load average {machine_load:.1f} as the load ended")
    print(f"{'page':<16}{'requests':>9}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}")
    misses = []
    for kind in sorted(figures.times):
        values = figures.times[kind]
        p50, p95 = statistics.median(values), _percentile(values, 0.95)
        flag = ""
        if p95 > P95_TARGET and kind not in UPLOAD_KINDS:
            misses.append(kind)
            flag = "  over 500 ms"
        print(
            f"{kind:<16}{len(values):>9}{p50 * 1000:>9.0f}{p95 * 1000:>9.0f}"
            f"{max(values) * 1000:>9.0f}{flag}"
        )
    errors = sum(figures.errors.values())
    kinds = Counter(kind for _user, _story, kind in figures.submitted)
    print(
        f"requests: {requests_done} in {load_seconds:.0f} s = {requests_done / load_seconds:.1f}/s"
    )
    print(f"errors: {errors}" + (f"  {dict(figures.errors)}" if errors else ""))
    for sample in figures.error_samples:
        print(f"  {sample}")
    print(
        f"stories submitted: {jobs['submitted']} ({kinds['text']} text, {kinds['audio']} audio); "
        f"reached review: {jobs['reached_review']}; failed visibly: {jobs['failed_visibly']}; "
        f"lost or stuck: {jobs['lost']} (drain {drain_seconds:.0f} s)"
    )
    if args.logs:
        for log in sorted(Path(args.logs).glob("*.log")):
            tracebacks = log.read_text(errors="replace").count("Traceback")
            if tracebacks:
                print(f"{log.name}: {tracebacks} traceback(s)")
    if misses:
        print(f"p95 over {P95_TARGET * 1000:.0f} ms (not fatal): {', '.join(misses)}")
    failed = errors > 0 or jobs["lost"] > 0 or requests_done == 0
    print("RESULT: " + ("FAIL (errors or lost jobs)" if failed else "ok"))
    return 1 if failed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    seeding = sub.add_parser("seed", help="accounts, approved stories and events (in-process)")
    seeding.add_argument("--accounts", required=True, type=Path)
    seeding.add_argument("--stories", type=int, default=300)
    seeding.add_argument("--reporters", type=int, default=20)
    seeding.add_argument("--staff", type=int, default=20)
    running = sub.add_parser("run", help="the load, then the drain, then the figures")
    running.add_argument("--url", required=True)
    running.add_argument("--accounts", required=True, type=Path)
    running.add_argument("--seconds", type=int, default=120)
    running.add_argument("--reporters", type=int, default=20)
    running.add_argument("--staff", type=int, default=20)
    running.add_argument("--most", type=int, default=6, help="stories per reporter at most")
    running.add_argument("--drain", type=int, default=300)
    running.add_argument("--audio", default=str(DEFAULT_CLIP))
    running.add_argument("--logs", default="", help="folder of server logs to scan")
    args = parser.parse_args()
    if args.command == "seed":
        seed(args.accounts, args.stories, args.reporters, args.staff)
        return 0
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
