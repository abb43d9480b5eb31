"""Tests of deploy/check_template.py: the real template passes against a workspace shaped like
ours, and each mistake that sam validate / cfn-lint let through is reported by name."""

import importlib.util
import shutil
import subprocess
import tempfile
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
spec = importlib.util.spec_from_file_location("check_template", HERE.parent / "check_template.py")
ct = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ct)

BINARIES = {
    "quiz-generate": ["quiz-generate"],
    "quiz-complete": ["quiz-complete"],
    "snap-solve": ["snap-solve"],
    "tutor-chat": ["tutor-chat"],
    "snapshot-fanout": ["snapshot-fanout"],
    "all-in-one": ["jeevibe"],
}


def make_workspace(root: Path) -> None:
    """A cargo workspace with our six function packages (no dependencies: offline metadata)."""
    members = []
    for package, bins in BINARIES.items():
        d = root / "functions" / package
        (d / "src").mkdir(parents=True)
        (d / "src" / "lib.rs").write_text("")
        (d / "src" / "main.rs").write_text("fn main() {}\n")
        manifest = f'[package]\nname = "{package}"\nversion = "0.1.0"\nedition = "2021"\n'
        for b in bins:
            manifest += f'\n[[bin]]\nname = "{b}"\npath = "src/main.rs"\n'
        (d / "Cargo.toml").write_text(manifest)
        members.append(f'"functions/{package}"')
    (root / "Cargo.toml").write_text(f"[workspace]\nresolver = \"2\"\nmembers = [{', '.join(members)}]\n")


class CheckTemplate(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.tmp = tempfile.TemporaryDirectory()
        cls.root = Path(cls.tmp.name)
        make_workspace(cls.root)
        cls.members = ct.workspace(cls.root)
        cls.text = (REPO / "template.yaml").read_text()

    @classmethod
    def tearDownClass(cls) -> None:
        cls.tmp.cleanup()

    def problems(self, text: str, members=None) -> list[str]:
        path = self.root / "template.yaml"
        path.write_text(text)
        problems, _ = ct.check(path, self.root, self.members if members is None else members)
        return problems

    def mutated(self, old: str, new: str) -> list[str]:
        self.assertIn(old, self.text, "the mutation must apply to the real template")
        return self.problems(self.text.replace(old, new, 1))

    def test_workspace_metadata_lists_binaries(self) -> None:
        self.assertEqual(self.members[str((self.root / "functions/all-in-one").resolve())], ["jeevibe"])
        self.assertEqual(len(self.members), 6)

    def test_real_template_passes(self) -> None:
        self.assertEqual(self.problems(self.text), [])

    def test_unknown_runtime(self) -> None:
        self.assertEqual(
            self.mutated("Runtime: provided.al2023", "Runtime: provided.al3000"),
            [f"{f}: Runtime 'provided.al3000', expected provided.al2023" for f in
             ["QuizGenerateFunction", "QuizCompleteFunction", "SnapSolveFunction", "TutorChatFunction", "SweepFunction",
              "SnapshotFanoutFunction"]],
        )

    def test_x86_architecture(self) -> None:
        problems = self.mutated("Architectures: [arm64]", "Architectures: [x86_64]")
        self.assertEqual(len(problems), 6)
        self.assertIn("Architectures ['x86_64'], expected ['arm64']", problems[0])

    def test_getatt_to_missing_attribute(self) -> None:
        problems = self.mutated("Queue: !GetAtt JobsQueue.Arn", "Queue: !GetAtt JobsQueue.Url")
        self.assertEqual(problems, ["Resources: !GetAtt: AWS::SQS::Queue 'JobsQueue' has no attribute 'Url'"])

    def test_getatt_to_missing_resource(self) -> None:
        problems = self.mutated("!GetAtt TutorChatFunctionUrl.FunctionUrl", "!GetAtt ChatFunctionUrl.FunctionUrl")
        self.assertEqual(problems, ["Outputs: !GetAtt: no resource named 'ChatFunctionUrl'"])

    def test_ref_and_sub_to_missing_names(self) -> None:
        problems = self.mutated('!Sub "s3://${SnapImagesBucket}/snaps"', '!Sub "s3://${ImagesBucket}/snaps"')
        self.assertEqual(problems, ["Globals: !Sub 's3://${ImagesBucket}/snaps': no parameter or resource named 'ImagesBucket'"])
        problems = self.mutated("JOB_QUEUE_URL: !Ref JobsQueue", "JOB_QUEUE_URL: !Ref JobQueue")
        self.assertEqual(problems, ["Globals: !Ref: no parameter or resource named 'JobQueue'"])

    def test_missing_condition(self) -> None:
        problems = self.mutated("!If [HasGeminiModel,", "!If [HasModel,")
        self.assertEqual(problems, ["Resources: !If: no condition named 'HasModel'"])

    def test_binary_that_matches_nothing(self) -> None:
        problems = self.mutated("BuildProperties: {Binary: jeevibe}", "BuildProperties: {Binary: jeevibe-cli}")
        self.assertEqual(problems, ["SweepFunction: BuildProperties.Binary 'jeevibe-cli' is not a binary of functions/all-in-one (jeevibe)"])

    def test_codeuri_outside_workspace(self) -> None:
        problems = self.mutated("CodeUri: functions/quiz-complete", "CodeUri: functions/quiz-completer")
        self.assertEqual(
            problems,
            ["QuizCompleteFunction: CodeUri functions/quiz-completer has no Cargo.toml",
             "functions/quiz-complete is deployed by no AWS::Serverless::Function"],
        )
        members = {k: v for k, v in self.members.items() if not k.endswith("tutor-chat")}
        problems = self.problems(self.text, members)
        self.assertEqual(problems, ["TutorChatFunction: CodeUri functions/tutor-chat is not a workspace member (add it to Cargo.toml's members)"])

    def test_handler_and_build_method(self) -> None:
        problems = self.mutated("Handler: bootstrap", "Handler: main")
        self.assertEqual(len(problems), 6)
        problems = self.mutated("Metadata: {BuildMethod: rust-cargolambda}\n    Properties:\n      CodeUri: functions/quiz-generate",
                                "Metadata: {BuildMethod: makefile}\n    Properties:\n      CodeUri: functions/quiz-generate")
        self.assertEqual(problems, ["QuizGenerateFunction: Metadata.BuildMethod 'makefile', expected rust-cargolambda"])

    def test_literal_secret(self) -> None:
        problems = self.mutated('GEMINI_API_KEY: !Sub "{{resolve:secretsmanager:${GeminiApiKeySecret}}}"', "GEMINI_API_KEY: AIzaLiteral")
        self.assertEqual(problems, ["SnapSolveFunction: GEMINI_API_KEY must come from {{resolve:secretsmanager:...}} or ssm-secure"])


if __name__ == "__main__":
    unittest.main()
