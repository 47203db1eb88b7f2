"""Verify samples/qa.jsonl against the sample documents.

Run: python samples/check_qa.py
Checks: every evidence string is an exact substring (10-60 chars) of its
document; every answer_key occurs in that document (and, as a warning, in the
evidence); ids are unique; unanswerable items carry no evidence.
"""
import json
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent


def main() -> int:
    docs = {p.stem: p.read_text(encoding="utf-8") for p in (HERE / "docs").iterdir()
            if p.suffix in (".txt", ".md")}
    errors, warnings, ids = [], [], set()
    n_ans = n_un = 0
    for _ln, line in enumerate((HERE / "qa.jsonl").read_text(encoding="utf-8").splitlines(), 1):
        item = json.loads(line)
        qid = item["id"]
        if qid in ids:
            errors.append(f"{qid}: duplicate id")
        ids.add(qid)
        if item.get("unanswerable"):
            n_un += 1
            if item.get("evidence") or item.get("answer_keys"):
                errors.append(f"{qid}: unanswerable item has evidence/answer_keys")
            continue
        n_ans += 1
        doc = docs.get(item["docid"])
        if doc is None:
            errors.append(f"{qid}: unknown docid {item['docid']}")
            continue
        for ev in item["evidence"]:
            if not 10 <= len(ev) <= 60:
                errors.append(f"{qid}: evidence length {len(ev)}")
            c = doc.count(ev)
            if c == 0:
                errors.append(f"{qid}: evidence not in document: {ev}")
            elif c > 1:
                warnings.append(f"{qid}: evidence occurs {c} times")
        if not 1 <= len(item["answer_keys"]) <= 3:
            errors.append(f"{qid}: needs 1-3 answer_keys")
        for k in item["answer_keys"]:
            if k not in doc:
                errors.append(f"{qid}: answer_key not in document: {k}")
            elif not any(k in ev for ev in item["evidence"]):
                warnings.append(f"{qid}: answer_key not in evidence (in document): {k}")
    for w in warnings:
        print("WARN ", w)
    for e in errors:
        print("ERROR", e)
    print(f"{n_ans} answerable, {n_un} unanswerable, "
          f"{len(errors)} errors, {len(warnings)} warnings")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
