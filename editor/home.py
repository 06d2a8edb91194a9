"""The home page: families -> Types -> instances, and one-click "New" beside each Type."""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for

from element_studio.runtime.errors import ElementError
from element_studio.runtime.instances import create_instance, propose_name
from element_studio.runtime.names import is_full_name
from element_studio.runtime.redaction import redactor
from element_studio.runtime.resolution import TYPE

from .i18n import N_, _, element_title
from .pages import NavLink, Page
from .studio import families, studio

bp = Blueprint("home", __name__)


@bp.get("/")
def index() -> str:
    """Every family with its Types and instances, each instance with its status chip."""
    st = studio()
    st.app.refresh()  # a Type folder dropped into the app shows up on the next visit
    problems = [redactor.redact(str(p)) for p in st.app.problems]
    return render_template("home/index.html", families=families(st.app), chips=st.chips(),
                           problems=problems, app_dir=st.app.app_dir)


@bp.post("/types/<type_name>/new")
def new_instance(type_name: str) -> Response:
    """Create an instance of a Type under a proposed free name and open its form."""
    st = studio()
    app = st.app
    app.refresh()
    if not is_full_name(type_name) or type_name not in app.elements or app.kind(type_name) != TYPE:
        abort(404)
    type_element = app.elements[type_name]
    full_name = propose_name(app, type_name)
    number = full_name.rsplit(".", 1)[-1].removeprefix(full_name.rsplit(".", 1)[-1].rstrip("0123456789"))
    title = f"{type_element.title} {number}".strip()
    try:
        create_instance(app, type_name, full_name, title=title, load_at_start=bool(type_element.descriptor.get("service")))
    except ElementError as exc:
        flash(_("Could not create an instance of %(type)s: %(problem)s", type=element_title(type_element), problem=redactor.redact(exc.message)), "error")
        return redirect(url_for("home.index"))
    missing = app.missing_setup(full_name)
    note = " " + _("Fill in %(fields)s to finish its setup.", fields=_(", ").join(missing)) if missing else ""
    flash(_("Created %(name)s.", name=full_name) + note, "success")
    return redirect(url_for("instances.edit", name=full_name))


page = Page(bp, nav=NavLink(N_("Elements"), "home.index"))
