#!/usr/bin/env python3
"""Measure how the rules hold up against evasion: rewrite a labelled JSON Lines set
(default: ../shared/eval/dev.jsonl) with each kind of tests/tools/evade.py, scan it,
and compare per-type recall and the benign false-positive rate with the plain text.

Usage: scripts/evasion-eval.py [--build build/release] [--data FILE | --corpus DIR] [--kinds k1,k2] [--seed N]

--corpus DIR measures a labelled corpus tree (corpus/<label>/*.txt, '# expect:' headers
win over the directory, header lines are not text) instead of JSON Lines.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

TYPES = ["task_rebate", "fake_shopping", "impersonation_cs", "fake_investment", "fake_loan_credit"]
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
RULES = os.path.join(ROOT, "rules")


HEADER_KEYS = ("expect", "must-hit", "must-not-hit", "min-risk", "max-risk", "note")


def corpus_to_jsonl(root, out_path):
    """Write the corpus tree under `root` as JSON Lines ({"id", "label", "text"})."""
    with open(out_path, "w", encoding="utf-8") as out:
        for dirpath, _, files in sorted(os.walk(root)):
            for name in sorted(files):
                if not name.endswith(".txt"):
                    continue
                path = os.path.join(dirpath, name)
                label = os.path.basename(dirpath)
                lines = open(path, encoding="utf-8").read().split("\n")
                while lines and any(lines[0].startswith(f"# {k}:") for k in HEADER_KEYS):
                    if lines[0].startswith("# expect:"):
                        label = lines[0].split(":", 1)[1].strip()
                    lines.pop(0)
                if label == "benign":
                    label = "none"
                rel = os.path.relpath(path, os.path.dirname(os.path.abspath(root)))
                out.write(json.dumps({"id": rel, "label": label, "text": "\n".join(lines)}, ensure_ascii=False) + "\n")


def scan(binary, path):
    p = subprocess.run([binary, "scan", "--rules", RULES, "--input-format", "jsonl",
                        "--output", "jsonl", "--no-progress", path], capture_output=True, text=True)
    if p.returncode not in (0, 1):
        sys.exit(f"scan failed: {p.stderr}")
    return {json.loads(l)["id"]: json.loads(l)["label"] for l in p.stdout.splitlines()}


def measure(gold, pred):
    recall = {}
    for t in TYPES:
        ids = [i for i, g in gold.items() if g == t]
        recall[t] = sum(pred.get(i) == t for i in ids) / len(ids) if ids else float("nan")
    benign = [i for i, g in gold.items() if g in ("benign", "none")]
    fpr = sum(pred.get(i) in TYPES for i in benign) / len(benign) if benign else 0.0
    return recall, fpr


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build/release"))
    ap.add_argument("--data", default=os.path.join(ROOT, "../shared/eval/dev.jsonl"))
    ap.add_argument("--corpus", default=None, help="a labelled corpus directory instead of --data")
    ap.add_argument("--kinds", default="traditional,fullwidth,separators,zerowidth,variants,all,homophones")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--rules", default=None, help="rule directory (default: rules/)")
    args = ap.parse_args()
    global RULES
    RULES = args.rules or RULES
    with tempfile.TemporaryDirectory() as tmp:
        if args.corpus:
            args.data = os.path.join(tmp, "corpus.jsonl")
            corpus_to_jsonl(args.corpus, args.data)
        if not os.path.exists(args.data):
            print(f"evasion-eval: no data at {args.data}; nothing to do", file=sys.stderr)
            return 0
        binary = os.path.join(args.build, "fraudscan")
        tables = os.path.join(args.build, "lib/generated/unitables.inc")
        gold = {}
        with open(args.data, encoding="utf-8") as f:
            for line in f:
                r = json.loads(line)
                gold[str(r["id"])] = r.get("label", "")
        base_recall, base_fpr = measure(gold, scan(binary, args.data))
        print(f"{'kind':<12}" + "".join(f"{t[:12]:>14}" for t in TYPES) + f"{'benign FPR':>12}{'max drop':>10}")
        print(f"{'plain':<12}" + "".join(f"{base_recall[t]:>14.4f}" for t in TYPES) + f"{base_fpr:>12.4f}{'':>10}")
        for kind in args.kinds.split(","):
            out = os.path.join(tmp, kind + ".jsonl")
            subprocess.run([sys.executable, os.path.join(ROOT, "tests/tools/evade.py"), "--kind", kind, "--seed",
                            str(args.seed), "--tables", tables, args.data, out], check=True)
            recall, fpr = measure(gold, scan(binary, out))
            drop = max(base_recall[t] - recall[t] for t in TYPES)
            print(f"{kind:<12}" + "".join(f"{recall[t]:>14.4f}" for t in TYPES) + f"{fpr:>12.4f}{drop * 100:>9.1f}p")
    return 0


if __name__ == "__main__":
    sys.exit(main())
