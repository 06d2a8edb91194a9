"""What every view needs from the runtime: the App (files) and the Supervisor (running state).

The editor talks to the runtime only through these two: App for element folders and configs,
and the Supervisor's thread-safe methods (`statuses`, `stop`, ...) for what is running.
"""
from __future__ import annotations

import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import abort, current_app, redirect, request

from element_studio.runtime.app import App
from element_studio.runtime.errors import ElementError
from element_studio.runtime.names import is_full_name
from element_studio.runtime.redaction import redactor
from element_studio.runtime.resolution import INSTANCE
from element_studio.runtime.service import InstanceState, InstanceStatus, StatusField
from element_studio.runtime.supervisor import Supervisor
from element_studio.runtime.references import candidates, reference_fields
from element_studio.runtime.templating import PLACEHOLDER

from . import i18n
from .status import LABELS, Chip, ChipState, chip_for_status, config_chip


GUARD_MIN_LENGTH = 8  # masking a shorter value could hit ordinary words in the page ("card")


class Studio:
    """The editor's handle on one running app."""

    def __init__(self, supervisor: Supervisor, simulators: Mapping[str, Any]) -> None:
        self.supervisor = supervisor
        self.simulators = simulators
        self.fingerprint_key = secrets.token_bytes(32)
        self._secrets: set[str] = set()
        self._secrets_lock = threading.Lock()

    @property
    def app(self) -> App:
        return self.supervisor.app

    @property
    def language(self) -> str:
        return i18n.language()

    def gettext(self, text: str, **values: Any) -> str:
        return i18n.gettext(text, **values)

    def env_names(self) -> frozenset[str]:
        """Names of the defined environment variables; their values never leave the server."""
        return frozenset(self.app.envVars)

    def refs(self, editing: str = "") -> dict[str, list[tuple[str, str]]]:
        """For each family (Meta) and each Type: the instances a reference to it may name, as
        (fullName, title), for reference selects; never `editing`, the instance itself."""
        return {target.full_name: candidates(self.app, target.full_name, exclude=editing)
                for target in self.app.metas() + self.app.types()}

    def learn_secrets(self, values: list[str]) -> None:
        """Remember secret values so the response guard (and the log redactor) can mask them.
        A bare `{{VAR}}` placeholder is not a secret: it names where the secret comes from."""
        values = [v for v in values if not PLACEHOLDER.fullmatch(v.strip())]
        with self._secrets_lock:
            self._secrets.update(v for v in values if len(v) >= GUARD_MIN_LENGTH)
        redactor.add_all(values)

    @property
    def known_secrets(self) -> frozenset[str]:
        """A snapshot of the secrets seen so far (requests run in several threads)."""
        with self._secrets_lock:
            return frozenset(self._secrets)

    def instance(self, full_name: str) -> Any:
        """The instance element named in a URL, or 404 (a name that is not a fullName never
        becomes a path). A page of a renamed instance is found under its new name (a bookmarked
        feedback page still shows that robot's feedback)."""
        if not is_full_name(full_name):
            abort(404)
        if full_name not in self.app.elements:
            self._follow_rename(full_name)
            abort(404)
        try:
            if self.app.kind(full_name) != INSTANCE:
                abort(404)
        except ElementError:
            abort(404)
        return self.app.elements[full_name]

    def _follow_rename(self, old: str) -> None:
        """Redirect a GET for a renamed instance's page to the same page of its new name."""
        database_file = self.app.storage.path  # None on a server database
        if request.method != "GET" or (database_file is not None and not database_file.exists()):
            return
        new = self.app.storage.renamed_to(old)
        if new and new in self.app.elements:
            path = request.path.replace(f"/{old}", f"/{new}", 1)
            query = request.query_string.decode()
            abort(redirect(f"{path}?{query}" if query else path))

    def tab_context(self, full_name: str) -> dict[str, Any]:
        """What a tab template extending `instances/_tab_page.html` needs."""
        from .instances import header_context

        return header_context(full_name)

    def status(self, full_name: str) -> InstanceStatus:
        return self.supervisor.status(full_name)

    def simulator(self, type_name: str) -> Any | None:
        return self.simulators.get(type_name)

    def status_fields(self, type_name: str) -> list[StatusField]:
        """How a Type's status detail is shown (`status_fields`); [] for a Type without them."""
        try:
            fields = self.app.hook(type_name, "status_fields")
        except ElementError:
            return []
        return [f for f in fields or [] if isinstance(f, StatusField)]

    def chips(self) -> dict[str, Chip]:
        """A status chip for every instance: the supervisor's state for services, setup state otherwise."""
        statuses = {s.full_name: s for s in self.supervisor.statuses()}
        chips: dict[str, Chip] = {}
        for element in self.app.instances():
            name = element.full_name
            if name in statuses:
                chips[name] = self.service_chip(statuses[name])
            else:
                chips[name] = self.component_chip(name)
        return chips

    def chip(self, full_name: str) -> Chip:
        """The status chip of one instance."""
        try:
            if self.app.is_service(full_name):
                return self.service_chip(self.supervisor.status(full_name))
        except (ElementError, KeyError):
            pass
        return self.component_chip(full_name)

    def component_chip(self, full_name: str) -> Chip:
        """An on-demand instance's chip (an agent): broken, needs setup, in error when its last use
        failed (saying why, redacted), else ready."""
        chip = config_chip(self._missing(full_name), self._broken(full_name))
        failure = self.app.last_failure(full_name)
        if chip.state == ChipState.READY and failure:
            return Chip(ChipState.ERROR, i18n.gettext(LABELS[ChipState.ERROR]), redactor.redact(failure[1]))
        return chip

    def service_chip(self, status: Any) -> Chip:
        """A service's chip from its status: the supervisor's state, unless its files cannot be
        read. A running service then keeps running with the settings it started with, but its
        chip must not say all is well: the next restart would fail."""
        broken = self._broken(status.full_name)
        if broken and status.alive:
            return Chip(ChipState.BROKEN, i18n.gettext(LABELS[ChipState.BROKEN]),
                        i18n.gettext("%(problem)s (it runs with the settings it started with until a restart)", problem=broken))
        if broken and status.state in (InstanceState.STOPPED, InstanceState.NEEDS_SETUP):
            return config_chip([], broken)
        return chip_for_status(status, self.status_fields(status.type))

    def _missing(self, full_name: str) -> list[str]:
        try:
            return self.app.missing_setup(full_name)
        except ElementError:
            return []

    def _broken(self, full_name: str) -> str:
        try:
            self.app.raw_config(full_name)
        except ElementError as exc:
            return redactor.redact(f"{exc.where}: {exc.message}" if exc.where else exc.message)
        return ""

    def references_to(self, full_name: str) -> list[str]:
        """Instances whose config names `full_name` in a reference field (`x-element-ref`)."""
        users = []
        for element in self.app.instances():
            if element.full_name == full_name:
                continue
            try:
                schema = self.app.schema_for_instance(element.full_name)
                config = self.app.raw_config(element.full_name)
            except ElementError:
                continue
            if any(held == full_name for _, held, _ in reference_fields(schema, config)):
                users.append(element.full_name)
        return users

    def is_active(self, full_name: str) -> bool:
        """Whether a service instance is running or on its way (so a rename must stop it first)."""
        try:
            if not self.app.is_service(full_name):
                return False
            return self.supervisor.status(full_name).alive
        except (ElementError, KeyError):
            return False


@dataclass(frozen=True)
class Family:
    """A Meta with its Types and their instances, as the home page lists them."""

    meta: Any
    types: list[tuple[Any, list[Any]]]


def families(app: App) -> list[Family]:
    """Families (Meta) -> Types -> instances, every level sorted by fullName."""
    result = []
    for meta in app.metas():
        types = []
        for type_element in app.types():
            if type_element.type == meta.full_name:
                instances = [e for e in app.instances() if e.type == type_element.full_name]
                types.append((type_element, instances))
        result.append(Family(meta, types))
    return result


def studio() -> Studio:
    """The Studio of the current Flask app."""
    return current_app.extensions["element_studio"]
