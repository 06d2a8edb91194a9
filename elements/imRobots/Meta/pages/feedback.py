"""The Feedback pages: what people thought of each robot's answers, from its card buttons.

`/feedback` lists every IM robot with its totals; each robot's Feedback tab shows the
last 14 days as a stacked bar chart (SVG drawn here, no chart library), the totals, the
recent rated answers ("not helpful" first: those are the ones to fix) and a CSV download.
The numbers come from the family's feedback store; `bar_chart` is pure.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, Response, render_template

from element_studio.contract import EditorPage, editor_host

from ..feedback_store import counts_by_day, feedback_csv, rated_answers, totals
from ..ratings import RATING_LABELS, RATINGS
from .card_model import render_markdown
from .playground import FAMILY, robot
DAYS = 14
CHART_HEIGHT = 120  # px of the tallest bar
BAR_WIDTH, BAR_GAP = 28, 14

bp = Blueprint("feedback", __name__, template_folder="templates")


@dataclass(frozen=True)
class Segment:
    rating: str
    y: float
    height: float
    count: int


@dataclass(frozen=True)
class Bar:
    day: str  # YYYY-MM-DD (UTC)
    label: str  # MM-DD
    x: float
    total: int
    segments: tuple[Segment, ...]


@dataclass(frozen=True)
class Chart:
    bars: tuple[Bar, ...]
    width: float
    height: float
    top: int  # the count the tallest bar stands for
    total: int


def bar_chart(rows: list[tuple[str, dict[str, int]]], bar_height: int = CHART_HEIGHT) -> Chart:
    """Per-day counts as stacked bars (best rating at the bottom), in SVG user units."""
    top = max([sum(counts.values()) for _, counts in rows] + [1])
    bars = []
    for index, (day, counts) in enumerate(rows):
        x = BAR_GAP / 2 + index * (BAR_WIDTH + BAR_GAP)
        y = float(bar_height)
        segments = []
        for rating in RATINGS:
            count = counts.get(rating, 0)
            if count:
                height = bar_height * count / top
                y -= height
                segments.append(Segment(rating, round(y, 2), round(height, 2), count))
        bars.append(Bar(day, day[5:], x, sum(counts.values()), tuple(segments)))
    return Chart(tuple(bars), len(rows) * (BAR_WIDTH + BAR_GAP), bar_height, top, sum(b.total for b in bars))


def robots() -> list:
    """The app's IM robots: instances of every Type of the family."""
    return editor_host().app.instances_of_family(FAMILY)


@bp.get("/feedback")
def overview() -> str:
    """Every robot with its feedback totals, linking to its Feedback tab."""
    app = editor_host().app
    app.refresh()
    rows = [(robot, totals(app.storage, robot.full_name)) for robot in robots()]
    return render_template("im_feedback/overview.html", rows=rows, labels=RATING_LABELS)


@bp.get("/instances/<name>/feedback")
def index(name: str) -> str:
    """One robot's feedback: the chart, totals, rated answers and the CSV export."""
    robot(name)
    context = editor_host().tab_context(name)
    storage = editor_host().app.storage
    rows = counts_by_day(storage, name, days=DAYS)
    answers = [(answer, render_markdown(answer.answer)) for answer in rated_answers(storage, name, limit=50)]
    return render_template(
        "im_feedback/index.html", chart=bar_chart(rows), rows=rows, totals=totals(storage, name), labels=RATING_LABELS,
        answers=answers, **context,
    )


@bp.get("/instances/<name>/feedback.csv")
def export(name: str) -> Response:
    """Every rating of the robot as a CSV download (oldest first)."""
    robot(name)
    return Response(feedback_csv(editor_host().app.storage, name), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}-feedback.csv"'})


page = EditorPage(bp, tab="Feedback", tab_endpoint="feedback.index", services_only=True, nav="Feedback", nav_endpoint="feedback.overview")
