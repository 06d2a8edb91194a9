"""The cluster page: every replica on the app's database, its last heartbeat, what it runs and
how many answers it has in flight, and where the data lives (never the password)."""
from __future__ import annotations

import time

from flask import Blueprint, render_template

from .i18n import N_
from .pages import NavLink, Page
from .studio import studio

bp = Blueprint("cluster", __name__)


@bp.get("/cluster")
def index() -> str:
    st = studio()
    return render_template("cluster/index.html", replicas=st.supervisor.cluster.replicas(), now=time.time(),
                           storage=st.app.storage.describe())


page = Page(bp, nav=NavLink(N_("Cluster"), "cluster.index"))
