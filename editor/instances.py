"""An instance's page: its e.json and config on one form; review, save, rename, duplicate, delete."""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, make_response, redirect, render_template, request, url_for

from element_studio.runtime.errors import ConcurrentEditError, ElementError
from element_studio.runtime.instances import (delete_instance, duplicate_instance, editable_instance, history_of,
                                              planned_rename, point_references, rename_instance, save_instance)
from element_studio.runtime.redaction import redactor
from element_studio.runtime.storage import InstanceHistory

from .editing import (Opened, Posted, changes, config_form, element_form, new_files, open_instance, read_posted,
                      renamed_entries, restart_if_running, summary)
from .i18n import N_, _, element_title, format_number, ngettext, nlookup
from .pages import Page
from .studio import studio

bp = Blueprint("instances", __name__, url_prefix="/instances")


def open_or_explain(name: str) -> Opened:
    """The instance, or (aborting) a page that says which of its files cannot be read."""
    try:
        return open_instance(name)
    except ElementError as exc:
        abort(make_response(render_template("instances/broken.html", problem=redactor.redact(str(exc.message)),
                                            where=exc.where, **header_context(name)), 422))


@bp.get("/<name>")
def edit(name: str) -> str:
    """The edit page: e.json fields, then the Type's config form, then the save bar."""
    st = studio()
    st.app.refresh()
    opened = open_or_explain(name)
    config_tree = config_form(opened, opened.config)
    sections = [("element-heading", N_("Element")), ("config-heading", N_("Settings"))]
    sections += [(c.id, c.label) for c in config_tree.children if c.kind in ("object", "array", "variant") and c.label]
    return render_template(
        "instances/edit.html", opened=opened, missing=st.app.missing_setup(name), sections=sections,
        element_tree=element_form(opened.descriptor), config_tree=config_tree, **header_context(name),
    )


def header_context(name: str) -> dict:
    """What `instances/_header.html` needs; part 2's instance tabs render the same header."""
    st = studio()
    element = st.instance(name)
    type_element = st.app.elements.get(element.type)
    family = st.app.elements.get(type_element.type) if type_element else None
    return {
        "name": name, "element": element, "chip": st.chip(name), "is_service": st.app.is_service(name),
        "chain": [element.full_name, element.type, type_element.type if type_element else ""],
        "type_title": element_title(type_element) if type_element else element.type,
        "family_title": element_title(family) if family else "",
    }


def _review(opened: Opened, posted: Posted, *, panel: str, status: int = 200, **extra) -> Response:
    """Summary at the top, every field's feedback, and `panel` in the save panel."""
    element_tree = element_form(posted.descriptor, posted.report)
    config_tree = config_form(opened, posted.render_value, posted.ui, posted.report)
    rows = summary(element_tree, config_tree)
    unplaced = renamed_entries(config_tree, posted.ui)
    body = render_template(
        "instances/_review.html", opened=opened, name=opened.element.full_name, rows=rows, panel=panel,
        fields=[f for tree in (element_tree, config_tree) for f in tree.walk() if f.kind != "variant" and f.path
                and f.name not in unplaced],
        report=posted.report, **extra,
    )
    response = make_response(body, status)
    if panel == "errors":
        response.headers["HX-Reswap"] = "innerHTML show:#summary:top"
    return response


def _blocking(posted: Posted) -> bool:
    return not posted.report.ok and not posted.report.only_missing


@bp.post("/<name>/review")
def review(name: str) -> Response:
    """Check the form; show every problem, or what the save will change (a diff of both files)."""
    opened = open_or_explain(name)
    posted = read_posted(opened, request.form)
    if not opened.editable:
        return _review(opened, posted, panel="readonly")
    if _blocking(posted):
        return _review(opened, posted, panel="errors", status=422)
    files = changes(opened, posted)
    stale = request.form.get("_fingerprint") != opened.fingerprint
    return _review(opened, posted, panel="diff", files=files, stale=stale,
                   changed=any(f.changed for f in files))


@bp.post("/<name>/save")
def save(name: str) -> Response:
    """Write both files (atomically; refused if they changed on disk since the form opened)."""
    st = studio()
    opened = open_or_explain(name)
    posted = read_posted(opened, request.form)
    if not opened.editable:
        return _review(opened, posted, panel="readonly", status=422)
    if _blocking(posted):
        return _review(opened, posted, panel="errors", status=422)
    descriptor, config = new_files(opened, posted)
    try:
        save_instance(st.app, name, descriptor, config, request.form.get("_fingerprint", ""), st.fingerprint_key)
    except ConcurrentEditError:
        return _review(opened, posted, panel="conflict", status=409)
    except ElementError as exc:
        return _review(opened, posted, panel="failed", status=422, problem=redactor.redact(exc.message))
    missing = st.app.missing_setup(name)
    note = " " + _("It still needs setup: fill in %(fields)s.", fields=_(", ").join(missing)) if missing else ""
    restarted = restart_if_running(name)
    flash(*(restarted or (_("Saved e.json and config.json.") + note, "success")))
    return Response("", 200, headers={"HX-Redirect": url_for("instances.edit", name=name)})


