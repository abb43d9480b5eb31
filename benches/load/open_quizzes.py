#!/usr/bin/env python3
"""Writes a wrk Lua table of completion requests for the open quizzes in a jeevibe SQLite file.

Usage: open_quizzes.py DB TOKENS_LUA UID_PREFIX OUT_LUA

Open quizzes live in their owner's user document (`users/{uid}.open_quizzes`, a map quiz id →
open quiz, at most 5 per user). Each open quiz of a user `UID_PREFIX-N` (whose token is the
N-th entry of TOKENS_LUA) becomes one request: its path and a body answering every item in the
shape of its type (single "A", multi ["A", "C"], numerical 1.5, integer 3), so grading and the
θ update run for real. Reads the database while the server runs (WAL readers do not block the
writer).
"""
import json
import sqlite3
import sys

TYPED = {"stringValue", "integerValue", "doubleValue", "booleanValue", "nullValue", "timestampValue",
         "mapValue", "arrayValue", "bytesValue", "referenceValue", "geoPointValue"}


def plain(v):
    """A stored field value (Firestore REST JSON, or already plain JSON) -> plain JSON."""
    if isinstance(v, dict) and len(v) == 1 and next(iter(v)) in TYPED:
        (kind, x), = v.items()
        if kind == "mapValue":
            return {k: plain(f) for k, f in x.get("fields", {}).items()}
        if kind == "arrayValue":
            return [plain(e) for e in x.get("values", [])]
        if kind == "integerValue":
            return int(x)
        if kind == "nullValue":
            return None
        return x
    if isinstance(v, dict):
        return {k: plain(f) for k, f in v.items()}
    if isinstance(v, list):
        return [plain(e) for e in v]
    return v


ANSWER = {"single_correct": "A", "multi_correct": ["A", "C"], "numerical": 1.5, "integer": 3}


def main(db, tokens_lua, prefix, out):
    tokens = [line.strip().strip('",') for line in open(tokens_lua) if line.strip().startswith('"')]
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    rows = conn.execute("SELECT path, fields FROM documents WHERE parent = 'users' AND path LIKE ?",
                        (f"users/{prefix}-%",)).fetchall()
    n = 0
    with open(out, "w") as f:
        f.write("return {\n")
        for path, fields in rows:
            user = plain(json.loads(fields))
            uid = path.split("/")[1]
            token = tokens[int(uid.rsplit("-", 1)[1]) - 1]
            for quiz_id, quiz in sorted((user.get("open_quizzes") or {}).items()):
                answers = [
                    {"question_id": i["question_id"], "answer": ANSWER[i["type"]], "seconds": 30} for i in quiz["items"]
                ]
                body = json.dumps({"answers": answers}, separators=(",", ":"))
                f.write("{%s,%s,%s},\n" % (json.dumps(f"/v1/quizzes/{quiz_id}/complete"), json.dumps(token), json.dumps(body)))
                n += 1
        f.write("}\n")
    print(f"{n} open quizzes of {len(rows)} users")


if __name__ == "__main__":
    main(*sys.argv[1:5])
