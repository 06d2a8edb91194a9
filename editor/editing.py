"""One instance being edited: its stored files in; a posted form out as new files, a report,
a diff and a field tree. The glue between the pure schema_form package and the App.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from element_studio.runtime.elements import Element
from element_studio.runtime.errors import ElementError
from element_studio.runtime.instances import file_fingerprint
from element_studio.runtime.json_files import read_json
from element_studio.runtime.redaction import redactor
from element_studio.runtime.references import problem_of, reference_fields
from element_studio.runtime.schema import secret_values
from element_studio.runtime.service import InstanceState

from .schema_form import (
    FileChange,
    FormContext,
    MISSING_MESSAGE,
    FormField,
    Option,
    Report,
    UiState,
    as_lists,
    build_form,
    file_change,
    masked,
    order_like,
    parse_form,
    validate_config,
)
from .i18n import N_, _, localized
from .schema_form.paths import html_id, name_of
from .studio import studio

LOAD_CHOICES = (("start", N_("With the app")), ("demand", N_("On demand")))
LOAD_HELP = N_("With the app (backendLoadTime afterAppInit): a service starts when the runtime starts. "
               "On demand: loaded the first time something uses it; a service waits to be started.")


@dataclass
class Opened:
    """An instance as stored on disk when the request came in."""

    element: Element
    type_element: Element
    schema: dict[str, Any]
    config: dict[str, Any]
    descriptor: dict[str, Any]
    fingerprint: str

    @property
    def editable(self) -> bool:
        return self.element.root.origin == "app"


@dataclass
class Posted:
    """What a posted form means: new files (secrets resolved, server side only) and a report."""

    config: dict[str, Any]
    descriptor: dict[str, Any]
    report: Report
    ui: UiState
    render_value: dict[str, Any] = field(default_factory=dict)


def open_instance(full_name: str) -> Opened:
    """Read an instance's files (404 for an unknown name); its secrets are registered with the guard."""
    st = studio()
    element = st.instance(full_name)
    chain = st.app.chain(full_name)
    schema = localized(chain[1], st.app.type_schema(chain[1].full_name) or {"type": "object"})
    config = st.app.raw_config(full_name)
    descriptor = read_json(element.folder / "e.json", full_name)
    st.learn_secrets(secret_values(schema, config))
    fingerprint = file_fingerprint(element.folder, st.fingerprint_key)
    return Opened(element, chain[1], schema, config, descriptor, fingerprint)


def read_posted(opened: Opened, form: Any) -> Posted:
    """Parse and check a posted instance form."""
    ui = UiState(as_lists(form))
    parsed = parse_form(opened.schema, ui.form, original=opened.config)
    chosen = {key[: -len("/$shown")]: int(v[0]) for key, v in ui.form.items() if key.endswith("/$shown") and v and v[0].isdigit()}
    report = validate_config(opened.schema, parsed.value, env=studio().app.envVars,
                             problems=parsed.problems, chosen=chosen)
    for path, held, target in reference_fields(opened.schema, parsed.value):
        problem = problem_of(studio().app, opened.element.full_name, held, target)
        if problem:
            report.add("error", name_of("config", path), _("%(problem)s.", problem=_(problem.text, **problem.values)))
    descriptor = descriptor_from_form(opened.descriptor, ui)
    if not descriptor.get("title"):
        report.add("error", "element/title", _(MISSING_MESSAGE))
    studio().learn_secrets(secret_values(opened.schema, parsed.value))
    render = parse_form(opened.schema, ui.form, original=opened.config, resolve_secrets=False)
    return Posted(parsed.value, descriptor, report, ui, render.value)


def descriptor_from_form(old: dict[str, Any], ui: UiState) -> dict[str, Any]:
    """The new e.json: title, description and load time changed in place, every other key kept."""
    descriptor = dict(old)
    title = ui.first("element/title")
    if title is not None:
        descriptor["title"] = title.strip()
    description = ui.first("element/description")
    if description is not None:
        description = description.replace("\r\n", "\n").strip()
        if description or "description" in old:
            descriptor["description"] = description
    load = ui.first("element/load")
    if load == "start":
        descriptor["backendLoadTime"] = "afterAppInit"
    elif load == "demand":
        descriptor.pop("backendLoadTime", None)
    return descriptor


def element_form(descriptor: dict[str, Any], report: Report | None = None, show: set[str] | None = None) -> FormField:
    """The e.json fields (title, description, load time) as a small form of their own."""
    errors = _visible(report.errors if report else {}, show)
    load = "start" if descriptor.get("backendLoadTime") == "afterAppInit" else "demand"

    def make(kind: str, key: str, label: str, **extra: Any) -> FormField:
        name = f"element/{key}"
        return FormField(kind=kind, name=name, id=html_id(name), path=(key,), label=label,
                         errors=list(errors.get(name, [])), **extra)

    root = FormField(kind="object", name="element", id="f-element", path=())
    root.children = [
        make("text", "title", _("Title"), required=True, value=str(descriptor.get("title", "")),
             help=_("What people see in lists and on this page.")),
        make("textarea", "description", _("Description"), value=str(descriptor.get("description", "")),
             help=_("Optional: what this instance is for.")),
        make("radios", "load", _("Load"), value=load, help=_(LOAD_HELP),
             options=[Option(value, _(label), value == load) for value, label in LOAD_CHOICES]),
    ]
    return root


