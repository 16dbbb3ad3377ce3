"""`storybank tag`: tag a JSONL batch of stories with themes and evidence, with no server."""

from __future__ import annotations

from pathlib import Path
from typing import IO
from typing import Any

import click

from storybank.core.jsonl import process_jsonl
from storybank.tag.embedding import EmbeddingError
from storybank.tag.engine import Tagger
from storybank.tag.engine import TaggerError
from storybank.tag.engine import default_codebook
from storybank.tag.engine import default_weights
from storybank.tag.engine import load_weights
from storybank.tag.engine import weights_from_dict


def tag_record(tagger: Tagger, record: Any) -> dict[str, Any]:
    """Tag one input record; raise ValueError when it is malformed."""
    if not isinstance(record, dict):
        raise ValueError("Each line must be a JSON object with an id and a text.")
    text = record.get("text")
    if not isinstance(text, str):
        raise ValueError('The line has no "text" string.')
    return {
        "id": record.get("id"),
        "themes": [
            {
                "theme": result.theme,
                "score": result.score,
                "assigned": result.assigned,
                "evidence": [
                    {"start": e.start, "end": e.end, "text": e.text} for e in result.evidence
                ],
            }
            for result in tagger.score(text)
        ],
    }


def tag_lines(tagger: Tagger, source: IO[str], out: IO[str]) -> tuple[int, int]:
    """Tag each JSONL line of source into out; return (written, failed)."""
    return process_jsonl(
        source,
        out,
        lambda record: tag_record(tagger, record),
        lambda number, error: f"Tagging failed on line {number} ({type(error).__name__}).",
    )


@click.command("tag")
@click.argument("source", type=click.File("r", encoding="utf-8"), default="-")
@click.option(
    "--out",
    "out",
    type=click.File("w", encoding="utf-8"),
    default="-",
    help="Where to write the tagged JSONL (default: standard output).",
)
@click.option(
    "--model",
    "model",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="A weights file (JSON, as the tagger_models table holds); default: the bundled weights.",
)
def run_tagging(source: IO[str], out: IO[str], model: Path | None) -> None:
    """Tag stories: JSONL lines of {"id", "text"} in, theme scores and evidence out."""
    codebook = default_codebook()
    try:
        weights = load_weights(model) if model else weights_from_dict(default_weights())
        tagger = Tagger(codebook, weights)
    except (TaggerError, EmbeddingError) as error:
        raise click.ClickException(error.message) from error
    written, failed = tag_lines(tagger, source, out)
    if failed:
        click.echo(f"{written} tagged, {failed} line(s) with errors.", err=True)


class TagGroup(click.Group):
    """`storybank tag`: run a subcommand when one is named first, else tag a batch.

    `storybank tag train ...` runs the registered `train`; `storybank tag [IN] [--out OUT]
    [--model PATH]` (and `storybank tag --help`) go to the tagging itself.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Keep the arguments for the tagging unless the first one names a subcommand."""
        if args and args[0] in self.commands:
            return super().parse_args(ctx, args)
        ctx.meta["storybank.tag.args"] = list(args)
        return []

    def invoke(self, ctx: click.Context) -> Any:
        """Dispatch to the subcommand, or run the tagging with the kept arguments."""
        if "storybank.tag.args" not in ctx.meta:
            return super().invoke(ctx)
        args = ctx.meta.pop("storybank.tag.args")
        name = ctx.info_name or "tag"
        with run_tagging.make_context(name, args, parent=ctx.parent) as sub_ctx:
            return run_tagging.invoke(sub_ctx)


@click.group("tag", cls=TagGroup)
def tag_command() -> None:
    """Tag stories with themes and evidence, or run a subcommand such as `train`."""
