"""End-to-end tests of `fraudscan test` on a corpus: metrics, expectations, baseline, JUnit, JSON."""
import json
import os
import xml.etree.ElementTree as ET

from fstest import TempDirTest, run

RULES = """rules:
  - id: tr.rebate
    type: task_rebate
    description: likes for commission
    weight: 0.7
    all_of:
      - keywords: [点赞]
      - keywords: [佣金, 返利]
    within: 20
    examples:
      match: [点赞一次佣金三元]
      no_match: [给你点赞]
  - id: cs.screen
    type: impersonation_cs
    description: screen sharing to cancel a membership
    weight: 0.8
    all_of:
      - keywords: [会员]
      - keywords: [共享屏幕]
    within: 30
    examples:
      match: [取消会员需要共享屏幕]
      no_match: [会员日打折]
"""


class CorpusTest(TempDirTest):
    def setUp(self):
        super().setUp()
        self.rules = self.write("rules/r.yaml", RULES)
        self.write("corpus/task_rebate/a.txt", "# expect: task_rebate\n# must-hit: tr.rebate\n兼职点赞佣金日结\n")
        self.write("corpus/impersonation_cs/b.txt", "客服：取消会员要先共享屏幕\n用户：好\n")
        self.write("corpus/benign/c.txt", "# max-risk: 10\n同事：周会改到下午三点\n")
        self.corpus = os.path.join(self.dir, "corpus")
        self.baseline = os.path.join(self.corpus, "baseline.json")

    def test_metrics_and_pass(self):
        p = run(["test", "--rules", self.rules, self.corpus])
        self.assertEqual(p.returncode, 0, p.stdout)
        self.assertIn("corpus: 3 transcripts, 3 passed, 0 failed", p.stdout)
        self.assertIn("macro-F1 1.0000", p.stdout)
        self.assertIn("benign false-positive rate 0.0000 (0 of 1)", p.stdout)

    def test_header_expectations_are_checked(self):
        self.write("corpus/benign/d.txt", "# expect: none\n# must-not-hit: tr.rebate\n# max-risk: 20\n点赞返利\n")
        p = run(["test", "--rules", self.rules, self.corpus])
        self.assertEqual(p.returncode, 1)
        self.assertIn("d.txt: FAIL expected none, got task_rebate (risk 70)", p.stdout)
        self.assertIn("d.txt: FAIL must-not-hit tr.rebate fired", p.stdout)
        self.assertIn("d.txt: FAIL risk 70 > max-risk 20", p.stdout)

    def test_baseline_catches_a_transcript_turning_wrong(self):
        p = run(["test", "--rules", self.rules, "--baseline", self.baseline, "--update-baseline", self.corpus])
        self.assertEqual(p.returncode, 0, p.stdout)
        base = json.load(open(self.baseline, encoding="utf-8"))
        self.assertEqual(base["transcripts"]["impersonation_cs/b.txt"]["label"], "impersonation_cs")
        # Narrow a rule so that b.txt is no longer caught; the example still passes.
        self.write("rules/r.yaml", RULES.replace("keywords: [共享屏幕]", "keywords: [共享屏幕给我]")
                   .replace("match: [取消会员需要共享屏幕]", "match: [取消会员需要共享屏幕给我]"))
        p = run(["test", "--rules", self.rules, "--baseline", self.baseline, self.corpus])
        self.assertEqual(p.returncode, 1)
        self.assertIn("REGRESSION impersonation_cs/b.txt: was impersonation_cs (right), now none", p.stdout)
        self.assertIn("REGRESSION impersonation_cs F1", p.stdout)

    def test_wrong_direction_risk_moves_only(self):
        run(["test", "--rules", self.rules, "--baseline", self.baseline, "--update-baseline", self.corpus])
        base = json.load(open(self.baseline, encoding="utf-8"))
        base["transcripts"]["task_rebate/a.txt"]["risk"] = 40   # the fraud file's risk rose since: fine
        base["transcripts"]["benign/c.txt"]["risk"] = 0
        json.dump(base, open(self.baseline, "w", encoding="utf-8"))
        p = run(["test", "--rules", self.rules, "--baseline", self.baseline, self.corpus])
        self.assertEqual(p.returncode, 0, p.stdout)
        self.assertIn("improved task_rebate/a.txt: risk 40 -> 70", p.stdout)
        base["transcripts"]["task_rebate/a.txt"]["risk"] = 100  # now it fell by 30: regression
        json.dump(base, open(self.baseline, "w", encoding="utf-8"))
        p = run(["test", "--rules", self.rules, "--baseline", self.baseline, self.corpus])
        self.assertEqual(p.returncode, 1)
        self.assertIn("REGRESSION task_rebate/a.txt: risk moved 100 -> 70", p.stdout)

    def test_junit_is_valid_xml_with_the_right_counts(self):
        self.write("corpus/benign/d.txt", "# expect: none\n点赞返利\n")
        junit = os.path.join(self.dir, "junit.xml")
        p = run(["test", "--rules", self.rules, "--junit", junit, self.corpus])
        self.assertEqual(p.returncode, 1)
        root = ET.parse(junit).getroot()
        self.assertEqual(root.tag, "testsuites")
        cases = root.findall(".//testcase")
        failures = root.findall(".//testcase/failure")
        self.assertEqual(len(cases), 4 + 4)  # 4 rule examples + 4 transcripts
        self.assertEqual(len(failures), 1)
        self.assertEqual(int(root.get("tests")), len(cases))
        self.assertEqual(int(root.get("failures")), len(failures))
        suites = {s.get("name"): s for s in root.findall("testsuite")}
        self.assertEqual(suites["corpus"].get("failures"), "1")

    def test_json_report(self):
        out = os.path.join(self.dir, "report.json")
        run(["test", "--rules", self.rules, "--json", out, self.corpus])
        report = json.load(open(out, encoding="utf-8"))
        self.assertEqual(report["metrics"]["macro_f1"], 1.0)
        self.assertEqual(report["confusion"]["task_rebate"]["task_rebate"], 1)
        self.assertEqual(report["rule_hits"]["cs.screen"]["impersonation_cs"], 1)
        self.assertEqual(report["examples"], {"passed": 4, "failed": 0})

    def test_unreadable_corpus_is_an_error(self):
        p = run(["test", "--rules", self.rules, os.path.join(self.dir, "missing")])
        self.assertEqual(p.returncode, 2)
        self.assertIn("missing", p.stderr)

    def test_lint_flags_broad_rules_on_the_benign_corpus(self):
        self.write("corpus/benign/e.txt", "会员日\n")
        self.write("rules/r.yaml", RULES + """  - id: move.vip
    type: move
    description: too broad
    weight: 0.2
    keywords: [会员]
    examples:
      match: [会员]
      no_match: [周会]
""")
        p = run(["lint", "--strict", "--rules", self.rules, "--corpus", self.corpus])
        self.assertEqual(p.returncode, 1)
        self.assertRegex(p.stderr, r"r\.yaml:\d+:\d+: warning: rule 'move.vip' fires on 1 of 2 benign corpus transcripts")


if __name__ == "__main__":
    import unittest
    unittest.main()
