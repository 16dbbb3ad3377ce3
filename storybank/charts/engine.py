"""Draw research charts as inert SVG text from counts that are already suppressed.

No Flask and no database: the input is plain data (`CountTable`), in which a small count is
already only "fewer than N" (`ShownCount.value is None`), so nothing drawn here can encode it.
A suppressed value draws the same hatched marker whatever it hides, and never a bar length,
a point height or a colour of its own.

The output is one `<svg>` element meant to sit inline in a page under a strict
Content-Security-Policy: matplotlib's `style` attributes become presentation attributes, and
its `<style>`, metadata and anything scriptable are removed. Text stays text (escaped by the
XML writer), ids carry the chart's name so that several charts can share a page, and the same
counts always give the same bytes.
"""

from __future__ import annotations

import io
import re
import threading
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")  # no display; charts are only ever written to SVG

from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.patches import Rectangle

from storybank.core.small_counts import HIDDEN_LABEL
from storybank.core.small_counts import ShownCount

SVG_NS = "http://www.w3.org/2000/svg"

RC = {
    "svg.fonttype": "none",  # text stays text: selectable, small, and escaped by the writer
    "svg.hashsalt": "storybank-charts",  # stable ids, so the same counts give the same bytes
    "svg.image_inline": True,
    "font.family": ["DejaVu Sans"],  # bundled with matplotlib: nothing is fetched
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "hatch.color": "#55555f",
    "hatch.linewidth": 0.8,
}
# Colours that stay apart for colour-blind readers (Okabe-Ito), with line styles and markers
# as well, so that no series is told apart by colour alone.
COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000", "#F0E442")
LINESTYLES = ("-", "--", ":", "-.")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
HEAT = LinearSegmentedColormap.from_list("storybank", ["#f1f5fb", "#08306b"])
SUPPRESSED_FACE = "#e8e8ec"
SUPPRESSED_HATCH = "///"
MAX_LABEL = 28
# Presentation attributes that may replace a style property; anything else is dropped.
PRESENTATION = frozenset(
    (
        "fill", "fill-opacity", "fill-rule", "stroke", "stroke-width", "stroke-opacity",
        "stroke-linecap", "stroke-linejoin", "stroke-dasharray", "stroke-dashoffset",
        "stroke-miterlimit", "opacity", "font-family", "font-size", "font-weight", "font-style",
        "text-anchor", "dominant-baseline", "clip-rule",
    )
)  # fmt: skip
_LOCK = threading.Lock()  # rcParams are global: one drawing at a time


@dataclass(frozen=True)
class Row:
    """One row of a table: a theme, with its count in every column."""

    key: str
    label: str
    counts: tuple[ShownCount, ...]


@dataclass(frozen=True)
class CountTable:
    """Counts of stories, rows by columns, every one already passed through `shown_count`."""

    name: str  # over_time | by_voice | by_site | together
    title: str
    row_heading: str
    column_heading: str
    columns: tuple[tuple[str, str], ...]  # (key, label)
    rows: tuple[Row, ...]
    threshold: int

    @property
    def shown_max(self) -> int:
        return max((c.value or 0 for row in self.rows for c in row.counts), default=0)

    @property
    def has_suppressed(self) -> bool:
        return any(c.suppressed for row in self.rows for c in row.counts)

    @property
    def has_complementary(self) -> bool:
        """Whether a count that is not small is hidden, to protect a small one beside it."""
        return any(c.suppressed and not c.small for row in self.rows for c in row.counts)

    def legend_marks(self) -> list[Patch]:
        """The legend entries for hidden counts."""
        marks = [_fewer_patch(self.threshold)]
        if self.has_complementary:
            marks.append(
                Patch(
                    facecolor="white",
                    edgecolor="#55555f",
                    label=f"{HIDDEN_LABEL} (protects a small count)",
                )
            )
        return marks

    @property
    def is_empty(self) -> bool:
        return not self.rows or not self.columns


def short(label: str, limit: int = MAX_LABEL) -> str:
    """A label cut to fit beside a chart; the table beside it has the whole name."""
    label = " ".join(label.split())
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


