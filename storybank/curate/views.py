"""Thin views for events, packs, their outputs and agreed actions."""

from __future__ import annotations

import io

from flask import Blueprint
from flask import flash
from flask import jsonify
from flask import redirect
from flask import render_template
from flask import request
from flask import send_file
from flask import url_for
from flask.blueprints import BlueprintSetupState
from flask_login import current_user
from flask_login import login_required
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from storybank.accounts.forms import EmptyForm
from storybank.core.errors import InvalidInput
from storybank.core.forms import show_error_on_form
from storybank.core.ids import public_story_id
from storybank.core.ids import story_id_from_public
from storybank.core.ids import story_label
from storybank.core.redirects import local_path
from storybank.curate import actions
from storybank.curate import builder
from storybank.curate import events
from storybank.curate import outputs
from storybank.curate import quotes
from storybank.curate import renders
from storybank.curate import screens
from storybank.curate import suggest
from storybank.curate.forms import ActionForm
from storybank.curate.forms import AddStoryForm
from storybank.curate.forms import DiscussionForm
from storybank.curate.forms import EventForm
from storybank.curate.forms import QuoteForm
from storybank.curate.forms import StoryNotesForm
from storybank.curate.forms import SuggestForm
from storybank.exports import jobs as output_jobs
from storybank.stories.forms import STORY_TYPE_CHOICES
from storybank.stories.forms import VOICE_CHOICES

bp = Blueprint("events", __name__, url_prefix="/events")

Page = Response | str | tuple[str, int]


def _int(value: str | None) -> int | None:
    try:
        number = int(value or "")
    except ValueError:
        return None
    return number if 0 <= number < 2**31 else None


def _filters() -> builder.PackFilters:
    args = request.args
    return builder.PackFilters(
        theme=args.get("theme", ""),
        voice=args.get("voice", ""),
        site_id=_int(args.get("site")),
        story_type=args.get("type", ""),
        source=args.get("source", "") if args.get("source") in {"audio", "text"} else "",
        min_words=_int(args.get("min_words")),
        max_words=_int(args.get("max_words")),
        words=args.get("q", "")[:200],
    )


def _back_to_pack(event_id: int, story_id: int | None = None) -> Response:
    anchor = f"#entry-{public_story_id(story_id)}" if story_id else "#in-pack"
    return redirect(url_for("events.pack", event_id=event_id) + anchor)


@bp.route("/")
@login_required
def index() -> str:
    """Upcoming and past events."""
    found = events.list_events(current_user)
    return render_template("events/index.html", upcoming=found.upcoming, past=found.past)


def _event_form(event_id: int | None) -> EventForm:
    form = EventForm()
    people = events.list_event_facilitators(current_user)
    form.facilitator_id.choices = [SelectChoice(p.id, p.display_name) for p in people]
    if request.method == "GET" and event_id is None:
        form.facilitator_id.data = current_user.id
    return form


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new() -> Page:
    """Plan an event."""
    form = _event_form(None)
    if form.validate_on_submit():
        try:
            event = events.create_event(current_user, form.to_details())
        except InvalidInput as error:
            show_error_on_form(form, error)
            return render_template("events/edit.html", form=form, event=None), 400
        flash("The event is saved. Now build its pack.")
        return redirect(url_for("events.pack", event_id=event.id))
    status = 400 if request.method == "POST" else 200
    return render_template("events/edit.html", form=form, event=None), status


@bp.route("/<int:event_id>/edit", methods=["GET", "POST"])
@login_required
def edit(event_id: int) -> Page:
    """Change an event's details."""
    event = events.get_event(current_user, event_id)
    form = _event_form(event_id)
    if request.method == "GET":
        form.process(obj=event)
    elif form.validate_on_submit():
        try:
            events.update_event(current_user, event_id, form.to_details())
        except InvalidInput as error:
            show_error_on_form(form, error)
            return render_template("events/edit.html", form=form, event=event), 400
        flash("The event is saved.")
        return redirect(url_for("events.show", event_id=event_id))
    return render_template("events/edit.html", form=form, event=event)


@bp.route("/<int:event_id>")
@login_required
def show(event_id: int) -> str:
    """An event: details, pack outputs, what was said and the actions agreed."""
    screen = screens.show_event(current_user, event_id)
    discussion = DiscussionForm(data={"discussion_notes": screen.event.discussion_notes})
    made = renders.latest_pack_renders(current_user, event_id) if screen.may_build else []
    return render_template(
        "events/show.html",
        screen=screen,
        event=screen.event,
        discussion=discussion,
        action_form=_action_form(screen, None),
        form=EmptyForm(),
        render_jobs=made,
    )


