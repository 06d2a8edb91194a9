"""Knowledge files -> passages: Q&A pairs (JSON) and markdown files split at their headings.

Q&A file (`.json`): a list of entries, or `{"entries": [...]}`; each entry
`{"question": "...", "answer": "...", "id": "optional-stable-id", "alternatives": ["other wording", ...]}`.
Markdown file (`.md`, `.markdown`): every heading starts a passage titled with the heading;
text before the first heading is a passage titled with the file name.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from element_studio.contract import ElementError

QA_SUFFIXES = {".json"}
MARKDOWN_SUFFIXES = {".md", ".markdown"}


class KnowledgeFileError(ElementError):
    """A knowledge file that is missing, unreadable or not in a format the agent reads."""


@dataclass(frozen=True)
class Passage:
    """One answerable unit: a Q&A entry or a markdown section."""

    id: str
    title: str  # the question, or the heading
    text: str  # the answer, or the section's text
    source: str  # the file, as written in config.json
    keywords: str = ""  # other wordings of the question, searched with the title


def read_sources(folder: Path, sources: list[str], full_name: str) -> list[Passage]:
    """Every passage of every source file; a file's problem is a load error naming it."""
    passages: list[Passage] = []
    for index, name in enumerate(sources):
        passages.extend(read_source(folder, name, full_name, f"config.json field sources.{index}"))
    return passages


def source_path(folder: Path, name: str) -> Path:
    """Where a source named in config.json lives (relative to the instance folder)."""
    return folder / name


def read_source(folder: Path, name: str, full_name: str, where: str) -> list[Passage]:
    """The passages of one file."""
    path = source_path(folder, name)
    suffix = path.suffix.lower()
    if suffix not in QA_SUFFIXES | MARKDOWN_SUFFIXES:
        raise KnowledgeFileError(full_name, where, f"{name}: use a .json file of Q&A pairs or a .md markdown file")
    if not path.is_file():
        raise KnowledgeFileError(full_name, where, f"file {name} not found at {path}")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise KnowledgeFileError(full_name, where, f"cannot read {name}: {exc}") from exc
    if suffix in QA_SUFFIXES:
        return qa_passages(text, name, full_name, where)
    return markdown_passages(text, name)


def qa_passages(text: str, name: str, full_name: str, where: str) -> list[Passage]:
    """Q&A entries of a JSON file."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise KnowledgeFileError(full_name, where, f"{name}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from exc
    entries = data.get("entries") if isinstance(data, dict) else data
    if not isinstance(entries, list):
        raise KnowledgeFileError(full_name, where, f'{name}: expected a list of {{"question", "answer"}} entries')
    passages = []
    seen: set[str] = set()
    for number, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict):
            raise KnowledgeFileError(full_name, where, f"{name}: entry {number} is not an object")
        for field in ("question", "answer"):
            if not isinstance(entry.get(field), str) or not entry[field].strip():
                raise KnowledgeFileError(full_name, where, f'{name}: entry {number} needs a non-empty "{field}" text')
        alternatives = entry.get("alternatives", [])
        if not isinstance(alternatives, list) or not all(isinstance(a, str) for a in alternatives):
            raise KnowledgeFileError(full_name, where, f'{name}: entry {number}: "alternatives" must be a list of texts')
        passage_id = str(entry.get("id") or f"{name}#{number}")
        if passage_id in seen:
            raise KnowledgeFileError(full_name, where, f'{name}: entry {number} repeats the id "{passage_id}"')
        seen.add(passage_id)
        passages.append(Passage(passage_id, entry["question"].strip(), entry["answer"].strip(), name, "\n".join(alternatives)))
    return passages


def markdown_passages(text: str, name: str) -> list[Passage]:
    """Sections of a markdown file, split at every heading (a `#` inside a code block is not one)."""
    from markdown_it import MarkdownIt  # here: every process reading this Type's hooks (a robots' start) would import it

    lines = text.splitlines()
    tokens = MarkdownIt("commonmark").parse(text)
    headings = [
        (token.map[0], token.map[1], int(token.tag[1:]), " ".join(tokens[i + 1].content.split()))
        for i, token in enumerate(tokens)
        if token.type == "heading_open" and token.map
    ]
    sections: list[tuple[str, str]] = []
    intro = "\n".join(lines[: headings[0][0] if headings else len(lines)]).strip()
    if intro:
        sections.append((Path(name).stem, intro))
    enclosing: list[tuple[int, str]] = []  # the heading path down to the current one
    for k, (_start, end, level, heading) in enumerate(headings):
        while enclosing and enclosing[-1][0] >= level:
            enclosing.pop()
        enclosing.append((level, heading or Path(name).stem))
        stop = headings[k + 1][0] if k + 1 < len(headings) else len(lines)
        body = "\n".join(lines[end:stop]).strip()
        if body:
            sections.append((" › ".join(title for _, title in enclosing), body))
    passages = []
    used: dict[str, int] = {}
    for title, body in sections:
        slug = _slug(title.split(" › ")[-1])
        used[slug] = used.get(slug, 0) + 1
        suffix = f"-{used[slug]}" if used[slug] > 1 else ""
        passages.append(Passage(f"{name}#{slug}{suffix}", title, body, name))
    return passages


def _slug(title: str) -> str:
    """A URL-style anchor of a heading (letters of every script kept)."""
    slug = re.sub(r"[^\w]+", "-", title.lower()).strip("-")
    return slug or "section"