def _stop_if_active(name: str) -> bool:
    st = studio()
    if st.is_active(name):
        st.supervisor.stop(name)
        return True
    return False


def _counted(history: list[tuple[InstanceHistory, int]]) -> str:
    """"12 ratings, 1 logged message" in the reader's language: each owner's label, singular or
    plural for its count, translated through the owner's own texts."""
    return _(", ").join(_("%(num)s %(what)s", num=format_number(rows), what=nlookup(kind.one or kind.label, kind.label, rows))
                        for kind, rows in history)


@bp.post("/<name>/rename")
def rename(name: str) -> Response | str:
    """Give the instance a new name: its folder and its history (every owner's rows that name
    it) move together. A name that cannot be taken changes nothing, a running service included.
    When other instances refer to it, the first press asks which of them to point at the new name."""
    st = studio()
    st.instance(name)
    wanted = request.form.get("new_name", "").strip()
    if wanted in ("", name.rsplit(".", 1)[-1], name):
        return redirect(url_for("instances.edit", name=name))
    try:
        new_name = planned_rename(st.app, name, wanted)
    except ElementError as exc:
        flash(_("Not renamed to “%(name)s”: %(problem)s", name=wanted, problem=exc.message), "error")
        return redirect(url_for("instances.edit", name=name))
    users = st.references_to(name)
    if users and not request.form.get("decided"):
        return render_template("instances/rename.html", name=name, new_name=new_name, wanted=wanted, users=users,
                               element=st.instance(name), history=_counted(history_of(st.app, name)),
                               active=st.is_active(name))
    stopped = _stop_if_active(name)
    history = _counted(history_of(st.app, name))
    try:
        new_name = rename_instance(st.app, name, wanted)
    except ElementError as exc:
        if stopped:
            st.supervisor.start(name)
        flash(_("Not renamed to “%(name)s”: %(problem)s", name=wanted, problem=exc.message), "error")
        return redirect(url_for("instances.edit", name=name))
    notes = [_("Its history came along: %(history)s.", history=history)] if history else []
    if stopped:
        notes.append(_("It was stopped for the move."))
    chosen = [user for user in users if user in request.form.getlist("repoint")]
    pointed = [user for user in chosen if point_references(st.app, user, name, new_name)]
    for user in pointed:
        restart_if_running(user)
    if pointed:
        notes.append(ngettext("%(users)s now names %(new)s.", "%(users)s now name %(new)s.", len(pointed),
                              users=_(", ").join(pointed), new=new_name))
    left = [user for user in users if user not in pointed]
    if left:
        notes.append(_("Still naming %(old)s: %(users)s; pick %(new)s there.", old=name, users=_(", ").join(left), new=new_name))
    flash(" ".join([_("Renamed to %(name)s.", name=new_name), *notes]), "success")
    return redirect(url_for("instances.edit", name=new_name))


@bp.post("/<name>/duplicate")
def duplicate(name: str) -> Response:
    """Copy the instance (config and secrets) under a free name and open the copy."""
    st = studio()
    st.instance(name)
    try:
        copy_name = duplicate_instance(st.app, name)
    except ElementError as exc:
        flash(_("Not copied: %(problem)s", problem=exc.message), "error")
        return redirect(url_for("instances.edit", name=name))
    flash(_("Copied %(name)s to %(copy)s. Rename it below if you like.", name=name, copy=copy_name), "success")
    return redirect(url_for("instances.edit", name=copy_name))


@bp.route("/<name>/delete", methods=["GET", "POST"])
def delete(name: str) -> Response | str:
    """Ask first (GET), saying what goes with it; delete folder and history on the confirming
    POST. A delete that is refused changes nothing (a running service keeps running)."""
    st = studio()
    element = st.instance(name)
    editable = element.root.origin == "app"
    if request.method == "GET":
        return render_template("instances/delete.html", element=element, name=name, users=st.references_to(name),
                               active=st.is_active(name), editable=editable,
                               history=_counted(history_of(st.app, name)) if editable else "")
    try:
        editable_instance(st.app, name)
    except ElementError as exc:
        flash(_("Not deleted: %(problem)s", problem=exc.message), "error")
        return redirect(url_for("instances.edit", name=name))
    stopped = _stop_if_active(name)
    try:
        delete_instance(st.app, name)
    except ElementError as exc:
        if stopped:
            st.supervisor.start(name)
        flash(_("Not deleted: %(problem)s", problem=exc.message), "error")
        return redirect(url_for("instances.edit", name=name))
    flash(_("Deleted %(name)s.", name=name), "success")
    return redirect(url_for("home.index"))


@bp.get("/<name>/chip")
def chip(name: str) -> str:
    """The status chip alone (for polling or a live refresh)."""
    st = studio()
    st.instance(name)
    return render_template("_status_chip.html", chip=st.chip(name), name=name)


page = Page(bp)