def _action_form(screen: screens.EventScreen, action: object | None) -> ActionForm:
    form = ActionForm(obj=action) if action is not None else ActionForm()
    form.themes.choices = [SelectChoice(key, name) for key, name in screen.theme_names.items()]
    form.stories.choices = [
        SelectChoice(public_story_id(story_id), ref) for story_id, ref in screen.pack_stories
    ]
    if action is not None and request.method == "GET":
        form.themes.data = list(action.theme_keys)  # type: ignore[attr-defined]
        form.stories.data = [s.id for s in action.stories]  # type: ignore[attr-defined]
    return form


@bp.route("/<int:event_id>/pack")
@login_required
def pack(event_id: int) -> str:
    """The pack builder."""
    screen = screens.show_pack_builder(
        current_user, event_id, _filters(), _int(request.args.get("page")) or 1
    )
    return render_template(
        "events/pack.html",
        screen=screen,
        event=screen.event,
        form=EmptyForm(),
        add_form=AddStoryForm(),
        suggest_form=_suggest_form(screen),
        voice_choices=VOICE_CHOICES,
        type_choices=STORY_TYPE_CHOICES,
    )


def _suggest_form(screen: screens.PackScreen) -> SuggestForm:
    """The suggestion form, remembering what was last asked for."""
    last = screen.suggestion
    if last is None:
        return SuggestForm()
    return SuggestForm(
        data={
            "word_budget": last.word_budget,
            "max_stories": last.max_stories,
            "voices": last.voices,
        }
    )


@bp.route("/<int:event_id>/pack/stories", methods=["POST"])
@login_required
def add_story(event_id: int) -> Response:
    """Add a story to the pack."""
    form = AddStoryForm()
    if form.validate_on_submit():
        try:
            builder.add_story_to_pack(
                current_user,
                event_id,
                story_id_from_public(form.story_id.data or "") or 0,
                form.reason.data or "",
            )
            flash("Added to the pack.")
        except InvalidInput as error:
            flash(error.message)
    return _back(event_id)


def _back(event_id: int) -> Response:
    """Go back to the page the form was on (a path on this site only), else the pack."""
    fallback = url_for("events.pack", event_id=event_id)
    return redirect(local_path(request.form.get("next"), fallback))


@bp.route("/<int:event_id>/pack/stories/<story:story_id>/remove", methods=["POST"])
@login_required
def remove_story(event_id: int, story_id: int) -> Response:
    """Take a story out of the pack."""
    if EmptyForm().validate_on_submit():
        builder.remove_story_from_pack(current_user, event_id, story_id)
        flash("Taken out of the pack.")
    return _back_to_pack(event_id)


@bp.route("/<int:event_id>/pack/stories/<story:story_id>/move", methods=["POST"])
@login_required
def move_story(event_id: int, story_id: int) -> Response:
    """Move a story up or down the order."""
    if EmptyForm().validate_on_submit():
        steps = -1 if request.form.get("direction") == "up" else 1
        builder.move_story_in_pack(current_user, event_id, story_id, steps)
        flash(f"{story_label(story_id)} moved {'up' if steps < 0 else 'down'}.")
    return _back_to_pack(event_id, story_id)


@bp.route("/<int:event_id>/pack/stories/<story:story_id>/notes", methods=["POST"])
@login_required
def story_notes(event_id: int, story_id: int) -> Response:
    """Keep why a story was chosen and its summary."""
    form = StoryNotesForm()
    if form.validate_on_submit():
        try:
            builder.save_story_notes(
                current_user, event_id, story_id, form.reason.data or "", form.summary.data or ""
            )
            flash("Saved.")
        except InvalidInput as error:
            flash(error.message)
    return _back_to_pack(event_id, story_id)


@bp.route("/<int:event_id>/pack/plan", methods=["POST"])
@login_required
def plan(event_id: int) -> Response:
    """Keep the pack's themes, prompts and facilitator notes."""
    if EmptyForm().validate_on_submit():
        chosen = request.form.getlist("theme_keys")
        prompts = {
            name.removeprefix("prompt_"): value
            for name, value in request.form.items()
            if name.startswith("prompt_")
        }
        try:
            builder.save_pack_plan(
                current_user, event_id, chosen, prompts, request.form.get("facilitator_notes", "")
            )
            flash("The pack's themes, prompts and notes are saved.")
        except InvalidInput as error:
            flash(error.message)
    return redirect(url_for("events.pack", event_id=event_id) + "#plan")


