"""What a browser would post for a FormField tree (the templates render exactly these inputs)."""
from __future__ import annotations

from element_studio.editor.schema_form import FormField, marker


def submitted(tree: FormField) -> dict[str, list[str]]:
    """Name -> values, as a browser submits the rendered form without user edits."""
    form: dict[str, list[str]] = {}

    def add(name: str, value: str) -> None:
        form.setdefault(name, []).append(value)

    for item in tree.walk():
        for name, value in item.hidden:
            add(name, value)
        if item.kind in ("text", "number", "json", "ref", "select"):
            if item.kind in ("ref", "select"):
                selected = [o.value for o in item.options if o.selected]
                add(item.name, selected[0] if selected else item.options[0].value)
            else:
                add(item.name, item.value)
        elif item.kind == "textarea":
            add(item.name, item.value.replace("\n", "\r\n"))
        elif item.kind == "checkbox" and item.checked:
            add(item.name, "true")
        elif item.kind == "radios":
            for option in item.options:
                if option.selected:
                    add(item.name, option.value)
        elif item.kind == "secret":
            add(item.name, "")
            add(marker(item.name, "secret"), item.secret_mode)
        elif item.kind == "variant":
            add(item.extra["select_name"], next(o.value for o in item.options if o.selected))
    return form
