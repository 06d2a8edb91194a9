"""htmx round trips of the instance form: field feedback, dependent sections, array edits, JSON view.

Each request posts the whole form; the server rebuilds the field tree from it and answers with
only the part that changed, so the browser keeps no state and what the user typed stays put.
"""
from __future__ import annotations

import copy
import json
from typing import Any

from flask import Blueprint, Response, make_response, render_template, request
from werkzeug.exceptions import NotFound

from element_studio.runtime.errors import ElementError
from element_studio.runtime.json_files import TooDeeplyNested, loads_bounded
from element_studio.runtime.names import folder_of
from element_studio.runtime.schema import mask_secrets, secret_paths

from .editing import config_form, element_form, marker_base, open_instance, read_posted
from .instances import open_or_explain
from .i18n import _
from .pages import Page
from .schema_form import (
    MISSING,
    UiState,
    as_lists,
    get_at,
    html_id,
    list_index,
    marker,
    name_of,
    order_like,
    parse_form,
    path_of,
    shown_url_password,
    validate_config,
)
from .studio import studio

bp = Blueprint("forms", __name__, url_prefix="/instances/<name>/form")
JSON_SECRET = "<secret: change it in the form>"
FOCUSABLE = ("text", "textarea", "number", "select", "ref", "json", "checkbox", "secret")


@bp.post("/changed")
def changed(name: str) -> Response:
    """A field was changed or left: its feedback, or the section its change swaps in."""
    app = studio().app
    # The field was left by pressing Rename (or Delete): the page is on its way elsewhere and the
    # folder is gone. Asked of the folder alone: the rename's history row and app.elements may
    # not show it yet (they follow the folder's move).
    gone = Response(status=204)
    if not folder_of(app.app_dir, name).exists():
        return gone
    try:
        opened = open_instance(name)
    except (NotFound, ElementError):
        if not folder_of(app.app_dir, name).exists():  # renamed while this request was on its way
            return gone
        app.refresh()  # the folder is there: the app's view of the folders was read mid-rename
        opened = open_or_explain(name)
    base, what = marker_base(request.form.get("_field", ""))
    if not base.startswith(("config", "element/")):
        return Response(status=204)
    posted = read_posted(opened, request.form)
    if base.startswith("element/"):
        tree = element_form(posted.descriptor, posted.report, show={base})
        return _oob(tree.find(base))
    key_name = marker(base, "key") if what == "key" else None  # a map entry's name: its own feedback and its value's
    tree = config_form(opened, posted.render_value, posted.ui, posted.report, show={base, key_name} - {None})
    if what.startswith("variant"):
        level = what.removeprefix("variant")  # "" or the nesting level of the selector (see build._variant)
        if posted.ui.index(base, what) != posted.ui.index(base, "shown" + level):
            return _section(tree.find_id(f"{html_id(base)}-v{level}"))
        return Response(status=204)
    target = tree.find(base)
    if target is not None and target.refreshes:
        section = tree.find_id(target.refreshes)
        if section is not None and dict(section.hidden).get(marker(section.name, "branch")) != posted.ui.first(marker(section.name, "branch")):
            return _section(section)
    return _oob(target, tree.find(key_name) if key_name else None)


def _oob(*fields: Any) -> Response:
    shown = [field for field in fields if field is not None]
    if not shown:
        return Response(status=204)
    return make_response(render_template("form/_feedback_oob.html", fields=shown))


def _section(field: Any) -> Response:
    if field is None:
        return Response(status=204)
    return make_response(render_template("form/_section.html", field=field, name=request.view_args["name"], oob=True))


