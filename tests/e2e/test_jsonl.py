"""End-to-end tests of the JSON Lines contract: the map step of a streaming job."""
import json
import unittest

from fstest import TEST_RULES, TempDirTest, jsonl, run

R = ["--rules", TEST_RULES]


class JsonlTest(TempDirTest):
    def records(self):
        return [
            {"id": "a", "text": "兼职点赞一次佣金三元"},
            {"id": 42, "turns": [{"speaker": "客服", "text": "您误开通了会员要扣费"},
                                 {"speaker": "用户", "text": "怎么办"},
                                 {"speaker": "客服", "text": "下载钉钉"}]},
            {"id": "c", "text": "今天天气不错", "extra": {"ignored": [1, 2]}},
        ]

    def test_stdin_stream_one_line_out_per_line_in(self):
        data = "\n".join(json.dumps(r, ensure_ascii=False) for r in self.records()) + "\n"
        p = run(["scan", "--input-format", "jsonl", "--output", "jsonl"] + R + ["-"], stdin=data)
        self.assertEqual(p.returncode, 1, p.stderr)
        out = jsonl(p.stdout)
        self.assertEqual([o["id"] for o in out], ["a", "42", "c"])
        self.assertEqual([o["label"] for o in out], ["task_rebate", "impersonation_cs", "none"])
        self.assertNotIn("path", out[0])
        ev = out[1]["evidence"][0]
        self.assertEqual(ev["speaker"], "客服")
        self.assertEqual(ev["line"], 1)
        self.assertEqual(ev["text"], "误开通")
        self.assertEqual(set(out[1]["scores"]), {"task_rebate", "fake_shopping", "impersonation_cs",
                                                 "fake_investment", "fake_loan_credit"})

    def test_bad_line_reported_and_stream_continues(self):
        lines = [json.dumps(self.records()[0], ensure_ascii=False), "{not json", '{"id": "x"}',
                 json.dumps(self.records()[2], ensure_ascii=False)]
        path = self.write("in.jsonl", "\n".join(lines) + "\n")
        p = run(["scan", "--output", "jsonl"] + R + [path])
        self.assertEqual(p.returncode, 2)
        out = jsonl(p.stdout)
        self.assertEqual(len(out), 4)
        self.assertEqual(out[0]["id"], "a")
        self.assertIn("error", out[1])
        self.assertEqual(out[1]["line"], 2)
        self.assertIn("neither", out[2]["error"])
        self.assertEqual(out[3]["id"], "c")
        self.assertIn(f"{path}:2", p.stderr)

    def test_jsonl_file_detected_by_extension_in_directory(self):
        self.write("d/batch.jsonl", "\n".join(json.dumps(r, ensure_ascii=False) for r in self.records()))
        self.write("d/single.txt", "兼职刷单返利")
        p = run(["scan", "--output", "jsonl"] + R + [f"{self.dir}/d"])
        out = jsonl(p.stdout)
        self.assertEqual(len(out), 4)
        self.assertEqual(out[3]["path"], f"{self.dir}/d/single.txt")

    def test_blank_lines_are_not_records(self):
        path = self.write("b.jsonl", '\n{"id": "only", "text": "你好"}\n\n')
        p = run(["scan", "--output", "jsonl"] + R + [path])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual([o["id"] for o in jsonl(p.stdout)], ["only"])


if __name__ == "__main__":
    unittest.main()
