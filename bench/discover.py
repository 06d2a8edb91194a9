"""Discover and validate N generated elements; prints a table of medians.

    .venv/bin/python bench/discover.py [--elements 1000] [--runs 5]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from element_studio.runtime.app import App  # noqa: E402

SCHEMA = {
    "type": "object",
    "required": ["endpoint", "retries"],
    "properties": {
        "endpoint": {"type": "string", "format": "uri", "title": "Endpoint", "description": "Where to send."},
        "retries": {"type": "integer", "minimum": 0, "maximum": 10, "title": "Retries", "description": "How often."},
        "secret": {"type": "string", "writeOnly": True, "title": "Secret", "description": "Sent as a header."},
    },
}
LOADER = "class Loader:\n    def __init__(self, nodes):\n        self.nodes = nodes\n    def load(self):\n        return self.nodes[0].config\n"


def generate(root: Path, count: int) -> None:
    """Families of one Meta, one Type and instances, `count` elements in all."""
    families = max(1, count // 100)
    made = 0
    for f in range(families):
        family = root / f"family{f}"
        for name, descriptor, extra in (
            ("Meta", {"title": f"Family {f}", "type": ""}, {}),
            ("senderType", {"title": "Sender", "type": f"family{f}.Meta", "backendBundleEntry": "."}, {"config.schema.json": json.dumps(SCHEMA), "__init__.py": LOADER}),
        ):
            write(family / name, descriptor, extra)
            made += 1
        for i in range(count // families - 2):
            descriptor = {"title": f"Instance {i}", "type": f"family{f}.senderType", "backendBundleEntry": ".", "backendLoadTime": "afterAppInit"}
            write(family / f"sender{i}", descriptor, {"config.json": json.dumps({"endpoint": "https://example.invalid/hook", "retries": i % 5, "secret": "{{BENCH_SECRET}}"}), "__init__.py": ""})
            made += 1


def write(folder: Path, descriptor: dict, files: dict[str, str]) -> None:
    folder.mkdir(parents=True)
    (folder / "e.json").write_text(json.dumps(descriptor))
    for name, text in files.items():
        (folder / name).write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--elements", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    os.environ["BENCH_SECRET"] = "bench-secret-value"
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        generate(root, args.elements)
        discover_times, check_times = [], []
        for _ in range(args.runs):
            started = time.perf_counter()
            app = App(root)
            discover_times.append(time.perf_counter() - started)
            started = time.perf_counter()
            problems = app.check()
            check_times.append(time.perf_counter() - started)
            assert not problems, problems[:3]
        found = sum(1 for element in app.elements.values() if element.root.origin == "app")
        print(f"elements generated: {args.elements}, found in app root: {found}, runs: {args.runs}")
        print(f"{'step':<44}{'median s':>10}{'min s':>10}{'max s':>10}")
        for label, times in (("discover + validate e.json + resolve (App())", discover_times), ("check: + import Types, render+validate configs", check_times)):
            print(f"{label:<44}{statistics.median(times):>10.3f}{min(times):>10.3f}{max(times):>10.3f}")
        total = [a + b for a, b in zip(discover_times, check_times)]
        print(f"{'total':<44}{statistics.median(total):>10.3f}{min(total):>10.3f}{max(total):>10.3f}")


if __name__ == "__main__":
    main()
