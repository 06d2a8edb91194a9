"""The editor's form engine: build the form for a stored config, post it back unchanged and
parse it, as one save without edits does. Prints a table of medians.

    .venv/bin/python bench/form.py [--runs 30]
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from element_studio.editor.schema_form import FormContext, build_form, parse_form  # noqa: E402
from tests.editor.submit import submitted  # noqa: E402  (what a browser posts for a rendered form)

KEYS = {"type": "object", "properties": {"keys": {"type": "array", "items": {"type": "object", "properties": {
    "name": {"type": "string"}, "secret": {"type": "string", "writeOnly": True}, "url": {"type": "string", "format": "uri"}}}}}}


def cases() -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    robot = json.loads((ROOT / "elements/imRobots/dingTalkStreamType/config.schema.json").read_text())
    corpus = max((ROOT / "tests/editor/schema_corpus").glob("*/*.json"), key=lambda p: p.stat().st_size)
    entry = json.loads(corpus.read_text())
    return [
        ("DingTalk robot config", robot, {"clientId": "ding123", "clientSecret": "s3cret-value", "agent": "aiagents.helpdesk", "replyMode": "card"}),
        ("a list of 200 items, each with a secret and a URL with a password", KEYS,
         {"keys": [{"name": f"k{i}", "secret": f"secret-{i}", "url": f"http://user:pw{i}@host{i}.example"} for i in range(200)]}),
        (f"the corpus's largest schema ({corpus.parent.name}/{corpus.stem})", entry["schema"], entry["valid"][0]),
    ]


def unchanged_save(schema: dict[str, Any], config: dict[str, Any]) -> float:
    started = time.perf_counter()
    tree = build_form(schema, config, FormContext(original=config))
    parsed = parse_form(schema, submitted(tree), original=config)
    elapsed = time.perf_counter() - started
    if parsed.value != config:
        raise SystemExit("an unchanged save changed the config: the bench measures a broken form")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    print("| form | build + post + parse, median | min |")
    print("| --- | --- | --- |")
    for label, schema, config in cases():
        times = [unchanged_save(schema, config) for _ in range(args.runs)]
        print(f"| {label} | {statistics.median(times) * 1000:.1f} ms | {min(times) * 1000:.1f} ms |")


if __name__ == "__main__":
    main()