@bp.post("/array")
def array(name: str) -> Response:
    """Add, remove or move an array item; answers with the whole array, renumbered."""
    opened = open_or_explain(name)
    ui = UiState(as_lists(request.form))
    target, op = request.form.get("_target", ""), request.form.get("_op", "")
    index = list_index(request.form.get("_index", "0")) or 0
    path = path_of(target, "config")
    if path is None or op not in ("add", "remove", "up", "down", "add-entry", "remove-entry"):
        return Response(_("Unknown list action."), status=400)
    value = parse_form(opened.schema, ui.form, original=opened.config, resolve_secrets=False).value
    if op.endswith("-entry"):
        return _map_entry(opened, value, ui, target, op, request.form.get("_key", ""))
    before = config_form(opened, value, ui).find(target)
    if before is None or before.kind != "array":
        return Response(_("No such list in this form."), status=400)
    fixed = op == "remove" and 0 <= index < len(before.children) and before.children[index].extra.get("fixed")
    if op in ("up", "down") and not before.can_move or op == "remove" and (fixed or not before.can_remove) or op == "add" and not before.can_add:
        return Response(_("This list does not allow that."), status=400)
    typed_path = _typed(value, path)
    items = list(get_at(value, typed_path) or []) if get_at(value, typed_path) is not MISSING else []
    order = list(range(len(items)))
    if op == "add":
        items.append(copy.deepcopy(before.extra.get("new_item")))
        order.append(None)
    elif 0 <= index < len(items):
        swap = {"up": index - 1, "down": index + 1}.get(op)
        if op == "remove":
            del items[index], order[index]
        elif swap is not None and 0 <= swap < len(items):
            items[index], items[swap] = items[swap], items[index]
            order[index], order[swap] = order[swap], order[index]
    _set(value, typed_path, items)
    ui = UiState(_renumbered(ui.form, target, order, ui.origins(target)))
    field = config_form(opened, value, ui).find(target)
    _focus_after(field, op, index)
    return make_response(render_template("form/_section.html", field=field, name=name, oob=False))


def _map_entry(opened: Any, value: dict[str, Any], ui: UiState, target: str, op: str, key: str) -> Response:
    """Add an entry to a map (a free name, the entry schema's default) or remove one; answers
    with the whole group the map belongs to."""
    before = config_form(opened, value, ui).find(target)
    entries = next((f for f in before.children if f.kind == "map"), None) if before is not None else None
    if entries is None:
        return Response(_("No such group of entries in this form."), status=400)
    typed_path = _typed(value, path_of(target, "config"))
    group = get_at(value, typed_path)
    group = dict(group) if isinstance(group, dict) else {}
    if op == "add-entry":
        key = next(f"newKey{n or ''}" for n in range(len(group) + 2) if f"newKey{n or ''}" not in group)
        group[key] = copy.deepcopy(entries.extra["new_value"])
    else:
        group.pop(key, None)
    if typed_path:
        _set(value, typed_path, group)
    else:
        value = group
    field = config_form(opened, value, ui).find(target)
    focus = next((e for e in next(f for f in field.children if f.kind == "map").children if e.label == key), None) if op == "add-entry" else None
    if focus is not None:
        focus.children[0].extra["autofocus"] = True
    return make_response(render_template("form/_section.html", field=field, name=request.view_args["name"], oob=False))


def _focus_after(field: Any, op: str, index: int) -> None:
    """Where the keyboard focus lands after a list action: the new item's first input, the moved
    item's same button, or the add button after a removal (htmx focuses `autofocus`)."""
    if op == "add" and field.children:
        first = next((f for f in field.children[-1].walk() if f.kind in FOCUSABLE), None)
        if first is not None:
            first.extra["autofocus"] = True
    elif op in ("up", "down"):
        moved = index - 1 if op == "up" else index + 1
        if 0 <= moved < len(field.children):
            field.extra["focus_button"] = f"{op}:{moved}"
    else:
        field.extra["focus_button"] = "add"


def _typed(value: Any, path: tuple) -> tuple:
    """String path segments as list indices where the value holds a list."""
    typed: list[Any] = []
    current = value
    for step in path:
        index = list_index(step) if isinstance(current, list) else None
        typed.append(step if index is None else index)
        current = get_at(current, (typed[-1],)) if current is not MISSING else MISSING
    return tuple(typed)


def _set(value: Any, path: tuple, new: Any) -> None:
    current = value
    for step in path[:-1]:
        if isinstance(current, dict):
            current = current.setdefault(step, {})
        else:
            current = current[step]
    current[path[-1]] = new


