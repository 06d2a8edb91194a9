"""Reading rendered HTML the way a test needs: controls, labels, buttons, what a form would post."""
from __future__ import annotations

from html.parser import HTMLParser

CONTROLS = {"input", "select", "textarea"}
SKIPPED_INPUTS = {"hidden", "submit", "button"}


class Page(HTMLParser):
    """Collects elements with attributes (and button texts) from one HTML document."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.buttons: list[dict[str, str]] = []
        self.labels_for: set[str] = set()
        self._button: dict[str, str] | None = None
        self._option: dict[str, str] | None = None
        self._textarea: dict[str, str] | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: (v or "") for k, v in attrs}
        self.elements.append((tag, attributes))
        if tag == "label" and "for" in attributes:
            self.labels_for.add(attributes["for"])
        if tag == "button":
            self._button = {**attributes, "_text": ""}
            self.buttons.append(self._button)
        if tag == "option":
            self._option = attributes
            attributes.setdefault("_text", "")
        if tag == "textarea":
            self._textarea = attributes
            attributes["_text"] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "button":
            self._button = None
        if tag == "option":
            self._option = None
        if tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._button is not None:
            self._button["_text"] += data
        if self._option is not None:
            self._option["_text"] += data
        if self._textarea is not None:
            self._textarea["_text"] += data

    def controls(self) -> list[tuple[str, dict[str, str]]]:
        """Every control a person fills in (not hidden inputs, not buttons)."""
        return [(tag, a) for tag, a in self.elements
                if tag in CONTROLS and not (tag == "input" and a.get("type", "text") in SKIPPED_INPUTS)]

    def unlabelled(self) -> list[str]:
        """Controls without a <label for> (or aria-label)."""
        return [a.get("name") or a.get("id", "?") for _, a in self.controls()
                if a.get("id") not in self.labels_for and not a.get("aria-label")]

    def dangling_labels(self) -> list[str]:
        """<label for> pointing at no control."""
        ids = {a.get("id") for _, a in self.controls()}
        return sorted(target for target in self.labels_for if target not in ids)

    def nameless_buttons(self) -> list[str]:
        return [str(b) for b in self.buttons if not (b["_text"].strip() or b.get("aria-label"))]

    def form_data(self, form_id: str | None = "instance-form") -> dict[str, list[str]]:
        """What submitting the form would post (controls and hidden inputs inside it, in order);
        `form_id=None` reads a fragment with no form element."""
        data: dict[str, list[str]] = {}
        inside = form_id is None
        depth = 0
        select_name = None
        for tag, a in self.elements:
            if tag == "form":
                inside = a.get("id") == form_id
                depth += 1
                continue
            if not inside or a.get("form") or "disabled" in a:
                continue
            name = a.get("name")
            if tag == "input" and name:
                kind = a.get("type", "text")
                if kind in ("checkbox", "radio"):
                    if "checked" in a:
                        data.setdefault(name, []).append(a.get("value", "on"))
                elif kind not in ("submit", "button"):
                    data.setdefault(name, []).append(a.get("value", ""))
            elif tag == "textarea" and name:
                data.setdefault(name, []).append(a.get("_text", "").removeprefix("\n"))
            elif tag == "select":
                select_name = name
                data.setdefault(name, [])
            elif tag == "option" and select_name:
                if "selected" in a or not data[select_name]:
                    data[select_name] = [a.get("value", a.get("_text", ""))] if "selected" in a or not data[select_name] else data[select_name]
        return data
