"""Thin views for stories: translate HTTP to a service call and back."""

from __future__ import annotations

import secrets

from flask import Blueprint
from flask import current_app
from flask import flash
from flask import jsonify
from flask import redirect
from flask import render_template
from flask import request
from flask import send_file
from flask import url_for
from flask_login import current_user
from flask_login import login_required
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from storybank.accounts.forms import EmptyForm
from storybank.core.errors import InvalidInput
from storybank.core.errors import NotAllowed
from storybank.core.forms import show_error_on_form
from storybank.core.ids import story_label
from storybank.pipeline.stages import stage_label
from storybank.stories import policy
from storybank.stories import services
from storybank.stories.forms import CorrectionForm
from storybank.stories.forms import NewStoryForm
from storybank.stories.forms import ResubmitForm
from storybank.stories.forms import ReturnForm
from storybank.stories.models import Story
from storybank.transcribe.timing import UNSURE_WORD_BELOW

bp = Blueprint("stories", __name__, url_prefix="/stories")
review_bp = Blueprint("review", __name__, url_prefix="/review")

Page = Response | str | tuple[str, int]


@bp.route("/")
@login_required
def mine() -> Page:
    """The reporter's own stories and their progress; an admin goes to the list of all."""
    if policy.can_list_all_stories(current_user):
        return redirect(url_for("admin.stories_list"))
    found = services.show_my_stories(current_user)
    return render_template("stories/mine.html", stories=found.stories, steps=found.steps)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new() -> Page:
    """The new-story form."""
    sites = services.list_sites_for_new_story(current_user)
    form = NewStoryForm()
    form.site_id.choices = [SelectChoice(str(site.id), site.name) for site in sites]
    if request.method == "GET":
        form.submission_key.data = secrets.token_urlsafe(24)
    elif form.validate_on_submit():
        try:
            story = services.submit_story(current_user, form.to_draft())
        except InvalidInput as error:
            show_error_on_form(form, error)
            if error.field == "audio_file":
                form.upload_id.data = ""  # the recording must be chosen or sent again
            return render_template("stories/new.html", form=form), error.status
        flash("Thank you. The story is saved and on its way through the pipeline.")
        if form.upload_id.data:
            flash(form.upload_id.data, "sent_upload")  # the phone may forget its copy now
        return redirect(url_for("stories.detail", story_id=story.id))
    status = 400 if request.method == "POST" else 200
    return render_template("stories/new.html", form=form), status


@bp.route("/<story:story_id>")
@login_required
def detail(story_id: int) -> str:
    """One story: its details, consent, and the progress of each stage."""
    screen = services.show_story(current_user, story_id)
    return render_template(
        "stories/detail.html", **screen.context(), form=EmptyForm(), themes_form=EmptyForm()
    )


@bp.route("/<story:story_id>/progress.json")
@login_required
def progress(story_id: int) -> Response:
    """The story's status and stage progress, for the page to poll. No text."""
    story, steps = services.show_progress(current_user, story_id)
    return jsonify(
        status=story.status,
        status_label=story.status_label,
        failure_reason=story.failure_reason,
        jobs=[
            {
                "stage": step.stage,
                "label": step.label,
                "status": step.status,
                "status_label": step.status_label,
                "progress": step.progress,
                "error": step.error,
            }
            for step in steps
        ],
    )


@bp.route("/<story:story_id>/original")
@login_required
def original(story_id: int) -> str:
    """The unredacted text (audited)."""
    text = services.read_original_text(current_user, story_id, request.remote_addr)
    return render_template("stories/original.html", story=text.story, text=text)


@bp.route("/<story:story_id>/transcript", methods=["GET", "POST"])
@login_required
def transcript(story_id: int) -> Page:
    """The recording and its transcript, linked; correct the text here (audited view)."""
    services.get_recorded_story(current_user, story_id)
    form = CorrectionForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            services.correct_story_text(current_user, story_id, form.text.data or "")
        except InvalidInput as error:
            show_error_on_form(form, error)
        else:
            flash("Your correction is saved as a new version.")
            return redirect(url_for("stories.transcript", story_id=story_id))
    screen = services.read_transcript(current_user, story_id, request.remote_addr)
    if not form.text.data:
        form.text.data = screen.text.body
    return render_template(
        "stories/transcript.html",
        story=screen.story,
        text=screen.text,
        lines=screen.lines,
        form=form,
        can_correct=screen.can_correct,
        unsure_word_below=UNSURE_WORD_BELOW,
    )


