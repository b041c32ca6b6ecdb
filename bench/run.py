#!/usr/bin/env python3
"""fraudscan throughput benchmark, side by side with ripgrep and grep on the same
patterns and the same input.

Builds (once, under bench/data/, git-ignored):
  - corpus.jsonl: the corpus multiplied with unique ids, one transcript per line, >= --mb MB
  - plain/: the same transcripts as plain-text files (--plain-mb MB of them)
  - patterns.txt: `fraudscan rules --export-patterns` (and a grep -E compatible copy)
  - rules10k/: a synthetic rule set of 10,000 rules
Then runs each engine, reports MB/s, transcripts/s, the ratio to `rg -j1 --count-matches`,
peak memory (/usr/bin/time -v), rule-set load time, and the 10,000-rule numbers.

Usage: bench/run.py [--build build/release] [--mb 100] [--plain-mb 100] [--repeat 3] [--big-gb 0]
"""
import argparse
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DATA = os.path.join(HERE, "data")


def corpus_texts():
    texts = []
    for root, _, files in os.walk(os.path.join(ROOT, "corpus")):
        for name in sorted(files):
            if name.endswith(".txt"):
                lines = open(os.path.join(root, name), encoding="utf-8").read().split("\n")
                body = "\n".join(l for l in lines if not l.startswith("# "))
                texts.append(body)
    return texts


def build_inputs(args):
    os.makedirs(DATA, exist_ok=True)
    texts = corpus_texts()
    jsonl = os.path.join(DATA, "corpus.jsonl")
    target = args.mb * 1_000_000
    if not os.path.exists(jsonl) or os.path.getsize(jsonl) < target:
        n = 0
        with open(jsonl, "w", encoding="utf-8") as f:
            size = 0
            while size < target:
                for t in texts:
                    line = json.dumps({"id": f"t{n}", "text": t}, ensure_ascii=False) + "\n"
                    f.write(line)
                    size += len(line.encode("utf-8"))
                    n += 1
    plain = os.path.join(DATA, "plain")
    marker = os.path.join(plain, ".size")
    want = str(args.plain_mb)
    if not (os.path.exists(marker) and open(marker).read() == want):
        shutil.rmtree(plain, ignore_errors=True)
        os.makedirs(plain)
        size, n = 0, 0
        while size < args.plain_mb * 1_000_000:
            for t in texts:
                d = os.path.join(plain, f"{n // 1000:04d}")
                os.makedirs(d, exist_ok=True)
                with open(os.path.join(d, f"{n:07d}.txt"), "w", encoding="utf-8") as f:
                    f.write(t)
                size += len(t.encode("utf-8"))
                n += 1
        open(marker, "w").write(want)
    return jsonl, plain


def export_patterns(binary):
    out = subprocess.run([binary, "rules", "--export-patterns", "--rules", os.path.join(ROOT, "rules")],
                         capture_output=True, text=True, check=True).stdout
    pats = os.path.join(DATA, "patterns.txt")
    open(pats, "w", encoding="utf-8").write(out)
    # grep -E: no (?:...), no \d, no \p{...}.
    ere = []
    for p in out.splitlines():
        q = p.replace("(?:", "(").replace("\\d", "[0-9]")
        if "\\p" in q or "(?" in q:
            continue
        ere.append(q)
    ere_path = os.path.join(DATA, "patterns.ere.txt")
    open(ere_path, "w", encoding="utf-8").write("\n".join(ere) + "\n")
    return pats, ere_path, len(out.splitlines()), len(ere)


def synthetic_rules(n=10000, seed=1):
    """A rule set of n rules built from the shipped rules' keywords, recombined."""
    d = os.path.join(DATA, "rules10k")
    path = os.path.join(d, "synthetic.yaml")
    if os.path.exists(path):
        return d
    os.makedirs(d, exist_ok=True)
    words = set()
    for name in os.listdir(os.path.join(ROOT, "rules")):
        text = open(os.path.join(ROOT, "rules", name), encoding="utf-8").read()
        for m in re.finditer(r"keywords: \[([^\]]*)\]", text):
            for w in m.group(1).split(","):
                w = w.strip().strip("'\"")
                if w and all(c not in w for c in "[]{}:#&*!|>'\"%@`"):
                    words.add(w)
    words = sorted(words)
    rng = random.Random(seed)
    types = ["task_rebate", "fake_shopping", "impersonation_cs", "fake_investment", "fake_loan_credit", "move"]
    with open(path, "w", encoding="utf-8") as f:
        f.write("rules:\n")
        for i in range(n):
            a, b = rng.sample(words, 2)
            f.write(f"  - id: syn.r{i}\n    type: {rng.choice(types)}\n    description: synthetic\n"
                    f"    weight: 0.{rng.randint(1, 6)}\n")
            if i % 3 == 0:
                f.write(f"    keywords: ['{a}{b}']\n")
            else:
                f.write(f"    all_of:\n      - keywords: ['{a}']\n      - keywords: ['{b}']\n    within: {rng.randint(10, 80)}\n")
            f.write("    examples:\n      match: []\n      no_match: []\n")
    return d


