"""Start, stop and restart service instances, one or all, from the home page and the instance page.

Every action is an htmx POST (CSRF token in the header) that answers with the live fragments
of the page that asked (see editor/live_status.py), so the chip and the buttons change at once;
the poller takes it from there. Without htmx the action redirects back with a flash message.
"""
from __future__ import annotations

from collections import Counter

from flask import Blueprint, Response, abort, flash, redirect, request, url_for

from element_studio.runtime.errors import ElementError
from element_studio.runtime.redaction import redactor
from element_studio.runtime.service import InstanceState, InstanceStatus

from .i18n import N_, _, format_number, ngettext
from .live_status import LiveContext, updates_response
from .pages import Page
from .studio import studio

bp = Blueprint("runtime", __name__)


def _service(name: str) -> InstanceStatus:
    """The current status of a service instance named in the URL (404 for anything else)."""
    st = studio()
    st.instance(name)
    try:
        if not st.app.is_service(name):
            abort(404, _("%(name)s is not a service: it is loaded on demand, there is nothing to start.", name=name))
        return st.supervisor.status(name)
    except (ElementError, KeyError):
        abort(404)


def outcome_note(status: InstanceStatus, action: str) -> str:
    """What to tell the person when the action did not end where they wanted ("" when it did)."""
    if status.state == InstanceState.NEEDS_SETUP:
        return _("%(title)s was not started: it needs setup (fill in %(fields)s).", title=status.title, fields=_(", ").join(status.missing))
    if status.state == InstanceState.ERROR and action != "stop":
        return _("%(title)s did not start: %(problem)s", title=status.title, problem=redactor.redact(status.message))
    return ""


def _answer(name: str, status: InstanceStatus, action: str) -> Response:
    note = outcome_note(status, action)
    if request.headers.get("HX-Request"):
        return updates_response(LiveContext.from_request(default_name=name), note=note, kind="error")
    done = {"start": N_("Started %(title)s."), "stop": N_("Stopped %(title)s."), "restart": N_("Restarted %(title)s.")}[action]
    flash(note or _(done, title=status.title), "error" if note else "success")
    return redirect(url_for("instances.edit", name=name))


@bp.post("/instances/<name>/start")
def start(name: str) -> Response:
    """Start one service (a service in error that is still retrying is restarted instead)."""
    before = _service(name)
    supervisor = studio().supervisor
    status = supervisor.restart(name) if before.state == InstanceState.ERROR and before.alive else supervisor.start(name)
    return _answer(name, status, "start")


@bp.post("/instances/<name>/stop")
def stop(name: str) -> Response:
    """Stop one service (or clear its error)."""
    _service(name)
    return _answer(name, studio().supervisor.stop(name), "stop")


@bp.post("/instances/<name>/restart")
def restart(name: str) -> Response:
    """Stop and start one service: it reads its files again."""
    _service(name)
    return _answer(name, studio().supervisor.restart(name), "restart")


def summary(statuses: list[InstanceStatus], action: str) -> str:
    """One line about a start-all or stop-all: what happened to how many."""
    if not statuses:
        return _("There are no services in this app.")
    counts = Counter(s.state for s in statuses)
    if action == "stop":
        return ngettext("Stopped %(num)s service.", "Stopped %(num)s services.", len(statuses))
    running = counts[InstanceState.RUNNING] + counts[InstanceState.STARTING]
    parts = [_("%(running)s of %(total)s running", running=format_number(running), total=format_number(len(statuses)))]
    needs_setup = counts[InstanceState.NEEDS_SETUP]
    if needs_setup:
        parts.append(ngettext("%(num)s needs setup", "%(num)s need setup", needs_setup))
    if counts[InstanceState.ERROR]:
        parts.append(_("%(count)s failed", count=format_number(counts[InstanceState.ERROR])))
    return _("Started all: %(parts)s.", parts=_(", ").join(parts))


def _all(action: str) -> Response:
    supervisor = studio().supervisor
    statuses = supervisor.start_all() if action == "start" else supervisor.stop_all()
    note = summary(statuses, action)
    if request.headers.get("HX-Request"):
        return updates_response(LiveContext.from_request(), note=note, kind="success")
    flash(note, "success")
    return redirect(url_for("home.index"))


@bp.post("/runtime/start-all")
def start_all() -> Response:
    """Start every service that is set up (instances that need setup are left as they are)."""
    return _all("start")


@bp.post("/runtime/stop-all")
def stop_all() -> Response:
    """Stop every running service."""
    return _all("stop")


page = Page(bp, instance_panel="runtime/_panel.html")
