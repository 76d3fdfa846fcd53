#!/usr/bin/env python3
"""SQLite FTS5 baseline for Storybank's search benchmark (run by storybank-bench, not by hand).

Loads the same generated corpus (NAME.story.json manifests with inline bodies) into an FTS5 table
(unicode61 tokenizer, diacritics removed; themes and dates in ordinary indexed tables), then runs
the same query mix and prints JSON: ingest rate and latency percentiles per query class.

Usage: fts5_baseline.py CORPUS_DIR QUERIES_JSON DB_PATH [load|queries]

With `load`, it only (re)creates DB_PATH from the corpus and prints the ingest rate; with
`queries`, it only runs the queries (a warm-up pass, then a timed one) against DB_PATH as loaded
before, and prints each query's time too (`samples_ms`), so the harness can alternate rounds of
its own queries and these. Without either, it does both.
"""
import json
import os
import sqlite3
import sys
import time


def manifests(root):
    for folder, _, files in os.walk(root):
        for name in sorted(files):
            if name.endswith(".story.json"):
                yield os.path.join(folder, name)


def ancestors(theme):
    parts = theme.split("/")
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]


def load(db, root):
    db.executescript(
        """
        PRAGMA journal_mode = WAL;
        PRAGMA synchronous = FULL;
        CREATE VIRTUAL TABLE stories USING fts5(title, body, tokenize = 'unicode61 remove_diacritics 2');
        CREATE TABLE themes (story INTEGER NOT NULL, theme TEXT NOT NULL);
        CREATE TABLE meta (story INTEGER PRIMARY KEY, recorded_on TEXT);
        """
    )
    started = time.perf_counter()
    count = 0
    batch = []
    for path in manifests(root):
        with open(path, encoding="utf-8") as handle:
            story = json.load(handle)
        count += 1
        batch.append((count, story))
        if len(batch) == 256:
            insert(db, batch)
            batch = []
    insert(db, batch)
    db.executescript(
        "CREATE INDEX themes_by_theme ON themes (theme, story); CREATE INDEX themes_by_story ON themes (story);"
        "CREATE INDEX meta_by_date ON meta (recorded_on);"
    )
    return count, time.perf_counter() - started


def insert(db, batch):
    with db:
        for rowid, story in batch:
            db.execute("INSERT INTO stories (rowid, title, body) VALUES (?, ?, ?)", (rowid, story["title"], story["body"]))
            for theme in {a for t in story.get("themes", []) for a in ancestors(t)}:
                db.execute("INSERT INTO themes (story, theme) VALUES (?, ?)", (rowid, theme))
            db.execute("INSERT INTO meta (story, recorded_on) VALUES (?, ?)", (rowid, story.get("recorded_on")))


def fts_query(query):
    if query["phrase"]:
        return '"' + query["text"].replace('"', "") + '"'
    return " ".join('"' + word.replace('"', "") + '"' for word in query["text"].split())


def run(db, query):
    kind = query["class"]
    if kind in ("single_word", "phrase"):
        return db.execute(
            "SELECT rowid FROM stories WHERE stories MATCH ? ORDER BY rank LIMIT 10", (fts_query(query),)
        ).fetchall()
    if kind == "theme_filtered_top10":
        return db.execute(
            "SELECT s.rowid FROM stories s JOIN themes t ON t.story = s.rowid "
            "WHERE stories MATCH ? AND t.theme = ? ORDER BY s.rank LIMIT 10",
            (fts_query(query), query["theme"]),
        ).fetchall()
    if kind == "theme_facet_counts":
        return db.execute(
            "SELECT t.theme, count(*) FROM themes t WHERE t.story IN "
            "(SELECT rowid FROM stories WHERE stories MATCH ?) GROUP BY t.theme",
            (fts_query(query),),
        ).fetchall()
    if kind == "date_range":
        return db.execute(
            "SELECT story FROM meta WHERE recorded_on BETWEEN ? AND ? ORDER BY recorded_on DESC LIMIT 10",
            (query["from"], query["to"]),
        ).fetchall()
    raise ValueError(kind)


def percentile(values, fraction):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(fraction * (len(values) - 1))))]


def main():
    root, queries_path, db_path = sys.argv[1:4]
    mode = sys.argv[4] if len(sys.argv) > 4 else "both"
    result = {"sqlite": sqlite3.sqlite_version}
    if mode in ("load", "both"):
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(db_path + suffix):
                os.remove(db_path + suffix)
        db = sqlite3.connect(db_path, isolation_level=None)
        count, seconds = load(db, root)
        result.update({"stories": count, "ingest_seconds": seconds, "ingest_per_second": count / seconds})
    else:
        db = sqlite3.connect(db_path, isolation_level=None)
    if mode in ("queries", "both"):
        with open(queries_path, encoding="utf-8") as handle:
            queries = json.load(handle)
        timings = {}
        for query in queries:  # one warm-up pass
            run(db, query)
        for query in queries:
            started = time.perf_counter()
            run(db, query)
            timings.setdefault(query["class"], []).append((time.perf_counter() - started) * 1000)
        result["samples_ms"] = timings
        result["latency_ms"] = {
            kind: {"p50": percentile(v, 0.5), "p95": percentile(v, 0.95), "p99": percentile(v, 0.99), "n": len(v)}
            for kind, v in timings.items()
        }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