@bp.route("/<int:event_id>/pack/stories/<story:story_id>/quotes", methods=["GET", "POST"])
@login_required
def pick_quotes(event_id: int, story_id: int) -> Page:
    """Pick quotes from one story's anonymised text."""
    picker = screens.show_quote_picker(current_user, event_id, story_id)
    form = QuoteForm()
    form.theme.choices = [SelectChoice("", "Choose a theme")] + [
        SelectChoice(k, v) for k, v in picker.theme_names.items()
    ]
    if form.validate_on_submit():
        try:
            quotes.pick_quote(
                current_user,
                event_id,
                story_id,
                form.passage.data or "",
                form.theme.data or "",
                _int(form.start.data),
                _int(form.end.data),
            )
        except InvalidInput as error:
            show_error_on_form(form, error)
            return render_template("events/quotes.html", picker=picker, form=form), 400
        flash("The quote is in the pack.")
        return redirect(url_for("events.pick_quotes", event_id=event_id, story_id=story_id))
    return render_template("events/quotes.html", picker=picker, form=form, remove=EmptyForm())


@bp.route("/<int:event_id>/pack/quotes/<int:quote_id>/<any(remove, keep):what>", methods=["POST"])
@login_required
def change_quote(event_id: int, quote_id: int, what: str) -> Response:
    """Remove a quote, or keep a changed quote as it now reads."""
    if EmptyForm().validate_on_submit():
        try:
            if what == "remove":
                quotes.remove_quote(current_user, event_id, quote_id)
            else:
                quotes.keep_changed_quote(current_user, event_id, quote_id)
        except InvalidInput as error:
            flash(error.message)
    return _back(event_id)


@bp.route("/<int:event_id>/pack/suggest", methods=["POST"])
@login_required
def suggest_set(event_id: int) -> Response:
    """Propose a balanced set."""
    form = SuggestForm()
    if form.validate_on_submit():
        try:
            suggest.suggest_pack_stories(
                current_user,
                event_id,
                form.word_budget.data or 3000,
                list(form.voices.data or []),
                form.seed.data,
                form.max_stories.data,
            )
        except InvalidInput as error:
            flash(error.message)
            return redirect(url_for("events.pack", event_id=event_id))
    else:
        flash(
            "Give the word budget as a whole number of at least 1, the most stories as a whole "
            "number (or leave it empty), and the seed as a whole number (or leave it empty)."
        )
        return redirect(url_for("events.pack", event_id=event_id))
    return redirect(url_for("events.pack", event_id=event_id) + "#suggestion")


@bp.route("/<int:event_id>/pack/suggestions/<int:suggestion_id>/accept", methods=["POST"])
@login_required
def accept_suggestion(event_id: int, suggestion_id: int) -> Response:
    """Add a suggestion's stories to the pack."""
    if EmptyForm().validate_on_submit():
        added = suggest.accept_suggestion(current_user, event_id, suggestion_id)
        flash(f"{added} suggested {'story' if added == 1 else 'stories'} added to the pack.")
    return _back_to_pack(event_id)


@bp.route("/<int:event_id>/pack/changes/seen", methods=["POST"])
@login_required
def changes_seen(event_id: int) -> Response:
    """Dismiss the notes about why the pack changed."""
    if EmptyForm().validate_on_submit():
        screens.mark_changes_seen(current_user, event_id)
    return redirect(url_for("events.pack", event_id=event_id))


@bp.route("/<int:event_id>/digest")
@login_required
def digest(event_id: int) -> str:
    """The pack on screen, for a projector or a laptop."""
    event, document = outputs.show_digest(
        current_user,
        event_id,
        lambda story_id: url_for("anonymise.redacted_audio", story_id=story_id),
    )
    return render_template("events/digest.html", event=event, document=document)


@bp.route("/<int:event_id>/pack.<any(pdf, docx):kind>", methods=["GET", "POST"])
@login_required
def download(event_id: int, kind: str) -> Response:
    """The printable PDF or the editable document: a POST (the page's buttons) makes it in the
    background; a GET makes it now, for scripts and links made before."""
    if request.method == "POST":
        return _start_render(event_id, kind)
    rendered = outputs.render_pack(current_user, event_id, kind)
    return send_file(
        io.BytesIO(rendered.data),
        mimetype=rendered.mimetype,
        as_attachment=kind == "docx",
        download_name=rendered.filename,
    )


@bp.record_once
def _register_output_task(state: BlueprintSetupState) -> None:
    """Register the output jobs' task on the app's queue, so that workers know it too."""
    output_jobs.init_app(state.app)


def _start_render(event_id: int, kind: str) -> Response:
    """Start making the PDF or document in the background, and follow it."""
    if not EmptyForm().validate_on_submit():
        flash("The form had expired. Try again.")
        return redirect(url_for("events.show", event_id=event_id))
    job = renders.start_pack_render(current_user, event_id, kind)
    return redirect(url_for("events.render", event_id=event_id, job_id=job.id))


