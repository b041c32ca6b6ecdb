"""End-to-end tests of `fraudscan scan`: inputs, outputs, exit codes, errors."""
import csv
import io
import os
import subprocess
import unittest

from fstest import BINARY, TEST_RULES, TempDirTest, jsonl, run

CS_CALL = "客服：您好我是抖音客服\n客服：您之前误开通了会员，每月扣费八百\n用户：啊\n客服：请下载腾讯会议然后打开共享屏幕\n"
REBATE_SMS = "兼职点赞一次佣金三元日结"
HONEST = "快递员：您好您的快递到了\n用户：好的放驿站吧\n"
R = ["--rules", TEST_RULES]


class StdinTest(TempDirTest):
    def test_stdin_flagged_exit_1(self):
        p = run(["scan"] + R + ["-"], stdin=CS_CALL)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("impersonation_cs", p.stdout)
        self.assertIn("<stdin>", p.stdout)
        # 1 - 0.4*0.6 = 0.76 for the type, then the screen-share move (0.4): 1 - 0.24*0.6
        self.assertIn("risk=86", p.stdout)

    def test_no_path_reads_stdin(self):
        p = run(["scan"] + R, stdin=HONEST)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("none risk=0", p.stdout)

    def test_threshold_changes_exit_code(self):
        self.assertEqual(run(["scan"] + R + ["--threshold", "90", "-"], stdin=CS_CALL).returncode, 0)
        self.assertEqual(run(["scan"] + R + ["--threshold", "86", "-"], stdin=CS_CALL).returncode, 1)

    def test_quiet_prints_nothing(self):
        p = run(["scan", "-q"] + R + ["-"], stdin=CS_CALL)
        self.assertEqual(p.returncode, 1)
        self.assertEqual(p.stdout, "")

    def test_explain_shows_every_rule_with_context(self):
        p = run(["scan", "--explain", "--color", "never"] + R + ["-"], stdin=CS_CALL)
        for rule in ("t.cs_mistake", "t.cs_meeting", "t.move_screen"):
            self.assertIn(rule, p.stdout)
        self.assertIn("[误开通]", p.stdout)
        self.assertIn("2:7 客服：", p.stdout)
        # The speaker is shown once, before the context, which starts after the label.
        self.assertIn("2:7 客服： 您之前[误开通]", p.stdout)
        self.assertNotIn("客服： 客服：", p.stdout)

    def test_color_always_emits_escapes(self):
        p = run(["scan", "--color", "always"] + R + ["-"], stdin=CS_CALL)
        self.assertIn("\x1b[", p.stdout)
        p = run(["scan", "--color", "never"] + R + ["-"], stdin=CS_CALL)
        self.assertNotIn("\x1b[", p.stdout)


class DirectoryTest(TempDirTest):
    def setUp(self):
        super().setUp()
        self.write("calls/a_cs.txt", CS_CALL)
        self.write("calls/b_rebate.txt", REBATE_SMS)
        self.write("calls/sub/c_honest.txt", HONEST)
        self.write("calls/.hidden.txt", CS_CALL)
        self.write("calls/.git/d.txt", CS_CALL)
        self.write("calls/e.bin", b"\x00\x01\x02binary\x00")

    def test_recursive_sorted_hidden_skipped(self):
        p = run(["scan", "--output", "jsonl"] + R + [os.path.join(self.dir, "calls")])
        self.assertEqual(p.returncode, 1, p.stderr)
        recs = jsonl(p.stdout)
        names = [os.path.relpath(r["path"], self.dir) for r in recs]
        self.assertEqual(names, ["calls/a_cs.txt", "calls/b_rebate.txt", "calls/sub/c_honest.txt"])
        self.assertEqual([r["label"] for r in recs], ["impersonation_cs", "task_rebate", "none"])
        self.assertIn("binary file skipped", p.stderr)

    def test_include_exclude(self):
        d = os.path.join(self.dir, "calls")
        p = run(["scan", "-l"] + R + ["--include", "*_cs.txt", d])
        self.assertEqual(p.stdout.strip().splitlines(), [os.path.join(d, "a_cs.txt")])
        p = run(["scan", "--output", "jsonl"] + R + ["--exclude", "sub", "--exclude", "*.bin", d])
        self.assertEqual(len(jsonl(p.stdout)), 2)
        self.assertNotIn("binary", p.stderr)

    def test_list_and_min_risk(self):
        d = os.path.join(self.dir, "calls")
        p = run(["scan", "-l"] + R + [d])
        self.assertEqual(len(p.stdout.splitlines()), 2)
        p = run(["scan", "--min-risk", "80"] + R + [d])
        self.assertEqual(len(p.stdout.splitlines()), 1)
        self.assertIn("a_cs.txt", p.stdout)

    def test_parallel_output_is_identical_and_ordered(self):
        for i in range(60):
            self.write(f"many/{i:03d}.txt", CS_CALL if i % 3 == 0 else HONEST)
        d = os.path.join(self.dir, "many")
        one = run(["scan", "-j1", "--output", "jsonl"] + R + [d])
        four = run(["scan", "-j4", "--output", "jsonl"] + R + [d])
        self.assertEqual(one.stdout, four.stdout)
        self.assertEqual(len(jsonl(one.stdout)), 60)

    def test_csv_output(self):
        p = run(["scan", "--output", "csv"] + R + [os.path.join(self.dir, "calls")])
        rows = list(csv.DictReader(io.StringIO(p.stdout)))
        self.assertEqual(len(rows), 3)
        self.assertEqual(rows[0]["label"], "impersonation_cs")
        self.assertEqual(float(rows[1]["task_rebate"]), 0.7)
        self.assertEqual(rows[2]["top_rule"], "")


