"""Tests of deploy/changed-functions: every fixture diff (fixtures/NAME.paths -> NAME.expected)
through stdin, and the --range and --all modes on a real temporary git repository."""

import subprocess
import tempfile
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPT = HERE.parent / "changed-functions"
FIXTURES = HERE / "fixtures"
FUNCTIONS = ["all-in-one", "quiz-complete", "quiz-generate", "snap-solve", "tutor-chat"]


def make_tree(root: Path) -> None:
    """A repository skeleton with the five functions (and a directory that is no function)."""
    for name in FUNCTIONS:
        (root / "functions" / name / "src").mkdir(parents=True)
        (root / "functions" / name / "Cargo.toml").write_text(f'[package]\nname = "{name}"\n')
    (root / "functions" / "notes").mkdir()
    (root / "shared" / "src").mkdir(parents=True)
    (root / "shared" / "src" / "lib.rs").write_text("//! shared\n")
    (root / "README.md").write_text("readme\n")


def run(root: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(
        ["python3", str(SCRIPT), "--root", str(root), *args], input=stdin, capture_output=True, text=True, check=True
    )


def git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        check=True,
        capture_output=True,
    )


class ChangedFunctions(unittest.TestCase):
    def setUp(self) -> None:
        self.tmp = tempfile.TemporaryDirectory()
        self.root = Path(self.tmp.name)
        make_tree(self.root)

    def tearDown(self) -> None:
        self.tmp.cleanup()

    def test_fixture_diffs(self) -> None:
        cases = sorted(FIXTURES.glob("*.paths"))
        self.assertGreaterEqual(len(cases), 10)
        for case in cases:
            with self.subTest(case=case.stem):
                expected = case.with_suffix(".expected").read_text().split()
                out = run(self.root, stdin=case.read_text()).stdout.split()
                self.assertEqual(out, expected)

    def test_all(self) -> None:
        self.assertEqual(run(self.root, "--all").stdout.split(), FUNCTIONS)

    def test_git_range(self) -> None:
        git(self.root, "init", "-q", "-b", "main")
        git(self.root, "add", "-A")
        git(self.root, "commit", "-q", "-m", "base")
        (self.root / "functions" / "snap-solve" / "src" / "lib.rs").write_text("//! changed\n")
        (self.root / "README.md").write_text("changed readme\n")
        git(self.root, "add", "-A")
        git(self.root, "commit", "-q", "-m", "snap only")
        self.assertEqual(run(self.root, "--range", "HEAD~1..HEAD").stdout.split(), ["snap-solve"])
        (self.root / "shared" / "src" / "lib.rs").write_text("//! changed\n")
        git(self.root, "commit", "-q", "-am", "shared")
        self.assertEqual(run(self.root, "--range", "HEAD~1..HEAD").stdout.split(), FUNCTIONS)
        self.assertEqual(run(self.root, "--range", "HEAD..HEAD").stdout.split(), [])

    def test_unresolvable_range_selects_all(self) -> None:
        git(self.root, "init", "-q", "-b", "main")
        git(self.root, "add", "-A")
        git(self.root, "commit", "-q", "-m", "only commit")
        # A first deploy or a shallow clone: HEAD~1 does not exist.
        result = run(self.root, "--range", "HEAD~1..HEAD")
        self.assertEqual(result.stdout.split(), FUNCTIONS)
        self.assertIn("selecting all", result.stderr)


if __name__ == "__main__":
    unittest.main()