@bp.route("/<int:event_id>/renders/<int:job_id>")
@login_required
def render(event_id: int, job_id: int) -> str:
    """A file being made: its progress, then the download, or why it stopped and a retry."""
    job = renders.get_pack_render(current_user, event_id, job_id)
    event = events.get_event(current_user, event_id)
    return render_template("events/render.html", event=event, job=job, form=EmptyForm())


@bp.route("/<int:event_id>/renders/<int:job_id>.json")
@login_required
def render_progress(event_id: int, job_id: int) -> Response:
    """The job's status and progress, for the page to poll. No text."""
    job = renders.get_pack_render(current_user, event_id, job_id)
    return jsonify(status=job.status, progress=job.progress)


@bp.route("/<int:event_id>/renders/<int:job_id>/retry", methods=["POST"])
@login_required
def retry_render(event_id: int, job_id: int) -> Response:
    """Make a file that failed again."""
    if EmptyForm().validate_on_submit():
        renders.retry_pack_render(current_user, event_id, job_id)
    return redirect(url_for("events.render", event_id=event_id, job_id=job_id))


@bp.route("/<int:event_id>/renders/<int:job_id>/file")
@login_required
def render_file(event_id: int, job_id: int) -> Response:
    """Download a finished file (audited)."""
    try:
        ready = renders.download_pack_render(current_user, event_id, job_id)
    except output_jobs.OutputFailed as error:
        flash(str(error))
        return redirect(url_for("events.render", event_id=event_id, job_id=job_id))
    response = send_file(
        io.BytesIO(ready.data),
        mimetype=ready.mimetype,
        as_attachment=ready.as_attachment,
        download_name=ready.filename,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/<int:event_id>/manifests/<int:render_id>.json")
@login_required
def manifest(event_id: int, render_id: int) -> Response:
    """Which story versions, quotes and consent records went into one output."""
    return jsonify(outputs.get_manifest(current_user, event_id, render_id))


@bp.route("/<int:event_id>/discussion", methods=["POST"])
@login_required
def discussion(event_id: int) -> Response:
    """Keep what was said at the event."""
    form = DiscussionForm()
    if form.validate_on_submit():
        try:
            events.record_discussion(current_user, event_id, form.discussion_notes.data or "")
            flash("The notes are saved.")
        except InvalidInput as error:
            flash(error.message)
    return redirect(url_for("events.show", event_id=event_id) + "#said")


@bp.route("/<int:event_id>/actions", methods=["POST"])
@login_required
def add_action(event_id: int) -> Page:
    """Record an agreed action."""
    screen = screens.show_event(current_user, event_id)
    form = _action_form(screen, None)
    try:
        actions.add_action(current_user, event_id, form.to_details())
    except InvalidInput as error:
        show_error_on_form(form, error)
        return render_template(
            "events/show.html",
            screen=screen,
            event=screen.event,
            form=EmptyForm(),
            discussion=DiscussionForm(),
            action_form=form,
        ), 400
    flash("The action is recorded.")
    return redirect(url_for("events.show", event_id=event_id) + "#actions")


@bp.route("/<int:event_id>/actions/<int:action_id>", methods=["GET", "POST"])
@login_required
def action(event_id: int, action_id: int) -> Page:
    """Update an action: its status and what was done."""
    item = actions.get_action(current_user, event_id, action_id)
    screen = screens.show_event(current_user, event_id)
    form = _action_form(screen, item)
    if form.validate_on_submit():
        try:
            actions.update_action(current_user, event_id, action_id, form.to_details())
        except InvalidInput as error:
            show_error_on_form(form, error)
            return render_template("events/action.html", event=screen.event, form=form), 400
        flash("The action is updated.")
        return redirect(url_for("events.show", event_id=event_id) + "#actions")
    return render_template("events/action.html", event=screen.event, form=form)


@bp.route("/<int:event_id>/share", methods=["POST"])
@login_required
def share(event_id: int) -> Response:
    """An admin shares (or stops sharing) the event's actions with researchers."""
    if EmptyForm().validate_on_submit():
        events.share_actions(current_user, event_id, request.form.get("shared") == "yes")
    return redirect(url_for("events.show", event_id=event_id) + "#actions")


@bp.route("/shared-actions")
@login_required
def shared_actions() -> str:
    """For researchers: the actions events agreed, where an admin shared them."""
    shared = actions.list_shared_actions(current_user)
    return render_template("events/shared_actions.html", events=shared)
