"""Helpers for the end-to-end tests: run the built fraudscan binary."""
import json
import os
import subprocess
import tempfile
import unittest

BINARY = os.environ.get("FRAUDSCAN") or os.path.join(os.path.dirname(__file__), "../../build/dev/fraudscan")
SOURCE = os.environ.get("FRAUDSCAN_SOURCE") or os.path.join(os.path.dirname(__file__), "../..")
TEST_RULES = os.path.join(SOURCE, "tests/data/rules")
SHIPPED_RULES = os.path.join(SOURCE, "rules")


def run(args, stdin=None, env=None, timeout=120):
    """Run fraudscan; return CompletedProcess with text stdout/stderr."""
    full_env = dict(os.environ)
    full_env.pop("FRAUDSCAN_RULES", None)
    if env:
        full_env.update(env)
    if isinstance(stdin, str):
        stdin = stdin.encode("utf-8")
    proc = subprocess.run([BINARY] + args, input=stdin, capture_output=True, env=full_env, timeout=timeout)
    proc.stdout = proc.stdout.decode("utf-8")
    proc.stderr = proc.stderr.decode("utf-8")
    return proc


def jsonl(text):
    """Parse JSON Lines output; every line must be one JSON object."""
    out = []
    for line in text.splitlines():
        obj = json.loads(line)
        assert isinstance(obj, dict), line
        out.append(obj)
    return out


class TempDirTest(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory()
        self.dir = self._tmp.name

    def tearDown(self):
        self._tmp.cleanup()

    def write(self, rel, content, mode="w"):
        path = os.path.join(self.dir, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if isinstance(content, bytes):
            with open(path, "wb") as f:
                f.write(content)
        else:
            with open(path, "w", encoding="utf-8") as f:
                f.write(content)
        return path