def config_form(opened: Opened, value: Any, ui: UiState | None = None, report: Report | None = None,
                show: set[str] | None = None) -> FormField:
    """The config fields for `value`; errors and warnings only for the names in `show` (None: all)."""
    st = studio()
    errors = _visible(report.errors if report else {}, show)
    warnings = _visible(report.warnings if report else {}, show)
    context = FormContext(prefix="config", env_names=st.env_names(), refs=st.refs(editing=opened.element.full_name), original=opened.config,
                          ui=ui or UiState(), errors=errors, warnings=warnings)
    tree = build_form(opened.schema, value, context)
    _place_strays(tree, errors)
    return tree


def _visible(messages: dict[str, list[str]], show: set[str] | None) -> dict[str, list[str]]:
    return dict(messages) if show is None else {k: v for k, v in messages.items() if k in show}


def _place_strays(tree: FormField, errors: dict[str, list[str]]) -> None:
    """An error about something the form has no field for goes to the closest group that has one."""
    names = {item.name for item in tree.walk()}
    for name, messages in errors.items():
        if name in names:
            continue
        parent = name
        while "/" in parent and parent not in names:
            parent = parent.rsplit("/", 1)[0]
        target = tree.find(parent) or tree
        target.errors.extend(m for m in messages if m not in target.errors)


def summary(*trees: FormField) -> list[dict[str, Any]]:
    """Every error and warning with the field's label trail and anchor, in page order."""
    rows: list[dict[str, Any]] = []

    def walk(item: FormField, trail: tuple[str, ...]) -> None:
        here = (*trail, item.label) if item.label and item.kind != "variant" else trail
        for kind, messages in (("error", item.errors), ("warning", item.warnings)):
            for message in messages:
                rows.append({"kind": kind, "label": " › ".join(here) or _("Settings"), "message": message, "anchor": item.id})
        for child in item.children:
            walk(child, here)

    for tree in trees:
        walk(tree, ())
    return rows


def new_files(opened: Opened, posted: Posted) -> tuple[dict[str, Any], dict[str, Any]]:
    """(e.json, config.json) as they would be written: the file's key order kept."""
    return posted.descriptor, order_like(opened.config, posted.config)


def changes(opened: Opened, posted: Posted) -> list[FileChange]:
    """The diff of both files, secrets masked (a changed secret says so, never what it is)."""
    descriptor, config = new_files(opened, posted)
    before, after = masked(opened.schema, opened.config, config)
    return [file_change("e.json", opened.descriptor, descriptor), file_change("config.json", before, after)]


def renamed_entries(tree: FormField, ui: UiState) -> set[str]:
    """Names of the fields of map entries that are not on the page as it was posted (an entry
    renamed since the page was built is named by its new key now): no feedback goes to them,
    and the map groups themselves have none."""
    names: set[str] = set()
    for group in tree.walk():
        if group.kind != "map":
            continue
        names.add(group.name)
        for entry in group.children:
            names.add(entry.name)
            names.update(f.name for f in entry.walk() if not ui.has(f.name) and not ui.submitted_under(f.name))
    return names


def marker_base(name: str) -> tuple[str, str]:
    """`config/a/$variant` -> ("config/a", "variant"); a plain field name -> (name, "")."""
    if "/$" in name:
        base, what = name.split("/$", 1)
        return base, what
    return name, ""


RESTART_STATES = (InstanceState.RUNNING, InstanceState.STARTING, InstanceState.ERROR)  # error: it was meant to run (it may be retrying)


def restarts_on_save(full_name: str) -> bool:
    """Whether saving this instance restarts it: a service that runs, or tries to."""
    st = studio()
    try:
        return st.app.is_service(full_name) and st.supervisor.status(full_name).state in RESTART_STATES
    except (ElementError, KeyError):
        return False


def restart_if_running(full_name: str) -> tuple[str, str] | None:
    """Restart a service that was running (or trying to) so the saved files apply.
    None when it was not; else (message, flash category) saying what became of it."""
    if not restarts_on_save(full_name):
        return None
    after = studio().supervisor.restart(full_name)
    if after.state == InstanceState.NEEDS_SETUP:
        return _("Saved and stopped: it needs setup before it runs again (fill in %(fields)s).", fields=_(", ").join(after.missing)), "success"
    if after.state == InstanceState.ERROR:
        return _("Saved and restarted, but it did not start: %(problem)s", problem=redactor.redact(after.message)), "error"
    return _("Saved and restarted: it runs with the new settings."), "success"
