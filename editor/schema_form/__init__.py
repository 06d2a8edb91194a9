"""Schema -> form -> typed JSON, without Flask: a Type's config.schema.json rendered as fields.

    tree = build_form(schema, value, FormContext(...))   # FormField tree for the templates
    parsed = parse_form(schema, request.form, original=stored_config)
    report = validate_config(schema, parsed.value, env=app.envVars, problems=parsed.problems)

The schema conventions it understands (secrets, `x-element-ref`, `x-order`, `x-widget`,
`x-placeholder`, `x-advanced`, `x-pattern-message`) are documented in schemas/README.md.
"""
from __future__ import annotations

from .build import FormContext, build_form, encode_choice, env_refs, shown_url_password
from .changes import SECRET_KEPT, SECRET_NEW, FileChange, file_change, masked, order_like
from .model import EnvRef, FormField, Option
from .parse import Parsed, parse_form
from .paths import MISSING, get_at, html_id, list_index, marker, name_of, path_of
from .state import UiState, as_lists
from .validate import MISSING_MESSAGE, Report, validate_config

__all__ = [
    "MISSING", "MISSING_MESSAGE", "SECRET_KEPT", "SECRET_NEW",
    "EnvRef", "FileChange", "FormContext", "FormField", "Option", "Parsed", "Report", "UiState",
    "as_lists", "build_form", "encode_choice", "env_refs", "file_change", "get_at", "html_id", "list_index",
    "marker", "masked", "name_of", "order_like", "parse_form", "path_of", "shown_url_password",
    "validate_config",
]
