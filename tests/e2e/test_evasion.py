"""End-to-end evasion tests: a transcript rewritten the way fraudsters and speech
recognition rewrite text keeps its label, with a risk within 5 points."""
import json
import os
import subprocess
import sys

from fstest import BINARY, SHIPPED_RULES, SOURCE, TempDirTest, jsonl, run

EVADE = os.path.join(SOURCE, "tests/tools/evade.py")
TABLES = os.path.join(os.path.dirname(BINARY), "lib/generated/unitables.inc")
DATA = os.path.join(SOURCE, "tests/data/evasion")
KINDS = ["traditional", "fullwidth", "separators", "zerowidth", "variants", "all", "homophones"]


class EvasionTest(TempDirTest):
    def verdicts(self, directory):
        p = run(["scan", "--rules", SHIPPED_RULES, "--output", "jsonl", directory])
        self.assertIn(p.returncode, (0, 1), p.stderr)
        return {os.path.basename(r["path"]): r for r in jsonl(p.stdout)}

    def test_each_evasion_keeps_label_and_risk(self):
        plain = self.verdicts(DATA)
        self.assertEqual(plain["cs_call.txt"]["label"], "impersonation_cs")
        self.assertEqual(plain["benign_courier.txt"]["label"], "none")
        for kind in KINDS:
            out = os.path.join(self.dir, kind)
            subprocess.run([sys.executable, EVADE, "--kind", kind, "--seed", "7", "--tables", TABLES, "--corpus",
                            DATA, out], check=True)
            evaded = self.verdicts(out)
            for name, v in plain.items():
                with self.subTest(kind=kind, file=name):
                    e = evaded[name]
                    self.assertEqual(e["label"], v["label"])
                    self.assertLessEqual(abs(e["risk"] - v["risk"]), 5, (kind, name, v["risk"], e["risk"]))
                    # The evidence still points at the original (evaded) characters.
                    text = open(os.path.join(out, name), encoding="utf-8").read().encode("utf-8")
                    for ev in e["evidence"]:
                        self.assertEqual(text[ev["offset"]:ev["offset"] + ev["length"]].decode("utf-8"), ev["text"])

    def test_misheard_script_keeps_label_and_risk(self):
        # Speech recognition's homophones in a fake-support call of moderate risk (the
        # evasion files above score near 100 either way), and in an honest courier call.
        cases = [
            ("客服：您好，这里是抖音客服，您之前误开通了抖音会员，下个月开始每月自动扣费五百元。",
             "客服：您好，这里是抖音刻服，您之前误开通了抖音汇员，下个月开始每月自动扣废五百元。"),
            ("快递员：您好，您的快递到了，放在小区门口的快递柜里，取件码是三八六二。",
             "快递员：您好，您的块递到了，放在小区门口的快递贵里，取件码是三八六二。"),
        ]
        for plain_text, heard_text in cases:
            with self.subTest(text=plain_text):
                plain = jsonl(run(["scan", "--rules", SHIPPED_RULES, "--output", "jsonl", "-"], stdin=plain_text).stdout)[0]
                heard = jsonl(run(["scan", "--rules", SHIPPED_RULES, "--output", "jsonl", "-"], stdin=heard_text).stdout)[0]
                self.assertEqual(heard["label"], plain["label"])
                self.assertLessEqual(abs(heard["risk"] - plain["risk"]), 5, (plain["risk"], heard["risk"]))
        heard = jsonl(run(["scan", "--rules", SHIPPED_RULES, "--output", "jsonl", "-"], stdin=cases[0][1]).stdout)[0]
        self.assertEqual(heard["label"], "impersonation_cs")
        notes = {n for e in heard["evidence"] for n in e.get("normalizations", [])}
        self.assertIn("homophone of 会员", notes)
        self.assertIn("homophone of 扣费", notes)

    def test_evader_is_deterministic(self):
        a, b = os.path.join(self.dir, "a"), os.path.join(self.dir, "b")
        for d in (a, b):
            subprocess.run([sys.executable, EVADE, "--kind", "all", "--seed", "3", "--tables", TABLES, "--corpus",
                            DATA, d], check=True)
        for name in os.listdir(DATA):
            self.assertEqual(open(os.path.join(a, name), "rb").read(), open(os.path.join(b, name), "rb").read())
        self.assertNotEqual(open(os.path.join(a, "cs_call.txt"), "rb").read(),
                            open(os.path.join(DATA, "cs_call.txt"), "rb").read())

    def test_explain_names_the_normalizations(self):
        p = run(["scan", "--rules", SHIPPED_RULES, "--output", "jsonl", "-"],
                stdin="客服：您誤開通了百萬醫療保障會員，每月自動扣費，請下載騰訊會議共·享·屏·幕")
        rec = jsonl(p.stdout)[0]
        self.assertEqual(rec["label"], "impersonation_cs")
        kinds = {k for e in rec["evidence"] for k in e.get("normalizations", [])}
        self.assertIn("traditional to simplified", kinds)

    def test_homophone_hits_say_so_and_can_weigh_less(self):
        rules = self.write("r/p.yaml", """rules:
  - id: cs.screen_py
    type: impersonation_cs
    description: screen sharing, also as heard by speech recognition
    weight: 0.8
    keywords: [共享屏幕]
    pinyin: true
    examples:
      match: [打开共想屏幕, 打开共享平幕]
      no_match: [打开屏幕, 打开共想平目]
""")
        scan = ["scan", "--rules", rules, "--output", "jsonl", "-"]
        exact = jsonl(run(scan, stdin="请打开共享屏幕").stdout)[0]
        heard = jsonl(run(scan, stdin="请打开共想屏幕").stdout)[0]
        self.assertEqual(exact["risk"], 80)
        self.assertEqual(heard["risk"], 80)
        self.assertEqual(heard["evidence"][0]["text"], "共想屏幕")
        self.assertIn("homophone of 共享屏幕", heard["evidence"][0]["normalizations"])
        weighed = jsonl(run(scan[:-1] + ["--homophone-weight", "0.7", "-"], stdin="请打开共想屏幕").stdout)[0]
        self.assertEqual(weighed["risk"], 56)
        exact = jsonl(run(scan[:-1] + ["--homophone-weight", "0.7", "-"], stdin="请打开共享屏幕").stdout)[0]
        self.assertEqual(exact["risk"], 80)
        # Most of the phrase changed is not a recognition error.
        self.assertEqual(jsonl(run(scan, stdin="请打开共想平目").stdout)[0]["label"], "none")


if __name__ == "__main__":
    import unittest
    unittest.main()
