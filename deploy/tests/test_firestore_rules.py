"""firestore.rules against Google's Firestore emulator: no client request (a signed-in user's
ID token, or none) reads or writes any document, while the backend's admin access still does.

The emulator treats `Authorization: Bearer owner` as admin (rules bypassed, as for the
functions' service accounts) and an unsigned JWT (alg "none") as a Firebase Auth user, whose
requests the rules decide; rules are loaded per project through the emulator's
`PUT /emulator/v1/projects/{project}:securityRules`. A control project with rules that let
user alice read her own document shows that the user token is taken as alice and that the
denials come from firestore.rules, not from a malformed request.

Needs FIRESTORE_EMULATOR_HOST (`eval "$(.ci/firestore-emulator.sh start)"`); run with
`python3 -m unittest deploy/tests/test_firestore_rules.py`.
"""

import base64
import json
import os
import time
import unittest
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HOST = os.environ.get("FIRESTORE_EMULATOR_HOST", "")
PROJECT = "jeevibe-rules-test"
CONTROL = "jeevibe-rules-control"
CONTROL_RULES = """rules_version = '2';
service cloud.firestore {
  match /databases/{database}/documents {
    match /users/{uid} {
      allow read: if request.auth != null && request.auth.uid == uid;
    }
  }
}
"""


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def user_token(project: str, uid: str) -> str:
    """An unsigned Firebase ID token (alg none), as the emulator accepts for a user."""
    now = int(time.time())
    header = {"alg": "none", "typ": "JWT"}
    payload = {
        "iss": f"https://securetoken.google.com/{project}",
        "aud": project,
        "sub": uid,
        "user_id": uid,
        "iat": now,
        "exp": now + 3600,
        "auth_time": now,
        "firebase": {"sign_in_provider": "password", "identities": {}},
    }
    return f"{b64(json.dumps(header).encode())}.{b64(json.dumps(payload).encode())}."


def call(method: str, path: str, token: str | None, body: dict | None = None) -> tuple[int, dict]:
    """One REST call to the emulator; (status, JSON body)."""
    request = urllib.request.Request(
        f"http://{HOST}{path}",
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else {}
    except urllib.error.HTTPError as e:
        raw = e.read()
        return e.code, json.loads(raw) if raw else {}


def docs(project: str) -> str:
    return f"/v1/projects/{project}/databases/(default)/documents"


def load_rules(project: str, text: str) -> None:
    status, body = call(
        "PUT",
        f"/emulator/v1/projects/{project}:securityRules",
        None,
        {"rules": {"files": [{"name": "firestore.rules", "content": text}]}},
    )
    assert status == 200, (status, body)


def seed(project: str) -> None:
    """Documents at the paths the functions use, written with admin access."""
    call("DELETE", f"/emulator/v1/projects/{project}/databases/(default)/documents", None)
    for collection, doc_id, fields in [
        ("users", "alice", {"totals": {"mapValue": {"fields": {"quizzes": {"integerValue": "3"}}}}}),
        ("users/alice/quizzes", "qz_1", {"uid": {"stringValue": "alice"}}),
        ("snaps", "sn_1", {"uid": {"stringValue": "alice"}}),
        ("conversations", "cv_1", {"uid": {"stringValue": "alice"}}),
        ("meta", "question_bank", {"version": {"stringValue": "v1"}}),
    ]:
        status, body = call("POST", f"{docs(project)}/{collection}?documentId={doc_id}", "owner", {"fields": fields})
        assert status == 200, (collection, status, body)


@unittest.skipUnless(HOST, "FIRESTORE_EMULATOR_HOST is not set (eval \"$(.ci/firestore-emulator.sh start)\")")
class FirestoreRules(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        load_rules(PROJECT, (REPO / "firestore.rules").read_text())
        load_rules(CONTROL, CONTROL_RULES)
        seed(PROJECT)
        seed(CONTROL)

    def assert_denied(self, status: int, body: dict) -> None:
        self.assertEqual(status, 403, body)
        self.assertEqual(body["error"]["status"], "PERMISSION_DENIED", body)

    def test_control_rules_see_the_user(self) -> None:
        status, body = call("GET", f"{docs(CONTROL)}/users/alice", user_token(CONTROL, "alice"))
        self.assertEqual(status, 200, body)
        self.assertEqual(body["fields"]["totals"]["mapValue"]["fields"]["quizzes"]["integerValue"], "3")
        self.assert_denied(*call("GET", f"{docs(CONTROL)}/users/alice", user_token(CONTROL, "bob")))

    def test_owner_reads_are_denied(self) -> None:
        alice = user_token(PROJECT, "alice")
        for path in ["users/alice", "users/alice/quizzes/qz_1", "snaps/sn_1", "conversations/cv_1", "meta/question_bank"]:
            with self.subTest(path=path):
                self.assert_denied(*call("GET", f"{docs(PROJECT)}/{path}", alice))

    def test_anonymous_reads_are_denied(self) -> None:
        self.assert_denied(*call("GET", f"{docs(PROJECT)}/users/alice", None))

    def test_lists_and_queries_are_denied(self) -> None:
        alice = user_token(PROJECT, "alice")
        self.assert_denied(*call("GET", f"{docs(PROJECT)}/snaps", alice))
        query = {
            "structuredQuery": {
                "from": [{"collectionId": "snaps"}],
                "where": {
                    "fieldFilter": {"field": {"fieldPath": "uid"}, "op": "EQUAL", "value": {"stringValue": "alice"}}
                },
            }
        }
        status, body = call("POST", f"{docs(PROJECT)}:runQuery", alice, query)
        self.assertEqual(status, 403, body)

    def test_writes_are_denied(self) -> None:
        alice = user_token(PROJECT, "alice")
        fields = {"fields": {"tier": {"stringValue": "ultra"}}}
        self.assert_denied(*call("PATCH", f"{docs(PROJECT)}/users/alice?updateMask.fieldPaths=tier", alice, fields))
        self.assert_denied(*call("POST", f"{docs(PROJECT)}/snaps?documentId=sn_2", alice, {"fields": {}}))
        self.assert_denied(*call("DELETE", f"{docs(PROJECT)}/users/alice/quizzes/qz_1", alice))
        # Nothing changed: the admin still reads the original document, without `tier`.
        status, body = call("GET", f"{docs(PROJECT)}/users/alice", "owner")
        self.assertEqual(status, 200, body)
        self.assertNotIn("tier", body["fields"])
        status, body = call("GET", f"{docs(PROJECT)}/users/alice/quizzes/qz_1", "owner")
        self.assertEqual((status, body["fields"]["uid"]["stringValue"]), (200, "alice"))

    def test_admin_access_is_unaffected(self) -> None:
        status, body = call("GET", f"{docs(PROJECT)}/snaps/sn_1", "owner")
        self.assertEqual((status, body["fields"]["uid"]["stringValue"]), (200, "alice"))


if __name__ == "__main__":
    unittest.main()
