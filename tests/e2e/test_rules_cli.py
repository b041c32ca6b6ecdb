"""End-to-end tests of rule loading errors, `lint`, `test` and `rules`."""
import re
import unittest

from fstest import SHIPPED_RULES, TEST_RULES, TempDirTest, run

GOOD_RULE = """  - id: {id}
    type: move
    description: d
    weight: 0.5
    {cond}
    examples:
      match: [{m}]
      no_match: [{n}]
"""


class LintTest(TempDirTest):
    def test_two_bad_patterns_and_a_duplicate_id_all_reported(self):
        text = "rules:\n" + GOOD_RULE.format(id="a", cond="patterns: ['(open']", m="x", n="y") \
            + GOOD_RULE.format(id="b", cond="patterns: ['ok', 'a{3,1}']", m="ok", n="y") \
            + GOOD_RULE.format(id="a", cond="keywords: [z]", m="z", n="y")
        path = self.write("r/bad.yaml", text)
        p = run(["lint", "--rules", path])
        self.assertEqual(p.returncode, 2)
        self.assertRegex(p.stderr, r"bad\.yaml:6:16: error: bad pattern '\(open'")
        self.assertRegex(p.stderr, r"bad\.yaml:14:22: error: bad pattern 'a\{3,1\}'")
        self.assertRegex(p.stderr, r"bad\.yaml:18:5: error: duplicate rule id 'a' \(first defined at .*bad\.yaml:2\)")

    def test_strict_turns_warnings_into_failure(self):
        path = self.write("r/w.yaml", "rules:\n  - {id: a, type: move, description: d, weight: 0.5, keywords: [x]}\n")
        self.assertEqual(run(["lint", "--rules", path]).returncode, 0)
        p = run(["lint", "--strict", "--rules", path])
        self.assertEqual(p.returncode, 1)
        self.assertIn("w.yaml:2:5: warning: rule 'a' has no 'match' examples", p.stderr)

    def test_long_gaps_and_unbounded_wildcards_are_flagged(self):
        path = self.write("r/g.yaml", "rules:\n" + GOOD_RULE.format(id="a", cond="patterns: ['加[^。]{0,80}微信', '下载.*会议']",
                                                                   m="加我微信", n="微信"))
        p = run(["lint", "--strict", "--rules", path])
        self.assertEqual(p.returncode, 1)
        self.assertIn("a gap of up to 80 characters", p.stderr)
        self.assertIn("unbounded '.*' or '.+'", p.stderr)

    def test_shipped_rules_are_lint_clean(self):
        p = run(["lint", "--strict", "--rules", SHIPPED_RULES])
        self.assertEqual(p.returncode, 0, p.stderr)


class ExampleTest(TempDirTest):
    def test_failing_no_match_example_names_the_rule(self):
        path = self.write("r/f.yaml", "rules:\n" + GOOD_RULE.format(id="move.greedy", cond="keywords: [验证码]",
                                                                      m="报一下验证码", n="验证码不要告诉别人"))
        p = run(["test", "--rules", path])
        self.assertEqual(p.returncode, 1)
        self.assertIn("f.yaml:9:", p.stdout)
        self.assertIn("FAIL move.greedy: no_match example fires the rule", p.stdout)
        self.assertIn("1 passed, 1 failed", p.stdout)

    def test_test_rules_pass(self):
        p = run(["test", "--rules", TEST_RULES])
        self.assertEqual(p.returncode, 0, p.stdout)
        self.assertIn("10 passed, 0 failed", p.stdout)


class ExportTest(unittest.TestCase):
    def test_export_patterns_one_per_line(self):
        p = run(["rules", "--export-patterns", "--rules", TEST_RULES])
        self.assertEqual(p.returncode, 0)
        lines = p.stdout.splitlines()
        self.assertIn("共享屏幕", lines)
        self.assertEqual(len(lines), len(set(lines)))

    def test_exported_patterns_escape_only_metacharacters(self):
        # ripgrep (Rust regex) rejects escapes such as \% or \: that RE2 accepts; a full-width
        # ％ in a rule becomes % in the export, not \%.
        p = run(["rules", "--export-patterns", "--rules", SHIPPED_RULES])
        self.assertEqual(p.returncode, 0, p.stderr)
        bad = [l for l in p.stdout.splitlines() if re.search(r"\\[^A-Za-z0-9.\[\](){}*+?|^$\\\-#&~]", l)]
        self.assertEqual(bad, [])
        self.assertTrue(any("%" in l for l in p.stdout.splitlines()))

    def test_list(self):
        p = run(["rules", "--rules", TEST_RULES])
        self.assertEqual(len(p.stdout.splitlines()), 5)
        self.assertIn("t.cs_mistake\timpersonation_cs\t0.60", p.stdout)


if __name__ == "__main__":
    unittest.main()
