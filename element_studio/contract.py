"""The Type contract: everything a family (Meta) or a Type may use or provide, in one place.

Shipped families import only this module (and their own code), exactly as a user's Type
does; `docs/adding-a-type.md` documents every name below and a test keeps the two equal.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from .runtime.app import App
from .runtime.cluster import Cluster, ClusterMode
from .runtime.connection_check import ConnectionCheck
from .runtime.errors import ConfigInvalidError, ElementError
from .runtime.logs import instance_logger
from .runtime.redaction import redactor
from .runtime.resolution import INSTANCE
from .runtime.storage import InstanceHistory, Migrations, Storage, add_column
from .runtime.service import FieldKind, InstanceState, Link, Service, ServiceContext, StatusField, reported
from .runtime.translations import LANGUAGES, text_in

if TYPE_CHECKING:  # Flask is the editor's: a process that only runs robots never imports it (55 ms)
    from flask import Blueprint


class RunningSimulator(Protocol):
    """A started offline simulator: where it listens, and how to stop it."""

    base_url: str

    def stop(self) -> None:
        """Stop listening and end its thread."""


@dataclass(frozen=True)
class OfflineSimulator:
    """A Type's stand-in for its platform (hook `offline_simulator`): the offline default starts it."""

    platform: str  # the word for `element-studio sim <platform>`
    title: str  # the platform's name as people write it ("DingTalk")
    start: Callable[[], RunningSimulator]  # start it on 127.0.0.1 (a well-known port when free)
    command: Callable[[list[str]], int] | None = None  # `element-studio sim <platform> ARGS`; returns the exit code
    hint: str = ""  # a line logged once it runs; `{base_url}` is filled in


@dataclass(frozen=True)
class EditorPage:
    """A family's or Type's own page in the editor (hook `editor_pages`): a Flask blueprint with
    its templates, shown as a tab on the owner's instances only and/or as a top-bar link."""

    blueprint: Blueprint
    tab: str = ""  # the tab's label; its endpoint takes the instance's fullName as `name`
    tab_endpoint: str = ""
    services_only: bool = False  # the tab only on instances that run as services
    nav: str = ""  # a top-bar link's label
    nav_endpoint: str = ""


class EditorHost(Protocol):
    """What a family's or Type's editor page may ask of the editor (`editor_host()`)."""

    app: App

    def instance(self, full_name: str) -> Any:
        """The instance element named in a URL, or a 404 response."""

    def tab_context(self, full_name: str) -> dict[str, Any]:
        """What a tab template extending `instances/_tab_page.html` needs (header, tabs, side panel)."""

    def status(self, full_name: str) -> Any:
        """A service instance's InstanceStatus (state, detail, message)."""

    def simulator(self, type_name: str) -> Any | None:
        """The Type's running offline simulator, or None when the app talks to the real platform."""

    def learn_secrets(self, values: Iterable[str]) -> None:
        """Secrets a page read: the response guard and the log redactor mask them from now on."""

    @property
    def language(self) -> str:
        """The reader's language ("en" or "zh"): the top bar's choice, else the browser's."""

    def gettext(self, text: str, **values: Any) -> str:
        """`text` in the reader's language (the editor's catalog, then every family's and Type's
        `translations/<language>.json` texts), then `%(name)s` filled from `values`."""


EDITOR_HOST_KEY = "element_studio"

# The names a Type's package (its `__init__.py`) may export; a Meta's package may export the last
# two for the whole family. The runtime and the editor look them up; nothing else is read.
HOOKS = {
    "Loader": "required on a Type: `Loader(nodes).load()` gives the instance's object (a Service for service Types); an optional `check()` runs in `element-studio check`",
    "check_connection": "`async def check_connection(config, offline_endpoint, full_name) -> ConnectionCheck`: the editor's Test connection",
    "status_fields": "a list of StatusField: how the editor shows the detail keys the service reports",
    "offline_simulator": "an OfflineSimulator: the offline default starts it and `element-studio sim` runs it",
    "migrations": "Migrations: the owner's own tables (SQLAlchemy metadata) and later steps, versioned per owner (Type or Meta), and which columns hold an instance's fullName (its history: moved on rename, removed on delete)",
    "cluster_mode": "a ClusterMode: whether every replica connects to the platform (EVERY_REPLICA) or one owns each instance (ONE_OWNER, the default)",
    "editor_pages": "a list of EditorPage: the owner's tabs and pages in the editor (Type or Meta)",
}


def editor_host() -> EditorHost:
    """The editor serving the current request (inside a page's view function)."""
    from flask import current_app

    return current_app.extensions[EDITOR_HOST_KEY]


def translated_text(app: App, full_name: str, text: str, language: str) -> str:
    """`text` in `language`, as the "texts" of `translations/<language>.json` along the element's
    chain give it (an instance's Type first, then its family), else `text` itself: e.g. a robot
    answering in the asker's language."""
    try:
        chain = app.chain(full_name)
    except ElementError:
        return text
    shipped = chain[1:] if app.kind(full_name) == INSTANCE else chain  # an instance's folder holds no translations
    return text_in([element.folder for element in shipped], text, language)


def hook_of(app: App, full_name: str, name: str) -> Any:
    """A hook the package of a Type or Meta (by fullName) exports, or None (e.g. a family's
    page asking the instance's Type for its platform specifics)."""
    return app.hook(full_name, name)


__all__ = [
    "App",
    "Cluster",
    "ClusterMode",
    "ConfigInvalidError",
    "ConnectionCheck",
    "EDITOR_HOST_KEY",
    "HOOKS",
    "EditorHost",
    "EditorPage",
    "ElementError",
    "FieldKind",
    "InstanceHistory",
    "InstanceState",
    "LANGUAGES",
    "Link",
    "Migrations",
    "OfflineSimulator",
    "RunningSimulator",
    "Service",
    "ServiceContext",
    "StatusField",
    "add_column",
    "editor_host",
    "hook_of",
    "translated_text",
    "Storage",
    "instance_logger",
    "redactor",
    "reported",
]
