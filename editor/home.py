"""The home page: families -> Types -> instances, and "New" beside each Type (name it, then it is written)."""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for

from element_studio.runtime.errors import ElementError
from element_studio.runtime.instances import create_instance, instance_full_name, propose_name
from element_studio.runtime.names import family_of, is_full_name
from element_studio.runtime.redaction import redactor
from element_studio.runtime.resolution import TYPE

from .i18n import N_, _
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


def _type_or_404(type_name: str):
    app = studio().app
    app.refresh()
    if not is_full_name(type_name) or type_name not in app.elements or app.kind(type_name) != TYPE:
        abort(404)
    return app.elements[type_name]


def _proposal(type_element) -> tuple[str, str]:
    """A free name and a matching title, e.g. ("notify.webhook2", "Webhook 2")."""
    full_name = propose_name(studio().app, type_element.full_name)
    stem = full_name.rsplit(".", 1)[-1]
    number = stem.removeprefix(stem.rstrip("0123456789"))
    return full_name, f"{type_element.title} {number}".strip()


@bp.get("/types/<type_name>/new")
def name_new_instance(type_name: str) -> str:
    """Ask for the new instance's name first: nothing is written until it is chosen, so an
    abandoned "New" leaves no folder behind."""
    type_element = _type_or_404(type_name)
    full_name, title = _proposal(type_element)
    return _naming_form(type_element, full_name.rsplit(".", 1)[-1], title, "")


def _naming_form(type_element, name: str, title: str, name_error: str) -> str:
    return render_template("home/new.html", type_element=type_element, family=family_of(type_element.full_name),
                           name=name, title=title, name_error=name_error)


@bp.post("/types/<type_name>/new")
def new_instance(type_name: str) -> Response | tuple[str, int]:
    """Create an instance of a Type under the chosen name (without one: a proposed free name) and
    open its form; a name that cannot be used is said on the naming form, what was typed kept."""
    app = studio().app
    type_element = _type_or_404(type_name)
    wanted = request.form.get("name", "").strip()
    typed_title = request.form.get("title", "").strip()
    if "." in wanted:
        problem = _("%(name)s: give a name without dots: the instance goes into %(family)s.", name=wanted, family=family_of(type_name))
        return _naming_form(type_element, wanted, typed_title, problem), 422
    try:
        full_name, title = (instance_full_name(type_name, wanted), wanted) if wanted else _proposal(type_element)
        create_instance(app, type_name, full_name, title=typed_title or title,
                        load_at_start=bool(type_element.descriptor.get("service")))
    except ElementError as exc:
        return _naming_form(type_element, wanted, typed_title, redactor.redact(str(exc))), 422
    missing = app.missing_setup(full_name)
    note = " " + _("Fill in %(fields)s to finish its setup.", fields=_(", ").join(missing)) if missing else ""
    flash(_("Created %(name)s.", name=full_name) + note, "success")
    return redirect(url_for("instances.edit", name=full_name))


page = Page(bp, nav=NavLink(N_("Elements"), "home.index"))