@bp.route("/<story:story_id>/audio/<any(original, canonical):variant>")
@login_required
def audio(story_id: int, variant: str) -> Response:
    """Stream the recording with range support; the service audits each play, Range or not."""
    found = services.open_original_audio(current_user, story_id, variant, request.remote_addr)
    storage = current_app.extensions["storybank_storage"]
    source = storage.direct_path(found.key) or storage.open(found.key)
    response = send_file(source, mimetype=found.mimetype, conditional=True, max_age=0)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/<story:story_id>/retry", methods=["POST"])
@login_required
def retry(story_id: int) -> Response:
    """Retry the stage that failed."""
    services.retry_story(current_user, story_id)
    flash("The failed stage is queued again.")
    return redirect(url_for("stories.detail", story_id=story_id))


@bp.route("/<story:story_id>/resubmit", methods=["GET", "POST"])
@login_required
def resubmit(story_id: int) -> Page:
    """Correct a story that review sent back, and send it again."""
    form = ResubmitForm()
    if request.method == "GET":
        form.text.data = services.open_correction(current_user, story_id, request.remote_addr).body
    elif form.validate_on_submit():
        try:
            services.resubmit_story(current_user, story_id, form.text.data or "")
        except InvalidInput as error:
            show_error_on_form(form, error)
        else:
            flash("Thank you. The corrected story is on its way to review again.")
            return redirect(url_for("stories.detail", story_id=story_id))
    story = services.get_story(current_user, story_id)
    return render_template("stories/resubmit.html", story=story, form=form)


@bp.app_template_global()
def story_name(story: Story) -> str:
    """The story's typed title for those who may see its original, else its `story_label`."""
    if current_user.is_authenticated and policy.can_see_title(current_user, story):
        return story.title
    return story_label(story.id)


@bp.app_template_global()
def shown_pseudonym(story: Story) -> str | None:
    """The storyteller's typed pseudonym for those who may see the original, else None."""
    if current_user.is_authenticated and policy.can_see_title(current_user, story):
        return story.storyteller_pseudonym
    return None


@bp.route("/library")
@login_required
def library() -> str:
    """Approved stories this person's role and the storytellers' consent allow."""
    library = services.show_library(current_user, request.args.get("page", 1, type=int))
    return render_template("stories/library.html", found=library.found, tags=library.tags)


@review_bp.route("/")
@login_required
def queue() -> str:
    """Stories waiting for review."""
    return render_template("review/queue.html", stories=services.list_review_queue(current_user))


@review_bp.route("/<story:story_id>")
@login_required
def review(story_id: int) -> Page:
    """Read a story in review (audited) and approve it or send it back."""
    try:
        screen = services.open_review(current_user, story_id, request.remote_addr)
    except NotAllowed:
        return redirect(url_for("stories.detail", story_id=story_id))
    return render_template(
        "review/review.html",
        **screen.context(),
        approve_form=EmptyForm(),
        return_form=ReturnForm(),
        themes_form=EmptyForm(),
    )


@review_bp.route("/<story:story_id>/approve", methods=["POST"])
@login_required
def approve(story_id: int) -> Response:
    """Approve a story."""
    services.approve_story(current_user, story_id)
    flash("Approved.")
    return redirect(url_for("review.queue"))


@review_bp.route("/<story:story_id>/return", methods=["POST"])
@login_required
def send_back(story_id: int) -> Page:
    """Send a story back to its reporter with a note."""
    form = ReturnForm()
    try:
        services.return_story(current_user, story_id, form.note.data or "")
    except InvalidInput as error:
        flash(error.message)
        return redirect(url_for("review.review", story_id=story_id))
    flash("Sent back to the reporter with your note.")
    return redirect(url_for("review.queue"))


bp.add_app_template_global(stage_label, "stage_label")