def _stored_index(page_index: int | None, origins: list[int | None] | None) -> int | None:
    """Which stored item the item at `page_index` is (None: a new one), by the list's `$from`."""
    if page_index is None or origins is None:
        return page_index
    return origins[page_index] if page_index < len(origins) else None


def _renumbered(form: dict[str, list[str]], target: str, order: list[int | None],
                origins: list[int | None] | None) -> dict[str, list[str]]:
    """The form's markers of array items moved to the items' new positions (removed ones
    dropped), and the list's `$from` marker saying which stored item each one is."""
    moved = {old: new for new, old in enumerate(order) if old is not None}
    form = {**form, marker(target, "from"): [json.dumps([_stored_index(old, origins) for old in order])]}
    prefix = target + "/"
    result = {}
    for key, values in form.items():
        if key.startswith(prefix):
            head, _, rest = key[len(prefix):].partition("/")
            index = list_index(head)
            if index is not None:
                if index not in moved:
                    continue
                key = f"{prefix}{moved[index]}" + (f"/{rest}" if rest else "")
        result[key] = values
    return result


@bp.post("/json")
def json_view(name: str) -> str:
    """The config the form currently holds, as JSON (secrets shown as a placeholder text)."""
    opened = open_or_explain(name)
    posted = read_posted(opened, request.form)
    value = mask_secrets(opened.schema, order_like(opened.config, posted.config), lambda path, secret: JSON_SECRET,
                         url_mask=lambda path, password: shown_url_password(password, get_at(opened.config, path)))
    return render_template("form/_json.html", name=name, secret_placeholder=JSON_SECRET, text=json.dumps(value, indent=2, ensure_ascii=False))


@bp.post("/apply-json")
def apply_json(name: str) -> Response:
    """Put JSON edited in the JSON view into the form; broken JSON is an error message, not a crash."""
    opened = open_or_explain(name)
    raw = request.form.get("raw_json", "")
    try:
        value = loads_bounded(raw)
    except json.JSONDecodeError as exc:
        return _json_error(_("Not valid JSON at line %(line)s, column %(column)s: %(problem)s.", line=exc.lineno, column=exc.colno, problem=exc.msg))
    except TooDeeplyNested as exc:
        return _json_error(_("This JSON is %(problem)s: a config is never that deep.", problem=exc))
    if not isinstance(value, dict):
        return _json_error(_("The config must be a JSON object: { ... }."))
    typed_secrets = [p for p in secret_paths(opened.schema, value) if get_at(value, p) != JSON_SECRET]
    if typed_secrets:
        fields = ", ".join(".".join(str(s) for s in p) for p in typed_secrets)
        return _json_error(_("Secrets are changed in the form only (so they never show here): %(fields)s.", fields=fields))
    for path in secret_paths(opened.schema, value):
        _drop(value, path)
    # the secrets as the form left them, and which stored item each list item is (StoredConfig.where)
    modes = {k: v for k, v in as_lists(request.form).items() if k.endswith(("/$secret", "/$from"))}
    checked = copy.deepcopy(value)  # what would be saved: the form's secrets as they stand
    for path in secret_paths(opened.schema, opened.config):
        mode = (modes.get(marker(name_of("config", path), "secret")) or ["keep"])[0]
        if mode != "clear" and isinstance(get_at(checked, path[:-1]), dict):
            _set(checked, path, copy.deepcopy(get_at(opened.config, path)))
    report = validate_config(opened.schema, checked, env=studio().app.envVars)
    tree = config_form(opened, value, UiState(modes), report)
    response = make_response(render_template("form/_section.html", field=tree, name=name, oob=False, json_ok=True))
    response.headers["HX-Trigger"] = json.dumps({"studio:show-tab": "form"})
    return response


def _json_error(message: str) -> Response:
    response = make_response(render_template("form/_json_error.html", message=message), 422)
    response.headers["HX-Retarget"] = "#json-error"
    response.headers["HX-Reswap"] = "outerHTML"
    return response


def _drop(value: Any, path: tuple) -> None:
    parent = get_at(value, path[:-1])
    if isinstance(parent, dict):
        parent.pop(path[-1], None)


page = Page(bp)