def _style(index: int) -> dict[str, object]:
    return {
        "color": COLOURS[index % len(COLOURS)],
        "linestyle": LINESTYLES[(index // len(COLOURS)) % len(LINESTYLES)],
        "marker": MARKERS[index % len(MARKERS)],
    }


def _fewer_patch(threshold: int) -> Patch:
    return Patch(
        facecolor=SUPPRESSED_FACE,
        edgecolor="#55555f",
        hatch=SUPPRESSED_HATCH,
        label=f"fewer than {threshold}",
    )


def _draw_lines(fig: Figure, table: CountTable) -> None:
    """Stories per theme per period: one line per theme; a small count is a gap in its line
    and an open marker in the hatched band under the threshold, the same for every one."""
    ax = fig.subplots()
    xs = list(range(len(table.columns)))
    ax.axhspan(
        0,
        table.threshold,
        facecolor=SUPPRESSED_FACE,
        hatch=SUPPRESSED_HATCH,
        edgecolor="#9a9aa5",
        linewidth=0,
        zorder=0,
    )
    for index, row in enumerate(table.rows):
        style = _style(index)
        ys = [float("nan") if c.value is None else c.value for c in row.counts]
        ax.plot(xs, ys, label=short(row.label), linewidth=1.8, markersize=4, **style)
        hidden = [x for x, c in zip(xs, row.counts, strict=True) if c.suppressed and c.small]
        if hidden:
            ax.plot(
                hidden,
                [table.threshold / 2] * len(hidden),
                linestyle="none",
                marker=style["marker"],
                markersize=5,
                markerfacecolor="white",
                markeredgecolor=style["color"],
            )
    step = max(1, len(xs) // 12)
    ax.set_xticks(xs[::step], [short(label, 12) for _, label in table.columns][::step])
    ax.tick_params(axis="x", labelrotation=45)
    ax.set_ylim(0, max(table.shown_max, table.threshold) * 1.1 + 1)
    ax.set_ylabel("Stories")
    ax.set_xlabel(table.column_heading)
    handles, _ = ax.get_legend_handles_labels()
    fig.legend(
        handles=[*handles, *table.legend_marks()],
        loc="outside right upper",
        frameon=False,
        title=table.row_heading,
    )


def _draw_bars(fig: Figure, table: CountTable) -> None:
    """Stories per theme by group, as grouped horizontal bars; a small count is a hatched bar
    from zero to the threshold, the same length whatever it hides, and reads "<N"."""
    ax = fig.subplots()
    groups = len(table.columns)
    height = 0.8 / max(groups, 1)
    top = max(table.shown_max, table.threshold)
    handles: list[Patch] = []
    for g, (_, label) in enumerate(table.columns):
        colour = COLOURS[g % len(COLOURS)]
        for r, row in enumerate(table.rows):
            y = r + (g - (groups - 1) / 2) * height
            count = row.counts[g]
            if count.suppressed and not count.small:
                text, at = HIDDEN_LABEL, 0
            elif count.suppressed:
                ax.barh(
                    y,
                    table.threshold,
                    height=height,
                    facecolor=SUPPRESSED_FACE,
                    edgecolor=colour,
                    hatch=SUPPRESSED_HATCH,
                    linewidth=0.8,
                )
                text = f"<{table.threshold}"
                at = table.threshold
            else:
                ax.barh(y, count.value, height=height, color=colour)
                text, at = str(count.value), count.value or 0
            ax.text(at + top * 0.01, y, text, va="center", fontsize=7)
        handles.append(Patch(facecolor=colour, label=short(label)))
    ax.set_yticks(range(len(table.rows)), [short(row.label) for row in table.rows])
    ax.invert_yaxis()
    ax.set_xlim(0, top * 1.15 + 1)
    ax.set_xlabel("Stories")
    fig.legend(
        handles=[*handles, *table.legend_marks()],
        loc="outside right upper",
        frameon=False,
        title=table.column_heading,
    )


def _draw_grid(fig: Figure, table: CountTable) -> None:
    """A heat map of rows by columns; a small count is a grey hatched cell reading "<N"."""
    ax = fig.subplots()
    top = max(table.shown_max, 1)
    for r, row in enumerate(table.rows):
        for c, count in enumerate(row.counts):
            if table.name == "together" and c > r:
                continue  # the grid is symmetric: the lower half says it all
            if count.suppressed and not count.small:
                face, hatch, ink, text = "white", None, "#000", "\u2013"
            elif count.suppressed:
                face, hatch, ink = SUPPRESSED_FACE, SUPPRESSED_HATCH, "#000"
                text = f"<{table.threshold}"
            else:
                share = (count.value or 0) / top
                face, hatch, text = HEAT(share), None, str(count.value)
                ink = "#fff" if share > 0.55 else "#000"
            ax.add_patch(_cell(c, r, face, hatch))
            ax.text(c, r, text, ha="center", va="center", fontsize=7, color=ink)
    ax.set_xlim(-0.5, len(table.columns) - 0.5)
    ax.set_ylim(len(table.rows) - 0.5, -0.5)
    ax.set_xticks(range(len(table.columns)), [short(label) for _, label in table.columns])
    ax.set_yticks(range(len(table.rows)), [short(row.label) for row in table.rows])
    ax.tick_params(axis="x", labelrotation=45)
    for label in ax.get_xticklabels():
        label.set_horizontalalignment("right")
    ax.set_xlabel(table.column_heading)
    ax.set_ylabel(table.row_heading)
    ax.spines[:].set_visible(False)
    if table.has_suppressed:
        fig.legend(handles=table.legend_marks(), loc="outside right upper", frameon=False)


def _cell(x: int, y: int, face: object, hatch: str | None) -> Patch:
    return Rectangle(
        (x - 0.5, y - 0.5), 1, 1, facecolor=face, edgecolor="white", hatch=hatch, linewidth=1
    )


DRAWERS = {
    "over_time": _draw_lines,
    "by_voice": _draw_bars,
    "by_site": _draw_grid,
    "together": _draw_grid,
}


def _size(table: CountTable) -> tuple[float, float]:
    rows, columns = len(table.rows), len(table.columns)
    if table.name == "over_time":
        return 8.0, 4.0
    if table.name == "by_voice":
        return 8.0, max(2.5, 0.9 + rows * (0.25 + 0.18 * columns))
    return max(5.0, 3.5 + columns * 0.45), max(2.5, 1.8 + rows * 0.4)


def draw_chart(table: CountTable) -> str:
    """Return the chart as one inert `<svg>` element (no script, no style, escaped text)."""
    buffer = io.StringIO()
    with _LOCK, matplotlib.rc_context(RC):
        fig = Figure(figsize=_size(table), layout="constrained")
        if table.is_empty:
            fig.text(0.5, 0.5, "No stories to chart.", ha="center", va="center")
        else:
            DRAWERS[table.name](fig, table)
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    return inert_svg(buffer.getvalue(), prefix=table.name, title=table.title)


def inert_svg(svg: str, prefix: str, title: str) -> str:
    """Rewrite an SVG so that it runs nothing and needs no inline style.

    Drops scripts, styles, metadata and foreign content, event attributes and any link that
    leaves the document; turns style properties into presentation attributes; prefixes ids.
    """
    root = ET.fromstring(svg)  # noqa: S314 - our own drawing, not input from a person
    for parent in list(root.iter()):
        for child in list(parent):
            name = child.tag.rsplit("}", 1)[-1]
            if name in {"script", "style", "metadata", "foreignObject", "iframe", "a"}:
                parent.remove(child)
    for element in root.iter():
        _clean_attributes(element, prefix)
    root.set("stroke-linejoin", "round")
    root.set("stroke-linecap", "butt")
    root.set("role", "img")
    root.set("aria-labelledby", f"{prefix}-title")
    root.set("class", f"chart-svg chart-{prefix}")
    heading = ET.Element(f"{{{SVG_NS}}}title", {"id": f"{prefix}-title"})
    heading.text = title
    root.insert(0, heading)
    # Plain names and an explicit xmlns: ElementTree's prefix registry is global, and another
    # writer registering "" would otherwise turn every element into `ns0:svg`.
    for element in root.iter():
        element.tag = element.tag.rsplit("}", 1)[-1]
    root.set("xmlns", SVG_NS)
    return ET.tostring(root, encoding="unicode")


_URL = re.compile(r"url\(#([^)]+)\)")
_ANY_URL = re.compile(r"url\(\s*['\"]?([^)'\"]*)")


def _clean_attributes(element: ET.Element, prefix: str) -> None:
    style = element.attrib.pop("style", "")
    for declaration in style.split(";"):
        name, _, value = declaration.partition(":")
        name, value = name.strip(), value.strip()
        if name in PRESENTATION and value:
            element.set(name, value)
    for name, value in list(element.attrib.items()):
        local = name.rsplit("}", 1)[-1]
        if local != "href" and name.startswith("{"):
            del element.attrib[name]  # no namespaced attribute is needed to draw a chart
        elif local.lower().startswith("on"):
            del element.attrib[name]
        elif local == "href":
            # Plain SVG 2 `href`: an HTML parser reads `xlink:href` only under that exact prefix.
            del element.attrib[name]
            if value.startswith("#"):
                element.set("href", f"#{prefix}-{value[1:]}")
            elif value.startswith("data:image/png;base64,"):
                element.set("href", value)
        elif local == "id":
            element.set(name, f"{prefix}-{value}")
        elif "url(" in value:
            if any(not target.startswith("#") for target in _ANY_URL.findall(value)):
                del element.attrib[name]  # only references inside the drawing
            else:
                element.set(name, _URL.sub(lambda m: f"url(#{prefix}-{m.group(1)})", value))
