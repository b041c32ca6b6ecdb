#!/usr/bin/env python3
"""Rewrite transcripts the way fraudsters and speech recognition do, to test that the
rules still fire. Seeded and deterministic: the same input, kind and seed give the
same output.

Kinds:
  traditional  simplified -> traditional characters (inverse of ICU's table)
  fullwidth    ASCII letters and digits -> full-width forms (ＶＸ１２３)
  separators   a separator (· * space - | ~ /) between 30% of adjacent Han characters
  zerowidth    a zero-width character between 30% of adjacent characters
  variants     each word of rules/variants.yaml -> one of its other spellings
  homophones   10% of Han characters -> another character with the same pinyin
  all          variants, traditional, fullwidth, separators and zerowidth together
               (homophones are measured on their own)

Usage:
  evade.py --kind KIND --tables build/dev/lib/generated/unitables.inc [--seed N] IN.jsonl > OUT.jsonl
  evade.py --kind KIND --tables ... --corpus DIR OUTDIR      (rewrites a corpus tree, headers kept)
JSON Lines records keep every field; only "text" (or each turn's "text") changes.
"""
import argparse
import json
import os
import random
import re
import sys
import zlib

KINDS = ["traditional", "fullwidth", "separators", "zerowidth", "variants", "homophones", "all"]
SEPARATORS = ["·", "*", " ", "-", "|", "~", "/", "•"]
ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\ufeff", "\u2060"]


def is_han(ch):
    o = ord(ch)
    return 0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF


def is_common(ch):
    """True for the 3,755 level-1 characters of GB2312 (the most common Han characters)."""
    try:
        b = ch.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return len(b) == 2 and 0xB0 <= b[0] <= 0xD7


def load_tables(path):
    text = open(path, encoding="utf-8").read()
    t2s = re.search(r"kT2S\[\]\[2\] = \{(.*?)\};", text, re.S).group(1)
    s2t = {}
    for a, b in re.findall(r"\{0x([0-9A-F]+),0x([0-9A-F]+)\}", t2s):
        trad, simp = chr(int(a, 16)), chr(int(b, 16))
        if simp not in s2t or ord(trad) < ord(s2t[simp]):  # deterministic choice
            s2t[simp] = trad
    py = re.search(r"kPinyin\[\]\[2\] = \{(.*?)\};", text, re.S).group(1)
    syllable_of, members = {}, {}
    for a, b in re.findall(r"\{0x([0-9A-F]+),(\d+)\}", py):
        ch, syl = chr(int(a, 16)), int(b)
        if is_common(ch):  # GB2312 level 1: homophones that speech recognition would write
            syllable_of[ch] = syl
            members.setdefault(syl, []).append(ch)
    return s2t, syllable_of, members


def load_variants(path):
    """Parse rules/variants.yaml's words: section (simple YAML subset, no dependency)."""
    words = {}
    in_words = False
    for line in open(path, encoding="utf-8"):
        if re.match(r"^\s{2}words:\s*$", line):
            in_words = True
            continue
        if in_words:
            m = re.match(r"^\s{4}(\S+):\s*\[(.*)\]\s*$", line)
            if not m:
                if line.strip() and not line.startswith("    "):
                    break
                continue
            words[m.group(1)] = [s.strip() for s in m.group(2).split(",") if s.strip()]
    return words


class Evader:
    def __init__(self, tables, variants_path, seed):
        self.s2t, self.syllable_of, self.members = load_tables(tables)
        self.variants = load_variants(variants_path)
        # Longest words first, and words containing ASCII only when written in lower case.
        self.variant_re = re.compile("|".join(re.escape(w) for w in sorted(self.variants, key=len, reverse=True)))
        self.seed = seed

    def rng(self, key):
        return random.Random(self.seed * 1000003 + zlib.crc32(key.encode("utf-8")))

    def traditional(self, text, rng):
        return "".join(self.s2t.get(c, c) for c in text)

    def fullwidth(self, text, rng):
        return "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in text)

    def separators(self, text, rng):
        out = []
        for i, c in enumerate(text):
            out.append(c)
            if i + 1 < len(text) and is_han(c) and is_han(text[i + 1]) and rng.random() < 0.3:
                out.append(rng.choice(SEPARATORS))
        return "".join(out)

    def zerowidth(self, text, rng):
        out = []
        for i, c in enumerate(text):
            out.append(c)
            if i + 1 < len(text) and c != "\n" and text[i + 1] != "\n" and rng.random() < 0.3:
                out.append(rng.choice(ZERO_WIDTH))
        return "".join(out)

    def variants_kind(self, text, rng):
        if not self.variants:
            return text
        return self.variant_re.sub(lambda m: rng.choice(self.variants[m.group(0)]), text)

    def homophones(self, text, rng):
        out = []
        for c in text:
            syl = self.syllable_of.get(c)
            if syl is not None and rng.random() < 0.1:
                others = [x for x in self.members[syl] if x != c]
                out.append(rng.choice(others) if others else c)
            else:
                out.append(c)
        return "".join(out)

    def apply(self, kind, text, key):
        rng = self.rng(kind + ":" + key)
        if kind == "all":
            for k in ("variants", "traditional", "fullwidth", "separators", "zerowidth"):
                text = self.apply(k, text, key)
            return text
        fn = self.variants_kind if kind == "variants" else getattr(self, kind)
        return fn(text, rng)


def rewrite_record(ev, kind, rec, key):
    if isinstance(rec.get("text"), str):
        rec["text"] = ev.apply(kind, rec["text"], key)
    for i, turn in enumerate(rec.get("turns") or []):
        if isinstance(turn.get("text"), str):
            turn["text"] = ev.apply(kind, turn["text"], f"{key}#{i}")
    return rec


HEADER = re.compile(r"^#\s*(expect|must-hit|must-not-hit|min-risk|max-risk|note)\s*:")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kind", required=True, choices=KINDS)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--tables", required=True, help="unitables.inc generated by the build")
    ap.add_argument("--variants", default=os.path.join(here, "../../rules/variants.yaml"))
    ap.add_argument("--corpus", action="store_true", help="rewrite a corpus directory tree into OUTDIR")
    ap.add_argument("input")
    ap.add_argument("output", nargs="?")
    args = ap.parse_args()
    ev = Evader(args.tables, args.variants, args.seed)
    if args.corpus:
        for root, _, files in os.walk(args.input):
            for name in sorted(files):
                if not name.endswith(".txt"):
                    continue
                src = os.path.join(root, name)
                rel = os.path.relpath(src, args.input)
                dst = os.path.join(args.output, rel)
                os.makedirs(os.path.dirname(dst), exist_ok=True)
                lines = open(src, encoding="utf-8").read().split("\n")
                head = 0
                while head < len(lines) and HEADER.match(lines[head]):
                    head += 1
                body = ev.apply(args.kind, "\n".join(lines[head:]), rel)
                # Expectations about exact rules or risks do not carry over; the label does.
                kept = [l for l in lines[:head] if l.split(":")[0].strip("# ") in ("expect", "note")]
                with open(dst, "w", encoding="utf-8") as f:
                    f.write("\n".join(kept + [body]))
        return
    out = open(args.output, "w", encoding="utf-8") if args.output else sys.stdout
    with open(args.input, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            rec = json.loads(line)
            key = str(rec.get("id", n))
            out.write(json.dumps(rewrite_record(ev, args.kind, rec, key), ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
