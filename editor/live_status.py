"""Live status: what each service instance shows (chip, run buttons, health) and the polling
that keeps it current without a reload.

Why polling and not server-sent events: waitress serves the editor with a fixed pool of
threads (8 in `serve`) and an SSE stream holds one for as long as the page is open, so a few
open tabs (home, an instance, its logs) would starve the requests that do the work; browsers
also allow only 6 HTTP/1.1 connections per origin, so the seventh tab would hang. A poll every
1.5 s holds a thread for a few milliseconds. The page sends a digest of what it shows and the
answer is 204 (nothing to swap) until something changes, so focus and hover stay put; a
button press gets the new state in its own response at once. Polls pause while the tab is
hidden (studio.js).

Each page has one `#live-context` (the view, "home" or "instance", and the instances it
shows) that both the poller and the run buttons include, so an answer only ever swaps
elements the page has.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import Blueprint, Flask, Response, g, make_response, render_template, request
from markupsafe import Markup

from element_studio.runtime.errors import ElementError
from element_studio.runtime.redaction import redactor
from element_studio.runtime.service import FieldKind, InstanceStatus, Link, StatusField

from .editing import restarts_on_save
from .i18n import _, format_clock, format_number
from .pages import Page
from .status import LINK_CHIPS, Chip, ChipState
from .studio import studio

HOME = "home"
INSTANCE = "instance"
POLL_EVERY_MS = 1500

bp = Blueprint("live", __name__)


@dataclass(frozen=True)
class Moment:
    """A point in time: the page shows it as "12 s ago" / "in 4 s" (studio.js), the clock time until then."""

    epoch: float

    @property
    def clock(self) -> str:
        return format_clock(self.epoch)

    @property
    def iso(self) -> str:
        return datetime.fromtimestamp(self.epoch).astimezone().isoformat(timespec="seconds")


@dataclass(frozen=True)
class HealthRow:
    """One line of the health panel: a label and a text, a number or a Moment."""

    label: str
    value: Any
    kind: str = ""  # "error" (the last error) or "muted" (nothing to report)
    wide: bool = False  # a long text: the whole width where rows are tiles (phones)


@dataclass(frozen=True)
class ServiceView:
    """Everything the page shows about one service instance, from one status snapshot."""

    name: str
    title: str
    chip: Chip
    can_start: bool
    can_stop: bool
    can_restart: bool
    why: str = ""  # why it cannot start (needs setup, broken files)
    health: list[HealthRow] = field(default_factory=list)

    @property
    def slug(self) -> str:
        """The fullName as an id fragment ("." is not allowed in names, "-" is not either)."""
        return self.name.replace(".", "-")

    @property
    def retry_at(self) -> Moment | None:
        return Moment(self.chip.retry_at) if self.chip.retry_at else None


def service_view(status: InstanceStatus, chip: Chip, fields: list[StatusField]) -> ServiceView:
    """The chip, the buttons that make sense now and the health rows of one service."""
    alive = status.alive
    why = ""
    if chip.state == ChipState.NEEDS_SETUP:
        why = _("Needs setup: fill in %(fields)s in Settings before it can start.", fields=_(", ").join(chip.missing))
    elif chip.state == ChipState.BROKEN:
        why = (_("Its files cannot be read: %(problem)s.", problem=chip.message) if alive else
               _("Its files cannot be read: fix them before it can start."))
    can_start = chip.state in (ChipState.STOPPED, ChipState.ERROR) and not alive
    can_stop = alive or chip.state == ChipState.ERROR
    return ServiceView(status.full_name, status.title, chip, can_start, can_stop, alive, why,
                       health_rows(status, chip, fields) if alive else [])


def health_rows(status: InstanceStatus, chip: Chip, fields: list[StatusField]) -> list[HealthRow]:
    """The detail a running service reports, in the order and the way its Type declares
    (`status_fields`); keys the Type did not declare follow as plain text."""
    detail = status.detail
    rows: list[HealthRow] = []
    declared = {f.key for f in fields}
    for item in fields:
        if item.key not in detail:
            continue
        value = detail[item.key]
        if item.kind == FieldKind.LINK:
            link_chip = LINK_CHIPS.get(value) if value in set(Link) else None
            rows.append(HealthRow(item.label, _(link_chip[1]) if link_chip else str(value).replace("_", " ").capitalize()))
        elif item.kind == FieldKind.MOMENT:
            rows.append(HealthRow(item.label, Moment(value)) if isinstance(value, (int, float)) else HealthRow(item.label, _("not yet"), "muted"))
        elif item.kind == FieldKind.RETRY_AT:
            if chip.retry_at:
                rows.append(HealthRow(item.label, Moment(chip.retry_at)))
        elif item.kind == FieldKind.ERROR:
            error = redactor.redact(str(value or ""))
            rows.append(HealthRow(item.label, error or _("none"), "error" if error else "muted", wide=True))
        else:
            counted = item.kind == FieldKind.COUNT and isinstance(value, (int, float))
            # a declared text value may be one of the Type's own words ("streaming card"): its translations say it
            rows.append(HealthRow(item.label, format_number(value) if counted else _(redactor.redact(str(value)))))
    for key in sorted(set(detail) - declared):
        rows.append(HealthRow(key, redactor.redact(str(detail[key]))))
    return rows


def service_views(names: list[str] | None = None) -> dict[str, ServiceView]:
    """A view of every service instance (or of `names`), from one snapshot of the supervisor."""
    st = studio()
    views = {}
    for status in st.supervisor.statuses():
        if names is None or status.full_name in names:
            views[status.full_name] = service_view(status, st.service_chip(status), st.status_fields(status.type))
    return views


def service_view_of(name: str) -> ServiceView | None:
    """One instance's view, or None when it is not a service (or cannot be read)."""
    st = studio()
    try:
        if not st.app.is_service(name):
            return None
        status = st.supervisor.status(name)
    except (ElementError, KeyError):
        return None
    return service_view(status, st.service_chip(status), st.status_fields(status.type))


