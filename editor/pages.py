"""The editor's extension points, declared in one place.

A page is a blueprint plus where it shows up: a link in the top bar (`nav`), a tab on every
instance page (`instance_tab`, whose endpoint takes the instance's `name`) and/or a partial in
the instance side panel (`instance_panel`, e.g. start/stop buttons). The built-in pages use
exactly this, so part 2's runtime controls, logs, playground and feedback pages are one
module each:

    bp = Blueprint("logs", __name__, url_prefix="/instances/<name>/logs")

    @bp.get("/")
    def index(name):
        return render_template("logs/index.html", **header_context(name))   # editor.instances

    page = Page(bp, instance_tab=Tab("Logs", "logs.index", services_only=True))

then add `page` to `PAGES` in `editor/__init__.py`. Templates go in
`editor/templates/<blueprint>/<view>.html`; an instance tab extends `instances/_tab_page.html`
(header, tabs and side panel included) and fills `{% block tab_content %}`. Status chips
render `_status_chip.html` with a `Chip` from `editor.status` (`instances.chip` endpoint:
`/instances/<name>/chip`, for polling).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Flask

from element_studio.contract import EditorPage
from element_studio.runtime.app import App

PAGES_KEY = "element_studio_pages"


@dataclass(frozen=True)
class NavLink:
    """A link in the top bar."""

    label: str
    endpoint: str


@dataclass(frozen=True)
class Tab:
    """A tab on every instance page (or only on services); `endpoint(name=fullName)`."""

    label: str
    endpoint: str
    services_only: bool = False
    owner: str = ""  # a family's or Type's fullName: only its instances show the tab ("" = every instance)

    def shown_on(self, chain: list[str], is_service: bool) -> bool:
        """Whether an instance (its chain of fullNames, instance -> Type -> Meta) shows this tab."""
        return (not self.services_only or is_service) and (not self.owner or self.owner in chain)


@dataclass(frozen=True)
class Page:
    """One concern of the editor: a blueprint and where it is linked from.

    `instance_panel`: a template rendered in every instance page's side panel with `name`,
    `element`, `chip` and `is_service` (e.g. part 2's start / stop / restart buttons).
    `setup`: called with the Flask app after the blueprint is registered.
    """

    blueprint: Blueprint
    nav: NavLink | None = None
    instance_tab: Tab | None = None
    instance_panel: str | None = None
    setup: Callable[[Flask], None] | None = None


@dataclass
class Registry:
    """What the base template and the instance page read to draw links and tabs."""

    nav: list[NavLink] = field(default_factory=list)
    tabs: list[Tab] = field(default_factory=list)
    panels: list[str] = field(default_factory=list)

    def tabs_for(self, chain: list[str], is_service: bool) -> list[Tab]:
        """The tabs an instance shows (its chain: instance -> Type -> Meta fullNames)."""
        return [tab for tab in self.tabs if tab.shown_on(chain, is_service)]


def register_pages(flask_app: Flask, pages: list[Page]) -> None:
    """Register each page's blueprint, links and tabs (in the order given)."""
    registry = flask_app.extensions.setdefault(PAGES_KEY, Registry())
    for page in pages:
        flask_app.register_blueprint(page.blueprint)
        if page.nav:
            registry.nav.append(page.nav)
        if page.instance_tab:
            registry.tabs.append(page.instance_tab)
        if page.instance_panel:
            registry.panels.append(page.instance_panel)
        if page.setup:
            page.setup(flask_app)


def register_element_pages(flask_app: Flask, app: App) -> None:
    """Mount the pages families and Types provide (hook `editor_pages`), each linked only from
    the owner's instances. A Type that cannot be imported provides none (`check` reports it)."""
    for owner, provided in app.hooks("editor_pages", app.metas() + app.types()).items():
        for item in provided:
            if not isinstance(item, EditorPage):
                continue
            tab = Tab(item.tab, item.tab_endpoint, item.services_only, owner) if item.tab else None
            nav = NavLink(item.nav, item.nav_endpoint) if item.nav else None
            register_pages(flask_app, [Page(item.blueprint, nav=nav, instance_tab=tab)])


def registry_of(flask_app: Any) -> Registry:
    return flask_app.extensions.get(PAGES_KEY, Registry())
