"""The editor web app (Flask). A plain status page until the editor proper lands."""
from __future__ import annotations

from flask import Flask, render_template_string

PAGE = """<!doctype html><title>Element Studio</title>
<h1>Element Studio</h1><p>App: {{ app_dir }}</p>
<table><tr><th>Element</th><th>Kind</th><th>Status</th></tr>
{% for row in rows %}<tr><td>{{ row.name }}</td><td>{{ row.kind }}</td><td>{{ row.state }}</td></tr>{% endfor %}
</table>"""


def create_app(supervisor, access_token: str | None = None) -> Flask:
    """The Flask app over one running supervisor."""
    flask_app = Flask(__name__)

    @flask_app.get("/")
    def home():
        app = supervisor.app
        states = {s.full_name: s.state for s in supervisor.statuses()}
        rows = [
            {"name": name, "kind": app.kind(name), "state": states.get(name, "")}
            for name in sorted(app.elements)
            if name in app._chains
        ]
        return render_template_string(PAGE, rows=rows, app_dir=app.app_dir)

    return flask_app