class ErrorTest(TempDirTest):
    def test_missing_file_among_good_ones(self):
        good = self.write("good.txt", CS_CALL)
        missing = os.path.join(self.dir, "missing.txt")
        p = run(["scan", "--output", "jsonl"] + R + [missing, good])
        self.assertEqual(p.returncode, 2)
        self.assertIn(missing, p.stderr)
        recs = [r for r in jsonl(p.stdout) if "error" not in r]
        self.assertEqual(len(recs), 1)
        self.assertEqual(recs[0]["label"], "impersonation_cs")

    def test_broken_link_in_directory_is_reported(self):
        self.write("d/good.txt", HONEST)
        os.symlink(os.path.join(self.dir, "nowhere"), os.path.join(self.dir, "d/bad.txt"))
        p = run(["scan"] + R + [os.path.join(self.dir, "d")])
        self.assertEqual(p.returncode, 2)
        self.assertIn("bad.txt: broken symbolic link", p.stderr)
        self.assertIn("good.txt", p.stdout)

    def test_invalid_utf8_warns_and_scans(self):
        path = self.write("bad.txt", "客服：误开通会员每月扣费".encode("utf-8") + b"\xff\xfe\xfd" + "下载钉钉".encode())
        p = run(["scan"] + R + [path])
        self.assertIn(path, p.stderr)
        self.assertIn("warning", p.stderr)
        self.assertIn("impersonation_cs", p.stdout)
        self.assertEqual(p.returncode, 1)

    def test_usage_errors_exit_2(self):
        self.assertEqual(run(["scan", "--output", "xml"] + R).returncode, 2)
        self.assertEqual(run(["scan", "--threshold", "101"] + R).returncode, 2)
        self.assertEqual(run(["scan", "--no-such-flag"]).returncode, 2)
        self.assertEqual(run(["frobnicate"]).returncode, 2)

    def test_bad_rule_file_reports_line_and_exit_2(self):
        bad = self.write("rules/bad.yaml", "rules:\n  - id: a\n    type: move\n  description: oops\n")
        p = run(["scan", "--rules", bad, "-"], stdin=HONEST)
        self.assertEqual(p.returncode, 2)
        self.assertRegex(p.stderr, r"bad\.yaml:4:\d+: error: YAML syntax")
        self.assertEqual(p.stdout, "")

    def test_rules_from_environment(self):
        p = run(["scan", "-"], stdin=REBATE_SMS, env={"FRAUDSCAN_RULES": TEST_RULES})
        self.assertIn("task_rebate", p.stdout)

    def test_closed_pipe_ends_quietly(self):
        for i in range(300):
            self.write(f"many/{i:03d}.txt", CS_CALL)
        proc = subprocess.Popen([BINARY, "scan", "-j1"] + R + [os.path.join(self.dir, "many")],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        first = proc.stdout.readline()
        proc.stdout.close()
        err = proc.stderr.read()
        proc.stderr.close()
        proc.wait(timeout=60)
        self.assertTrue(first)
        self.assertEqual(err, b"")
        self.assertIn(proc.returncode, (0, 1))


class CacheTest(TempDirTest):
    def test_compiled_literals_are_cached_and_a_bad_cache_is_ignored(self):
        cache = os.path.join(self.dir, "cache")
        env = {"FRAUDSCAN_CACHE_DIR": cache, "FRAUDSCAN_SHIPPED_CACHE": ""}
        first = run(["scan", "--output", "jsonl"] + R + ["-"], stdin=CS_CALL, env=env)
        files = sorted(os.listdir(cache))
        # The parsed rule set, the compiled matcher, and the literal pass's tries
        # (keywords, and homophone keys when the rules have any).
        self.assertEqual(len([f for f in files if f.startswith("rules-") and f.endswith(".bin")]), 1, files)
        self.assertEqual(len([f for f in files if f.startswith("compiled-") and f.endswith(".bin")]), 1, files)
        tries = [f for f in files if f.startswith("literals-") and f.endswith(".trie")]
        self.assertIn(len(tries), (1, 2), files)
        self.assertEqual(len(files), 2 + len(tries), files)
        second = run(["scan", "--output", "jsonl"] + R + ["-"], stdin=CS_CALL, env=env)
        self.assertEqual(first.stdout, second.stdout)
        # One changed byte in the middle of each entry: the checksum turns it into a miss.
        for f in files:
            path = os.path.join(cache, f)
            data = bytearray(open(path, "rb").read())
            data[len(data) // 2] ^= 0x5A
            with open(path, "wb") as out:
                out.write(bytes(data))
        flipped = run(["scan", "--output", "jsonl"] + R + ["-"], stdin=CS_CALL, env=env)
        self.assertEqual(first.stdout, flipped.stdout)
        self.assertEqual(flipped.stderr, "")
        for f in files:
            with open(os.path.join(cache, f), "wb") as out:
                out.write(b"not a database")
        third = run(["scan", "--output", "jsonl"] + R + ["-"], stdin=CS_CALL, env=env)
        self.assertEqual(first.stdout, third.stdout)
        self.assertEqual(third.stderr, "")
        none = run(["scan", "--output", "jsonl"] + R + ["-"], stdin=CS_CALL,
                   env={"FRAUDSCAN_CACHE_DIR": "", "HOME": os.path.join(self.dir, "home")})
        self.assertEqual(first.stdout, none.stdout)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "home")))

    def test_an_edited_rule_is_never_served_from_the_cache(self):
        env = {"FRAUDSCAN_CACHE_DIR": os.path.join(self.dir, "cache"), "FRAUDSCAN_SHIPPED_CACHE": ""}
        rule = """rules:
  - id: t.word
    type: task_rebate
    description: test
    weight: 1.0
    keywords: [{word}]
    examples:
      match: ["{word}"]
      no_match: ["无关"]
"""
        text = "今天的任务是点赞三次\n"
        results = []
        for word in ["点赞", "转发", "点赞"]:
            self.write("r/t.yaml", rule.format(word=word))
            p = run(["scan", "--output", "jsonl", "--rules", os.path.join(self.dir, "r"), "-"], stdin=text, env=env)
            self.assertEqual(p.stderr, "")
            results.append(jsonl(p.stdout)[0]["evidence"])
        self.assertEqual([e["text"] for e in results[0]], ["点赞"])
        self.assertEqual(results[1], [])
        self.assertEqual(results[2], results[0])


    def test_a_new_cache_starts_from_the_shipped_rule_set_precompiled(self):
        # The build left the shipped rules compiled; a cache that lacks them gets a
        # copy, and scanning with them then reads it instead of compiling.
        shipped = os.path.join(self.dir, "shipped")
        build = run(["scan", "-q", "-"], stdin="", env={"FRAUDSCAN_CACHE_DIR": shipped, "FRAUDSCAN_SHIPPED_CACHE": ""})
        self.assertEqual(build.returncode, 0, build.stderr)
        entries = sorted(os.listdir(shipped))
        self.assertTrue(any(f.startswith("compiled-") for f in entries), entries)
        cache = os.path.join(self.dir, "user")
        env = {"FRAUDSCAN_CACHE_DIR": cache, "FRAUDSCAN_SHIPPED_CACHE": shipped}
        p = run(["scan", "--output", "jsonl", "-"], stdin=CS_CALL, env=env)
        self.assertEqual(p.stderr, "")
        self.assertEqual(sorted(os.listdir(cache)), entries)  # copied, nothing compiled anew
        for f in entries:
            with open(os.path.join(shipped, f), "rb") as a, open(os.path.join(cache, f), "rb") as b:
                self.assertEqual(a.read(), b.read(), f)
        plain = run(["scan", "--output", "jsonl", "-"], stdin=CS_CALL,
                    env={"FRAUDSCAN_CACHE_DIR": "", "FRAUDSCAN_SHIPPED_CACHE": ""})
        self.assertEqual(p.stdout, plain.stdout)
        self.assertEqual(jsonl(p.stdout)[0]["label"], "impersonation_cs")


