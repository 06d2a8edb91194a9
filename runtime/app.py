"""The App object: an app directory's elements, its environment, its storage and loaded instances."""
from __future__ import annotations

import importlib
import json
import stat
import threading
import time
from pathlib import Path
from typing import Any

from .elements import Element, ElementRoot, Signature, discover
from .env_vars import load_env_vars
from .errors import ConfigInvalidError, ElementError, InvalidJsonError, NeedsSetupError, UnknownElementError
from .json_files import parse_json, read_json, read_text
from .logs import instance_logger
from .nodes import ElementNode
from .references import check_declared_targets, reference_problems
from .redaction import redactor
from .resolution import INSTANCE, META, TYPE, kind_of, resolve_chain
from .schema import (SCHEMA_FILE, RememberedSchema, Schema, apply_defaults, check_schema, missing_once_filled, missing_required,
                     secret_values, validate_config)
from . import cluster_tables
from .storage import Migrations, Storage
from .templating import has_placeholders, render_config
from .type_loading import app_package_name, load_loader, type_hook

SHIPPED_PACKAGE = "element_studio.elements"
RUNTIME_OWNER = "element-studio"  # the runtime's own tables (not an identifier: never a family's fullName)
SHIPPED_ELEMENTS = Path(importlib.import_module(SHIPPED_PACKAGE).__path__[0]).resolve()
NO_SCHEMA = RememberedSchema({"type": "object"})  # the schema of an instance whose Type declares none