TIMEOUT = 300


def timed(cmd, repeat, stdin_path=None, env=None, before=None, timeout=None):
    """Run cmd `repeat` times (with `env` added to the environment, calling `before()`
    untimed before each run); return (median seconds, peak RSS MB of the last run,
    stdout bytes). A run over `timeout` (default TIMEOUT) seconds is stopped and
    reported as (None, None, 0)."""
    times, rss, out_bytes = [], 0.0, 0
    full_env = dict(os.environ, **(env or {}))
    for _ in range(repeat):
        if before:
            before()
        t0 = time.perf_counter()
        with open(stdin_path or os.devnull, "rb") as stdin:
            try:
                p = subprocess.run(["/usr/bin/time", "-v"] + cmd, stdin=stdin, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, timeout=timeout or TIMEOUT, env=full_env)
            except subprocess.TimeoutExpired:
                subprocess.run(["pkill", "-f", " ".join(cmd[:2])], check=False)
                return None, None, 0
        times.append(time.perf_counter() - t0)
        if p.returncode not in (0, 1):
            sys.exit(f"failed ({p.returncode}): {' '.join(cmd)}\n{p.stderr.decode()[-2000:]}")
        m = re.search(rb"Maximum resident set size \(kbytes\): (\d+)", p.stderr)
        rss = int(m.group(1)) / 1024 if m else 0.0
        out_bytes = len(p.stdout)
    return statistics.median(times), rss, out_bytes


