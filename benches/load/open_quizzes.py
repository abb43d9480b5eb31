#!/usr/bin/env python3
"""Writes a wrk Lua table of completion requests for the open quizzes in a jeevibe SQLite file.

Usage: open_quizzes.py DB TOKENS_LUA OUT_LUA

Each open quiz of a load user (uid `load-N`, whose token is line N+1 of TOKENS_LUA) becomes
one request: its path and a body answering every item in the shape of its type (single
"A", multi ["A", "C"], numerical 1.5, integer 3), so grading and the θ update run for real.
Reads the database while the server runs (WAL readers do not block the writer).
"""
import json
import sqlite3
import sys


def plain(v):
    """Firestore REST JSON value -> plain JSON."""
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


ANSWER = {"single_correct": "A", "multi_correct": ["A", "C"], "numerical": 1.5, "integer": 3}


def main(db, tokens_lua, out):
    tokens = [line.strip().strip('",') for line in open(tokens_lua) if line.strip().startswith('"')]
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    rows = conn.execute("SELECT path, fields FROM documents WHERE parent LIKE 'users/load-%/quizzes'").fetchall()
    n = 0
    with open(out, "w") as f:
        f.write("return {\n")
        for path, fields in rows:
            quiz = {k: plain(v) for k, v in json.loads(fields).items()}
            if quiz.get("status") != "open":
                continue
            uid = path.split("/")[1]
            token = tokens[int(uid.split("-")[1]) - 1]
            answers = [
                {"question_id": i["question_id"], "answer": ANSWER[i["type"]], "seconds": 30} for i in quiz["items"]
            ]
            body = json.dumps({"answers": answers}, separators=(",", ":"))
            quiz_id = path.rsplit("/", 1)[1]
            f.write("{%s,%s,%s},\n" % (json.dumps(f"/v1/quizzes/{quiz_id}/complete"), json.dumps(token), json.dumps(body)))
            n += 1
        f.write("}\n")
    print(f"{n} open quizzes of {len(rows)}")


if __name__ == "__main__":
    main(*sys.argv[1:4])