# what a page refreshes -------------------------------------------------------------------
@dataclass(frozen=True)
class LiveContext:
    """Which page is asking ("home" or "instance") and the instances it shows."""

    view: str
    names: tuple[str, ...]

    @classmethod
    def from_request(cls, default_name: str = "") -> LiveContext:
        values = request.values
        view = values.get("view") if values.get("view") in (HOME, INSTANCE) else (INSTANCE if default_name else HOME)
        names = tuple(n for n in values.get("names", "").split(",") if n) or ((default_name,) if default_name else ())
        return cls(view, names)

    @property
    def joined(self) -> str:
        return ",".join(self.names)


def render_updates(context: LiveContext) -> str:
    """The out-of-band fragments that bring a page up to date (only elements it has)."""
    if context.view == HOME:
        every = service_views()
        views = {name: every[name] for name in context.names if name in every}
        return render_template("runtime/_home_updates.html", views=views, all=all_buttons(every))
    view = service_view_of(context.names[0]) if context.names else None
    return render_template("runtime/_instance_updates.html", view=view) if view else ""


def all_buttons(views: dict[str, ServiceView]) -> dict[str, bool]:
    """Whether "Start all" and "Stop all" have anything to do."""
    return {"any": bool(views), "start": any(v.can_start for v in views.values()),
            "stop": any(v.can_stop for v in views.values())}


def digest_of(html: str) -> str:
    return hashlib.sha256(html.encode()).hexdigest()[:20]


def poller(context: LiveContext, html: str | None = None, oob: bool = False) -> Markup:
    """The hidden element that polls for changes, knowing what the page shows now (`html`).

    A full page renders its chips from other snapshots than this one (a robot may connect in
    between), so without `html` the digest is empty: the first poll always brings the page up
    to date, and from then on the digest is of exactly what was swapped in.
    """
    digest = digest_of(html) if html is not None else ""
    return Markup(render_template("runtime/_poller.html", context=context, digest=digest, oob=oob,
                                  every=POLL_EVERY_MS))


def updates_response(context: LiveContext, *, seen: str | None = None, note: str = "", kind: str = "message") -> Response:
    """For a poll: 204 when nothing changed, else the new poller and the fragments.
    For a button press (`seen` None): always the fragments, the poller out of band, and `note`
    as a toast (`kind`: success, error, message) when there is something to say."""
    html = render_updates(context)
    if seen is not None and seen == digest_of(html):
        return Response(status=204)
    body = poller(context, html, oob=seen is None) + Markup(html)
    if note:
        body += Markup(render_template("runtime/_toast_oob.html", note=note, kind=kind))
    return make_response(str(body))


@bp.get("/live")
def poll() -> Response:
    """What changed since the page's digest (`seen`), for the page's live context."""
    context = LiveContext.from_request()
    if context.view == INSTANCE and context.names:
        studio().instance(context.names[0])  # 404 for a deleted instance: the poller stops asking
    return updates_response(context, seen=request.args.get("seen", ""))


def _template_helpers() -> dict[str, Any]:
    """For templates: `runtime_home()` (once per request), `runtime_service(name)`, and
    `runtime_restarts_on_save(name)` (the review says a save restarts it)."""

    def runtime_home() -> dict[str, Any]:
        if "runtime_home" not in g:
            views = service_views()
            context = LiveContext(HOME, tuple(sorted(views)))
            g.runtime_home = {"views": views, "all": all_buttons(views), "context": context, "poller": poller(context)}
        return g.runtime_home

    def runtime_service(name: str) -> dict[str, Any] | None:
        view = service_view_of(name)
        if view is None:
            return None
        context = LiveContext(INSTANCE, (name,))
        return {"view": view, "context": context, "poller": poller(context)}

    return {"runtime_home": runtime_home, "runtime_service": runtime_service, "runtime_restarts_on_save": restarts_on_save}


def setup(flask_app: Flask) -> None:
    flask_app.context_processor(_template_helpers)


page = Page(bp, setup=setup)