def main():
    sys.stdout.reconfigure(line_buffering=True)
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build/release"))
    ap.add_argument("--mb", type=int, default=100)
    ap.add_argument("--plain-mb", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=os.cpu_count())
    ap.add_argument("--big-gb", type=float, default=0, help="also stream a JSON Lines file of this many GB")
    ap.add_argument("--timeout", type=int, default=300, help="seconds before a run is stopped and reported as such")
    args = ap.parse_args()
    global TIMEOUT
    TIMEOUT = args.timeout
    binary = os.path.join(args.build, "fraudscan")
    rules = os.path.join(ROOT, "rules")
    jsonl, plain = build_inputs(args)
    pats, ere, n_pats, n_ere = export_patterns(binary)
    mb = os.path.getsize(jsonl) / 1e6
    records = sum(1 for _ in open(jsonl, "rb"))
    plain_mb = sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(plain) for f in fs if f.endswith(".txt")) / 1e6
    plain_n = sum(1 for r, _, fs in os.walk(plain) for f in fs if f.endswith(".txt"))
    print(f"input: {jsonl} {mb:.1f} MB, {records} transcripts; {plain} {plain_mb:.1f} MB in {plain_n} files")
    print(f"patterns: {n_pats} exported ({n_ere} usable by grep -E)\n")
    # Read every input once, so that no engine pays for the disk and the first one timed
    # is not the only one that does.
    for path in [jsonl] + [os.path.join(r, f) for r, _, fs in os.walk(plain) for f in fs]:
        with open(path, "rb") as f:
            while f.read(1 << 20):
                pass

    fs = [binary, "scan", "--rules", rules, "--output", "jsonl", "--no-progress"]
    # The literal pass's engines (FRAUDSCAN_MATCHER), side by side: the default (the
    # trie) was chosen on these numbers. Hyperscan only where the build has it.
    empty = os.path.join(DATA, "empty.txt")
    open(empty, "w").close()
    has_hs = subprocess.run([binary, "scan", "--rules", rules, "-q", empty], env=dict(os.environ, FRAUDSCAN_MATCHER="hyperscan"),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0
    runs = [
        ("fraudscan scan -j1 (jsonl)", fs + ["-j1", jsonl], mb, records, None),
    ]
    if has_hs:
        runs.append(("  same, Hyperscan literal pass", fs + ["-j1", jsonl], mb, records, {"FRAUDSCAN_MATCHER": "hyperscan"}))
    runs += [
        (f"fraudscan scan -j{args.jobs} (jsonl)", fs + [f"-j{args.jobs}", jsonl], mb, records, None),
        ("fraudscan scan -j1 (files)", fs + ["-j1", plain], plain_mb, plain_n, None),
        (f"fraudscan scan -j{args.jobs} (files)", fs + [f"-j{args.jobs}", plain], plain_mb, plain_n, None),
        ("rg -j1 --count-matches -f", ["rg", "-j1", "--count-matches", "-f", pats, jsonl], mb, records, None),
        ("rg -j1 -c -f", ["rg", "-j1", "-c", "-f", pats, jsonl], mb, records, None),
        ("grep -c -E -f", ["grep", "-c", "-E", "-f", ere, jsonl], mb, records, None),
    ]
    results = {}
    print(f"{'engine':<32}{'MB/s':>10}{'transcripts/s':>16}{'vs rg -j1 --count':>20}{'peak MB':>10}")
    for name, cmd, size, n, env in runs:
        secs, rss, _ = timed(cmd, args.repeat, env=env)
        if secs is None:
            # Stopped: the true rate is at most size / TIMEOUT.
            results[name] = (size / TIMEOUT, True)
            print(f"{name:<32}{'<' + format(size / TIMEOUT, '.2f'):>10}{'':>16}{'(stopped after ' + str(TIMEOUT) + ' s)':>30}",
                  flush=True)
            continue
        results[name] = (size / secs, False)
        print(f"{name:<32}{size / secs:>10.1f}{n / secs:>16.0f}{'':>20}{rss:>10.1f}", flush=True)
    ref, ref_stopped = results["rg -j1 --count-matches -f"]
    print("\nratios to rg -j1 --count-matches -f" + (" (rg was stopped: ratios are lower bounds)" if ref_stopped else "") + ":")
    for name, (v, stopped) in results.items():
        print(f"  {name:<32}{'<' if stopped else ('>' if ref_stopped else ' ')}{v / ref:>7.2f}x")
    j1 = results["fraudscan scan -j1 (jsonl)"][0]
    jn = results[f"fraudscan scan -j{args.jobs} (jsonl)"][0]
    print(f"  -j{args.jobs} / -j1 (jsonl): {jn / j1:.2f}x")

    # Rule-set load and compile time: scan an empty input. Three cases: the cache warm;
    # a new, empty cache (the first run after installing: the build's precompiled copy
    # of the shipped rule set is copied in); no cache at all (parse and compile).
    startup = [binary, "scan", "--rules", rules, "-q", empty]
    timed(startup, 1)  # warm the user's cache
    warm, _, _ = timed(startup, max(args.repeat, 20))
    fresh_dir = os.path.join(DATA, "fresh-cache")
    fresh, _, _ = timed(startup, max(args.repeat, 5), env={"FRAUDSCAN_CACHE_DIR": fresh_dir},
                        before=lambda: shutil.rmtree(fresh_dir, ignore_errors=True))
    cold, _, _ = timed(startup, max(args.repeat, 20), env={"FRAUDSCAN_CACHE_DIR": ""})
    print(f"\nshipped rule set, load + compile + empty scan (median): {warm * 1000:.0f} ms with the cache warm, "
          f"{fresh * 1000:.0f} ms with a new cache (seeded from the build), {cold * 1000:.0f} ms with no cache")
    if has_hs:
        hs_env = {"FRAUDSCAN_MATCHER": "hyperscan"}
        hs_warm, _, _ = timed(startup, max(args.repeat, 20), env=hs_env)
        hs_cold, _, _ = timed(startup, max(args.repeat, 5), env=dict(hs_env, FRAUDSCAN_CACHE_DIR=""))
        print(f"  same, Hyperscan literal pass: {hs_warm * 1000:.0f} ms with the cache warm, {hs_cold * 1000:.0f} ms with no cache")
    syn = synthetic_rules()
    load10k, rss10k, _ = timed([binary, "scan", "--rules", syn, "-q", empty], max(args.repeat, 5), env={"FRAUDSCAN_CACHE_DIR": ""})
    print(f"10,000 synthetic rules: load + compile {load10k * 1000:.0f} ms (no cache), peak {rss10k:.0f} MB")
    secs, _, _ = timed([binary, "scan", "--rules", syn, "--output", "jsonl", "--no-progress", "-j1", jsonl], 1)
    print(f"10,000 synthetic rules: scan -j1 {mb / secs:.1f} MB/s ({(mb / secs) / j1:.2f}x the shipped set)")

    if args.big_gb > 0:
        big = os.path.join(DATA, "big.jsonl")
        want = int(args.big_gb * 1e9)
        if not os.path.exists(big) or os.path.getsize(big) < want:
            with open(big, "wb") as out, open(jsonl, "rb") as src:
                chunk = src.read()
                while out.tell() < want:
                    out.write(chunk)
        # Its own time limit: at a few MB/s a gigabyte takes minutes.
        limit = max(TIMEOUT, 3600)
        secs, rss, _ = timed(fs + [f"-j{args.jobs}", big], 1, timeout=limit)
        if secs is None:
            print(f"\n{os.path.getsize(big) / 1e9:.2f} GB JSON Lines: stopped after {limit} s")
        else:
            print(f"\n{os.path.getsize(big) / 1e9:.2f} GB JSON Lines streamed: {os.path.getsize(big) / 1e6 / secs:.1f} MB/s, "
                  f"peak {rss:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