class EncodingTest(TempDirTest):
    def test_mixed_encodings_in_one_directory(self):
        self.write("m/utf8.txt", REBATE_SMS.encode("utf-8"))
        self.write("m/gbk.txt", REBATE_SMS.encode("gb18030"))
        self.write("m/utf16.txt", REBATE_SMS.encode("utf-16"))  # with BOM
        p = run(["scan", "--output", "jsonl"] + R + [os.path.join(self.dir, "m")])
        self.assertEqual(p.returncode, 1, p.stderr)
        recs = jsonl(p.stdout)
        self.assertEqual(len(recs), 3)
        for r in recs:
            self.assertEqual(r["label"], "task_rebate", r)
            self.assertEqual(r["evidence"][0]["text"], "点赞")
        self.assertEqual(p.stderr, "")


class VersionHelpTest(unittest.TestCase):
    def test_version(self):
        p = run(["--version"])
        self.assertEqual(p.returncode, 0)
        self.assertRegex(p.stdout, r"^fraudscan \d+\.\d+\.\d+")

    def test_help_lists_examples_and_exit_codes(self):
        p = run(["scan", "--help"])
        self.assertEqual(p.returncode, 0)
        self.assertIn("Exit status", p.stdout)
        self.assertIn("--output", p.stdout)
        self.assertIn("Examples", p.stdout)


if __name__ == "__main__":
    unittest.main()
