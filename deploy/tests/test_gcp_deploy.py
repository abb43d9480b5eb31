"""deploy/gcp/deploy.sh in dry-run mode: the gcloud commands it would run for each function
carry the settings the issue asks for (asia-south1, min instances 0, concurrency, CPU, memory,
secrets from Secret Manager), every function directory has settings, and bad input fails."""

import os
import shlex
import subprocess
import unittest
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "deploy" / "gcp" / "deploy.sh"
IMAGE = "asia-south1-docker.pkg.dev/jeevibe-prod/jeevibe/jeevibe:b1"
SERVICES = ["quiz-generate", "quiz-complete", "snap-solve", "tutor-chat"]


def dry_run(*functions: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DRY_RUN": "1", "PROJECT_ID": "jeevibe-prod"}
    return subprocess.run(["bash", str(SCRIPT), IMAGE, *functions], env=env, capture_output=True, text=True)


def commands(*functions: str) -> list[list[str]]:
    result = dry_run(*functions)
    assert result.returncode == 0, result.stderr
    return [shlex.split(line) for line in result.stdout.splitlines()]


def flags(command: list[str]) -> dict[str, str]:
    return dict(a[2:].split("=", 1) for a in command if a.startswith("--") and "=" in a)


class GcpDeploy(unittest.TestCase):
    def test_every_function_directory_has_settings(self) -> None:
        names = sorted(p.name for p in (REPO / "functions").iterdir() if (p / "Cargo.toml").is_file())
        self.assertEqual(dry_run(*names).returncode, 0)

    def test_services(self) -> None:
        run = {c[3]: c for c in commands(*SERVICES) if c[:3] == ["gcloud", "run", "deploy"]}
        self.assertEqual(sorted(run), sorted(f"jeevibe-{s}" for s in SERVICES))
        for service in SERVICES:
            with self.subTest(service=service):
                f = flags(run[f"jeevibe-{service}"])
                self.assertEqual(f["region"], "asia-south1")
                self.assertEqual(f["min-instances"], "0")
                self.assertEqual(f["image"], IMAGE)
                self.assertEqual(f["command"], f"/usr/local/bin/{service}")
                self.assertGreater(int(f["concurrency"]), 0)
                self.assertIn(f["cpu"], {"1", "2"})
                self.assertRegex(f["memory"], r"^\d+(Mi|Gi)$")
                env = dict(kv.split("=", 1) for kv in f["set-env-vars"].split(","))
                self.assertEqual(env["JEEVIBE_STORE"], "firestore")
                self.assertEqual(env["FIRESTORE_PROJECT_ID"], "jeevibe-prod")
                self.assertEqual(env["JOB_QUEUE"], "pubsub")
                self.assertEqual(env["JOB_QUEUE_TOPIC"], "projects/jeevibe-prod/topics/jeevibe-jobs")
                self.assertEqual(env["SNAP_IMAGES_URL"], "gs://jeevibe-prod-snap-images/snaps")
                self.assertFalse(any("API_KEY" in k for k in env), "keys come from Secret Manager")
        self.assertEqual(flags(run["jeevibe-snap-solve"])["set-secrets"], "GEMINI_API_KEY=gemini-api-key:latest")
        self.assertEqual(flags(run["jeevibe-tutor-chat"])["set-secrets"], "OPENAI_API_KEY=openai-api-key:latest")
        self.assertEqual(flags(run["jeevibe-tutor-chat"])["timeout"], "300")

    def test_jobs_topic_follows_snap_solve(self) -> None:
        cmds = commands("snap-solve")
        sub = next(c for c in cmds if c[:4] == ["gcloud", "pubsub", "subscriptions", "create"])
        f = flags(sub)
        self.assertEqual(f["topic"], "jeevibe-jobs")
        self.assertTrue(f["push-endpoint"].endswith("/internal/jobs/pubsub"))
        self.assertEqual(f["push-auth-service-account"], "jeevibe-invoker@jeevibe-prod.iam.gserviceaccount.com")
        self.assertEqual((f["dead-letter-topic"], f["max-delivery-attempts"]), ("jeevibe-jobs-dead", "5"))
        topics = [c[4] for c in cmds if c[:4] == ["gcloud", "pubsub", "topics", "create"]]
        self.assertEqual(topics, ["jeevibe-jobs", "jeevibe-jobs-dead"])
        self.assertEqual([c for c in commands("quiz-generate") if "pubsub" in c], [])

    def test_sweep_job_and_schedule(self) -> None:
        cmds = commands("all-in-one")
        job = next(c for c in cmds if c[:4] == ["gcloud", "run", "jobs", "deploy"])
        self.assertEqual((flags(job)["command"], flags(job)["args"]), ("/usr/local/bin/jeevibe", "sweep"))
        sched = next(c for c in cmds if c[:3] == ["gcloud", "scheduler", "jobs"])
        f = flags(sched)
        self.assertEqual((f["schedule"], f["time-zone"], f["location"]), ("30 3 * * *", "Asia/Kolkata", "asia-south1"))
        self.assertTrue(f["uri"].endswith("/locations/asia-south1/jobs/jeevibe-sweep:run"))
        self.assertEqual([c for c in cmds if c[:3] == ["gcloud", "run", "deploy"]], [])

    def test_nothing_and_unknown(self) -> None:
        empty = dry_run()
        self.assertEqual((empty.returncode, empty.stdout), (0, ""))
        self.assertIn("nothing to deploy", empty.stderr)
        unknown = dry_run("quiz-generate", "no-such-function")
        self.assertEqual((unknown.returncode, unknown.stdout), (2, ""))
        self.assertIn("unknown function no-such-function", unknown.stderr)


if __name__ == "__main__":
    unittest.main()
