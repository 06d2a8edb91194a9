"""Diagnostics: one instance's redacted bundle (config, e.json, versions, status, recent logs)
as a download for a bug report, from a button in every instance's side panel."""
from __future__ import annotations

from flask import Blueprint, Response

from element_studio.runtime.diagnostics import diagnostics

from .pages import Page
from .studio import studio

bp = Blueprint("diagnostics", __name__)


@bp.get("/instances/<name>/diagnostics.json")
def download(name: str) -> Response:
    """`runtime.diagnostics` for the instance, as `<fullName>-diagnostics.json` (every secret replaced)."""
    st = studio()
    st.instance(name)
    return Response(diagnostics(st.app, st.supervisor, name), mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{name}-diagnostics.json"'})


page = Page(bp, instance_panel="diagnostics/_panel.html")
