"""Summarises a schemathesis NDJSON report: requests made, and responses per operation and status."""

import collections
import json
import sys


def main(path: str) -> None:
    counts: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    total = 0
    with open(path, encoding="utf-8") as f:
        for line in f:
            scenario = json.loads(line).get("ScenarioFinished")
            if not scenario:
                continue
            cases = scenario["recorder"].get("cases") or {}
            for case_id, rec in (scenario["recorder"].get("interactions") or {}).items():
                res = rec.get("response") or {}
                case = (cases.get(case_id) or {}).get("value") or {}
                total += 1
                label = f"{case.get('method', '?')} {case.get('path', '?')}"
                counts[label][res.get("status_code", "no response")] += 1
    print(f"requests: {total}")
    for op in sorted(counts):
        statuses = ", ".join(f"{s}×{n}" for s, n in sorted(counts[op].items(), key=lambda x: str(x[0])))
        print(f"  {op}: {statuses}")


if __name__ == "__main__":
    main(sys.argv[1])
