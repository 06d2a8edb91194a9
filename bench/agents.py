"""Knowledge-base agent: index build time and per-question latency at 1,000 and 10,000 entries.

    .venv/bin/python bench/agents.py [--entries 1000 10000] [--questions 1000]

Generates a bilingual Q&A file (half English, half Chinese; Chinese words drawn from jieba's
dictionary by frequency, English from a Zipf-distributed synthetic vocabulary), loads it as
an `aiagents.knowledgeBaseType` instance of a temp app through the real Loader, then asks
questions made of a few words of an entry's question plus noise. "search" is the retrieval
(file change check + segmentation + FTS5 BM25 query); "answer" is a whole `agent.stream()`
(search, sentences, and the chat memory read and write in the app's SQLite database).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import jieba  # noqa: E402

jieba.setLogLevel(20)  # INFO chatter off: the table is the output

from element_studio.runtime.app import App  # noqa: E402

ENGLISH_FILLERS = "the a to of and in is for how do i can what my with on".split()
CHINESE_FILLERS = "的 了 吗 怎么 如何 我 在 是 可以 什么".split()


def vocabularies(rng: random.Random) -> tuple[list[str], list[float], list[str], list[float]]:
    """(English words, weights, Chinese words, weights) with Zipf-like frequencies."""
    syllables = [c + v for c in "bcdfghjklmnprstvwz" for v in ("a", "e", "i", "o", "u", "ai", "ou", "er")]
    english = sorted({"".join(rng.choice(syllables) for _ in range(rng.randint(1, 4))) for _ in range(30000)})[:20000]
    rng.shuffle(english)
    english_weights = [1 / (rank + 300) for rank in range(len(english))]  # Zipf after the ~300 most common (stop) words
    dictionary = Path(jieba.__file__).parent / "dict.txt"
    rows = []
    for line in dictionary.read_text(encoding="utf-8").splitlines():
        word, frequency, *_ = line.split(" ")
        if len(word) >= 2:
            rows.append((int(frequency), word))
    rows.sort(reverse=True)
    chinese = [word for _, word in rows[:20000]]
    chinese_weights = [float(frequency) for frequency, _ in rows[:20000]]
    return english, english_weights, chinese, chinese_weights


class Generator:
    """Synthetic entries and the questions asked about them."""

    def __init__(self, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        self.english, self.english_weights, self.chinese, self.chinese_weights = vocabularies(self.rng)

    def words(self, chinese: bool, count: int) -> list[str]:
        vocabulary, weights = (self.chinese, self.chinese_weights) if chinese else (self.english, self.english_weights)
        words = self.rng.choices(vocabulary, weights, k=count)
        fillers = CHINESE_FILLERS if chinese else ENGLISH_FILLERS
        for _ in range(count // 3):
            words.insert(self.rng.randrange(len(words) + 1), self.rng.choice(fillers))
        return words

    def text(self, chinese: bool, count: int) -> str:
        words = self.words(chinese, count)
        if chinese:
            return "".join(words) + "。"
        sentences, start = [], 0
        while start < len(words):
            size = self.rng.randint(8, 16)
            sentences.append(" ".join(words[start : start + size]).capitalize() + ".")
            start += size
        return " ".join(sentences)

    def entries(self, count: int) -> list[dict[str, str]]:
        return [
            {
                "id": f"e{n}",
                "question": self.text(n % 2 == 1, self.rng.randint(6, 10)).rstrip(".。") + ("？" if n % 2 else "?"),
                "answer": self.text(n % 2 == 1, self.rng.randint(40, 80)),
            }
            for n in range(count)
        ]

    def question(self, entry: dict[str, str]) -> str:
        chinese = entry["id"][1:].isdigit() and int(entry["id"][1:]) % 2 == 1
        words = [w for w in jieba.cut(entry["question"]) if w.strip() and w not in "？?"]
        picked = self.rng.sample(words, min(len(words), self.rng.randint(3, 5))) + self.words(chinese, 2)
        self.rng.shuffle(picked)
        return ("".join(picked) + "？") if chinese else (" ".join(picked) + "?")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def measure(generator: Generator, count: int, questions: int) -> dict[str, float]:
    entries = generator.entries(count)
    with tempfile.TemporaryDirectory() as folder:
        app_dir = Path(folder)
        instance = app_dir / "aiagents" / "bench"
        instance.mkdir(parents=True)
        (instance / "__init__.py").touch()
        (instance / "e.json").write_text(json.dumps({"title": "Bench", "type": "aiagents.knowledgeBaseType", "backendBundleEntry": "."}))
        (instance / "config.json").write_text(json.dumps({"sources": ["faq.json"], "minScore": 0, "topK": 3}))
        (instance / "faq.json").write_text(json.dumps(entries, ensure_ascii=False), encoding="utf-8")

        app = App(app_dir)
        started = time.perf_counter()
        agent = app.getElement("aiagents.bench")
        build = time.perf_counter() - started

        asked = [generator.question(generator.rng.choice(entries)) for _ in range(questions)]
        for question in asked[:50]:
            agent.search(question)  # warm caches
        search_times, hits = [], 0
        for question in asked:
            started = time.perf_counter()
            found = agent.search(question)
            search_times.append(time.perf_counter() - started)
            hits += bool(found)

        async def answers() -> list[float]:
            times = []
            for number, question in enumerate(asked[: questions // 2]):
                started = time.perf_counter()
                async for _chunk in agent.stream(question, f"chat-{number % 50}"):
                    pass
                times.append(time.perf_counter() - started)
            return times

        answer_times = asyncio.run(answers())
    return {
        "build": build,
        "search_median": statistics.median(search_times),
        "search_p95": percentile(search_times, 0.95),
        "answer_median": statistics.median(answer_times),
        "answer_p95": percentile(answer_times, 0.95),
        "matched": hits / len(asked),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--questions", type=int, default=1000)
    args = parser.parse_args()

    started = time.perf_counter()
    jieba.initialize()
    dictionary_load = time.perf_counter() - started
    generator = Generator()
    print(f"jieba dictionary load (once per process): {dictionary_load:.2f} s; {args.questions} questions per size")
    print(f"{'entries':>8} {'index build s':>14} {'search median ms':>17} {'search p95 ms':>14} {'answer median ms':>17} {'answer p95 ms':>14}")
    for count in args.entries:
        row = measure(generator, count, args.questions)
        print(
            f"{count:>8} {row['build']:>14.2f} {1000 * row['search_median']:>17.2f} {1000 * row['search_p95']:>14.2f}"
            f" {1000 * row['answer_median']:>17.2f} {1000 * row['answer_p95']:>14.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