class App:
    """One app directory on top of the shipped element families."""

    def __init__(self, app_dir: Path, shipped_dir: Path = SHIPPED_ELEMENTS, database_url: str | None = None) -> None:
        """`database_url`: a shared PostgreSQL database (postgresql://...); None: the app's own SQLite file."""
        self.app_dir = Path(app_dir).resolve()
        self.database_url = database_url
        self.roots = [
            ElementRoot(Path(shipped_dir).resolve(), "shipped", SHIPPED_PACKAGE),
            ElementRoot(self.app_dir, "app", app_package_name(self.app_dir)),
        ]
        self._storage: Storage | None = None
        self._cache: dict[str, tuple[tuple, Any]] = {}
        self._running: dict[str, Any] = {}
        self._load_locks: dict[str, threading.Lock] = {}
        self._failures: dict[str, tuple[float, str]] = {}
        self._schemas: dict[Path, tuple[Signature, str, Schema]] = {}  # schema file -> (its signature when read, text that passed check_schema, parsed)
        self._lock = threading.RLock()
        self._descriptors: dict[Path, tuple[Signature, dict[str, Any]]] = {}  # e.json path -> (its signature, descriptor) as last read
        self.refresh()

    # discovery ---------------------------------------------------------------------------
    def refresh(self) -> None:
        """Read every element folder again (after the editor or a person changed files)."""
        found = discover(self.roots, self._descriptors)
        chains: dict[str, list[Element]] = {}
        problems: list[ElementError] = list(found.problems)
        for name in found.elements:
            try:
                chains[name] = resolve_chain(name, found.elements)
            except ElementError as exc:
                problems.append(exc)
        with self._lock:
            owners_before = self._owners() if hasattr(self, "_chains") else set()
            self.elements = found.elements
            self._descriptors = found.read
            self._chains = chains
            self.problems = problems
            if self._storage is not None and self._owners() != owners_before:
                self._storage.adopt(self._migrations())  # a Type dropped in while running gets its tables

    def _owners(self) -> set[str]:
        return {name for name, chain in self._chains.items() if kind_of(chain) in (META, TYPE)}

    def element(self, full_name: str) -> Element:
        if full_name not in self.elements:
            raise UnknownElementError(full_name, "", "no such element in this app or the shipped families")
        return self.elements[full_name]

    def chain(self, full_name: str) -> list[Element]:
        """Instance -> Type -> Meta; raises the resolution error for a broken element."""
        if full_name not in self._chains:
            for problem in self.problems:
                if problem.full_name == full_name:
                    raise problem
            self.element(full_name)
            return resolve_chain(full_name, self.elements)
        return self._chains[full_name]

    def kind(self, full_name: str) -> str:
        return kind_of(self.chain(full_name))

    def _of_kind(self, kind: str) -> list[Element]:
        return [self.elements[n] for n, chain in sorted(self._chains.items()) if kind_of(chain) == kind]

    def metas(self) -> list[Element]:
        return self._of_kind(META)

    def types(self) -> list[Element]:
        return self._of_kind(TYPE)

    def instances(self) -> list[Element]:
        return self._of_kind(INSTANCE)

    def instances_of_family(self, meta_name: str) -> list[Element]:
        """Instances whose chain ends at `meta_name` (e.g. every agent for `aiagents.Meta`)."""
        return [e for e in self.instances() if self._chains[e.full_name][-1].full_name == meta_name]

    def is_service(self, full_name: str) -> bool:
        """Whether an instance's Type runs as a supervised service."""
        chain = self.chain(full_name)
        return len(chain) == 3 and bool(chain[1].descriptor.get("service"))

    # environment and storage ------------------------------------------------------------
    @property
    def envVars(self) -> dict[str, str]:
        """Process environment over `<app>/.env`, read fresh so edits apply on the next load."""
        return load_env_vars(self.app_dir)

    @property
    def storage(self) -> Storage:
        with self._lock:
            if self._storage is None:
                self._storage = Storage.for_app(self.app_dir, self._migrations(), self.database_url)
            return self._storage

    def _migrations(self) -> dict[str, Migrations]:
        """The tables every family and Type declares (`migrations`), by owner fullName, and the runtime's own."""
        declared = {owner: hook for owner, hook in self.hooks("migrations", self.metas() + self.types()).items()
                    if isinstance(hook, Migrations)}
        return {**declared, RUNTIME_OWNER: cluster_tables.migrations}

    # hooks ------------------------------------------------------------------------------
    def hook(self, full_name: str, name: str) -> Any:
        """The hook `name` the package of a Type or Meta exports, or None."""
        return type_hook(self.element(full_name), name)

    def hooks(self, name: str, owners: list[Element]) -> dict[str, Any]:
        """The hook `name` each of `owners` (Types, Metas) exports, by fullName; a package that
        cannot be imported exports none (`check` reports it)."""
        found = {}
        for element in owners:
            try:
                hook = type_hook(element, name)
            except ElementError:
                continue
            if hook is not None:
                found[element.full_name] = hook
        return found

    # configs ----------------------------------------------------------------------------
    def type_schema(self, type_name: str) -> dict[str, Any] | None:
        """A Type's config.schema.json, or None when it declares none; InvalidJsonError (naming the
        keyword and where it is) when the schema is not usable, so no reader meets it half-way."""
        checked = self._checked_schema(type_name)
        return None if checked is None else json.loads(checked[0])  # parsed fresh: callers may change their copy

    def _checked_schema(self, type_name: str) -> tuple[str, Schema] | None:
        """(text, the one parsed copy) of the schema file's current version, checked once per
        version (meta-validating costs ms, and every status asks) and read again only when the
        file changed (a thousand instances of one Type starting read it twice each). The copy is
        for this App's own reading only (configs, statuses): nobody changes it, so its walks are
        remembered."""
        element = self.element(type_name)
        path = element.folder / SCHEMA_FILE
        try:
            found = path.stat()
        except OSError:
            return None
        if not stat.S_ISREG(found.st_mode):
            return None
        signature = (found.st_mtime_ns, found.st_size, found.st_ino)
        known = self._schemas.get(path)
        if known is None or known[0] != signature:
            text = read_text(path, type_name)
            if known is None or known[1] != text:
                schema = parse_json(text, type_name, SCHEMA_FILE)
                check_schema(type_name, schema)
                known = (signature, text, RememberedSchema(schema) if isinstance(schema, dict) else schema)
            self._schemas[path] = known = (signature, known[1], known[2])
        return known[1], known[2]

    def schema_for_instance(self, full_name: str) -> dict[str, Any]:
        chain = self.chain(full_name)
        return (self.type_schema(chain[1].full_name) if len(chain) == 3 else None) or {"type": "object"}

    def _reading_schema(self, full_name: str) -> Schema:
        """schema_for_instance as this App's own readers use it: the shared copy, never changed."""
        chain = self.chain(full_name)
        checked = self._checked_schema(chain[1].full_name) if len(chain) == 3 else None
        return (checked[1] if checked is not None else None) or NO_SCHEMA

    def raw_config(self, full_name: str) -> dict[str, Any]:
        """config.json as written (placeholders unrendered); {} when the file does not exist."""
        try:
            config = read_json(self.element(full_name).folder / "config.json", full_name)
        except InvalidJsonError as exc:
            if isinstance(exc.__cause__, (FileNotFoundError, NotADirectoryError)):  # found absent while reading: no stat first
                return {}
            raise
        if not isinstance(config, dict):
            raise InvalidJsonError(full_name, "config.json", "must hold a JSON object")
        return config

    def missing_setup(self, full_name: str) -> list[str]:
        """Required config fields still empty: the instance shows "needs setup" and is not started."""
        return missing_required(self._reading_schema(full_name), self.raw_config(full_name))

    def config(self, full_name: str) -> dict[str, Any]:
        """The config a Loader gets: placeholders filled, defaults applied, validated."""
        schema = self._reading_schema(full_name)
        raw = self.raw_config(full_name)
        filled = apply_defaults(schema, raw)
        missing = missing_once_filled(schema, filled)
        if missing:
            raise NeedsSetupError(full_name, missing)
        rendered = render_config(raw, self.envVars, full_name) if has_placeholders(raw) else raw
        config = filled if rendered == raw else apply_defaults(schema, rendered)  # no placeholder: the defaults are in
        redactor.add_all(secret_values(schema, config))
        validate_config(schema, config, full_name)
        problems = reference_problems(self, full_name, schema, config)
        if problems:
            raise problems[0]
        return config

    def broken_references(self, full_name: str) -> list[ConfigInvalidError]:
        """The instance's references (as its config.json holds them now) that name nothing
        usable: a running service whose agent was renamed away shows this, not "connected"."""
        try:
            return reference_problems(self, full_name, self._reading_schema(full_name), self.raw_config(full_name))
        except ElementError:
            return []

    # loading ----------------------------------------------------------------------------
    def nodes(self, full_name: str) -> list[ElementNode]:
        """The chain as Loader(nodes) receives it, with the instance's config rendered."""
        chain = self.chain(full_name)
        config = self.config(full_name) if len(chain) == 3 else None
        return [ElementNode(chain[0], self, config)] + [ElementNode(e, self) for e in chain[1:]]

    def load_instance(self, full_name: str) -> Any:
        """Run the Type's Loader for a fresh object (a restart picks up the new config)."""
        chain = self.chain(full_name)
        if len(chain) != 3:
            raise UnknownElementError(full_name, "", "only instances can be loaded (this is a Type or Meta)")
        nodes = self.nodes(full_name)  # first: an instance that needs setup says so, whatever its Type
        return load_loader(chain[1])(nodes).load()

    def getElement(self, full_name: str) -> Any:
        """The loaded element (tutorial-compatible name): a running service as the supervisor
        started it; anything else loaded on first use and cached until its files change."""
        if full_name in self._running:
            return self._running[full_name]
        if self.kind(full_name) != INSTANCE:
            return ElementNode(self.element(full_name), self)
        with self._lock:
            lock = self._load_locks.setdefault(full_name, threading.Lock())
        with lock:
            signature = self._signature(full_name)
            cached = self._cache.get(full_name)
            if cached and cached[0] == signature:
                return cached[1]
            try:
                loaded = self.load_instance(full_name)
            except ElementError as exc:  # said where the user of this instance looks: its Logs and status
                why = f"cannot load: {exc.where}: {exc.message}" if exc.where else f"cannot load: {exc.message}"
                instance_logger(full_name).error("%s", why)
                self.note_outcome(full_name, why)
                raise
            self._cache[full_name] = (signature, loaded)
            return loaded

    def note_outcome(self, full_name: str, failure: str | None) -> None:
        """How the last use of an on-demand instance (an agent's answer) ended: `failure` says why
        it failed (its status shows it, redacted, until a use succeeds); None: it succeeded."""
        with self._lock:
            if failure is None:
                self._failures.pop(full_name, None)
            else:
                self._failures[full_name] = (time.time(), failure)

    def last_failure(self, full_name: str) -> tuple[float, str] | None:
        """(when, why) the last use of an on-demand instance failed, or None."""
        with self._lock:
            return self._failures.get(full_name)

    def adopt_running(self, full_name: str, service: Any) -> None:
        """The supervisor started `service`: getElement returns it, not a second copy."""
        self._running[full_name] = service

    def release_running(self, full_name: str) -> None:
        self._running.pop(full_name, None)

    def files_changed_at(self, full_name: str) -> float:
        """When the files an instance's load reads last changed (epoch seconds; 0 when none exist)."""
        return max(self._signature(full_name)) / 1e9

    def _signature(self, full_name: str) -> tuple:
        """Modification times of the files a load depends on."""
        folder = self.element(full_name).folder
        paths = [folder / "e.json", folder / "config.json", self.app_dir / ".env"]
        return tuple(p.stat().st_mtime_ns if p.exists() else 0 for p in paths)

    # checking ---------------------------------------------------------------------------
    def check(self) -> list[ElementError]:
        """Every problem: descriptors, resolution, Type packages and schemas, instance configs."""
        problems = list(self.problems)
        for element in self.types():
            try:
                load_loader(element)
                schema = self.type_schema(element.full_name)  # raises when the schema itself is unusable
                if schema is not None:
                    check_declared_targets(self, element.full_name, schema)
            except ElementError as exc:
                problems.append(exc)
        broken_types = {p.full_name for p in problems}
        for element in self.instances():
            if self.chain(element.full_name)[1].full_name in broken_types:
                continue
            try:
                self.check_instance(element.full_name)
            except ElementError as exc:
                problems.append(exc)
        return problems

    def check_instance(self, full_name: str) -> None:
        """Render and validate the config, then run the Loader's optional `check()` (e.g. files
        an agent reads) without loading: nothing starts, nothing connects."""
        loader_class = load_loader(self.chain(full_name)[1])
        loader = loader_class(self.nodes(full_name))
        if callable(getattr(loader, "check", None)):
            loader.check()

