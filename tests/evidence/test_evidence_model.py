"""evidence.json: round trip, refusal of other shapes, redaction of values on the way in, the verdict."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import json
from pathlib import Path

import pytest

from cicd_acceptance.errors import LocalFileError
from cicd_acceptance.evidence.jsonable import Redactor, to_jsonable
from cicd_acceptance.evidence.model import SCHEMA_VERSION, EvidenceEntry, evidence_from_json, evidence_to_json
from cicd_acceptance.evidence.verdict import EXIT_MET, EXIT_NOT_MET, EXIT_PARTIAL, decide, is_rehearsal
from cicd_acceptance.secret import Secret
from tests.evidence.evidence_samples import evidence, scenarios

TOKEN = "ghp_canary0123456789abcdefABCDEF"


def test_round_trip_is_lossless_and_stable() -> None:
    original = evidence()
    text = evidence_to_json(original)
    again = evidence_from_json(text)
    assert again == original
    assert evidence_to_json(again) == text
    assert json.loads(text)["schema_version"] == SCHEMA_VERSION == 2


def test_documented_top_level_fields() -> None:
    doc = json.loads(evidence_to_json(evidence()))
    assert set(doc) == {"schema_version", "harness", "started_at", "finished_at", "target", "plan",
                        "settings_sources", "live", "verdict", "scenarios", "api_budget"}
    assert doc["target"]["head_sha"].startswith("0123456")
    assert doc["scenarios"][1]["title"] == "Images [gateway]"
    documented = Path(__file__).resolve().parents[2].joinpath("docs", "evidence.md").read_text()
    for field in doc:
        assert f"`{field}`" in documented, f"docs/evidence.md does not document {field}"


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda d: d.update(schema_version=1), "schema_version 1 is not supported"),
    (lambda d: d["verdict"].update(status="fine"), "$.verdict.status: expected met or not met or partial"),
    (lambda d: d.pop("verdict"), "$.verdict: missing"),
    (lambda d: d["verdict"].update(met="yes"), "$.verdict.met: expected bool"),
    (lambda d: d["scenarios"][0].update(outcome="green"), "$.scenarios[0].outcome: expected passed or failed"),
    (lambda d: d["scenarios"][1]["evidence"][0].update(data=[]), "$.scenarios[1].evidence[0].data: expected dict"),
    (lambda d: d["target"].update(head_sha=None), "$.target.head_sha: expected str"),
])
def test_other_shapes_are_refused_with_the_file_and_path(mutate: object, message: str) -> None:
    doc = json.loads(evidence_to_json(evidence()))
    mutate(doc)  # type: ignore[operator]
    with pytest.raises(LocalFileError) as info:
        evidence_from_json(json.dumps(doc), source="bundle/evidence.json")
    assert str(info.value).startswith("bundle/evidence.json: ")
    assert message in str(info.value)


def test_not_json_names_the_line() -> None:
    with pytest.raises(LocalFileError, match=r"evidence.json: line 2: not JSON"):
        evidence_from_json("{\n oops")


def test_secrets_and_their_base64_forms_are_redacted_everywhere() -> None:
    redact = Redactor([Secret(TOKEN)])
    basic = base64.b64encode(f"x-access-token:{TOKEN}".encode()).decode()
    embedded = base64.b64encode(b'{"auths": {"ghcr.io": "' + TOKEN.encode() + b'"}}').decode()
    value = {"secret": Secret(TOKEN), f"key {TOKEN}": [f"Bearer {TOKEN}", f"Basic {basic}", embedded],
             "when": dt.datetime(2026, 11, 27, tzinfo=dt.UTC), "path": Path("/x") / TOKEN, "set": {3, 1}}
    out = json.dumps(to_jsonable(value, redact))
    assert TOKEN not in out
    assert basic.rstrip("=") not in out
    assert base64.b64encode(TOKEN.encode()).decode()[4:-4] not in out
    assert json.loads(out)["when"] == "2026-11-27T00:00:00+00:00"
    assert json.loads(out)["set"] == [1, 3]
    assert TOKEN not in repr(redact)


def test_dataclasses_and_unknown_objects_become_json() -> None:
    @dataclasses.dataclass(frozen=True)
    class Run:
        id: int
        token: Secret

    class Odd:
        def __str__(self) -> str:
            return f"odd {TOKEN}"

    out = to_jsonable({"run": Run(1, Secret(TOKEN)), "odd": Odd()}, Redactor([TOKEN]))
    assert out == {"run": {"id": 1, "token": "***"}, "odd": "odd ***"}


def test_short_values_are_not_treated_as_secrets() -> None:
    assert Redactor(["ab", None, ""])("ab cd") == "ab cd"


def test_verdict_met_only_when_all_passed() -> None:
    verdict = decide(scenarios())
    assert verdict is not None
    assert verdict.met
    assert verdict.line == "ACCEPTANCE MET"


def test_verdict_not_met_names_failed_and_skipped() -> None:
    verdict = decide(scenarios(failed=True, skipped=True))
    assert verdict is not None
    assert verdict.line == "ACCEPTANCE NOT MET: 1 failed (CI workflow runs go test), 1 skipped (Images [gateway])"
    assert verdict.reason == "1 failed (CI workflow runs go test), 1 skipped (Images [gateway])"


def test_verdict_counts_deselected_criteria_as_not_run() -> None:
    verdict = decide(scenarios(), not_run=["Build images [worker]"])
    assert verdict is not None
    assert verdict.line == "PARTIAL: 2 of 3 criteria met, 1 not run (Build images [worker])"
    assert (verdict.status, verdict.exit_code, verdict.met) == ("partial", EXIT_PARTIAL, False)
    rehearsal = decide(scenarios(), not_run=["Build images [worker]"], rehearsal=True)
    assert rehearsal is not None
    assert rehearsal.line == ("PARTIAL: 2 of 3 criteria met, 1 not run (Build images [worker]) "
                              "(rehearsal: the live checks ran on the bundled emulator)")
    failed = decide(scenarios(failed=True), not_run=["Build images [worker]"])
    assert failed is not None
    assert failed.line == ("ACCEPTANCE NOT MET: 1 failed (CI workflow runs go test), 0 skipped, "
                           "1 not run (Build images [worker])")
    assert failed.exit_code == EXIT_NOT_MET


def test_a_rehearsal_never_says_acceptance() -> None:
    met = decide(scenarios(), rehearsal=True)
    assert met is not None
    assert (met.line, met.met, met.accepted, met.exit_code) == ("REHEARSAL MET", True, False, EXIT_MET)
    red = decide(scenarios(skipped=True), rehearsal=True)
    assert red is not None
    assert red.line == "REHEARSAL NOT MET: 0 failed, 1 skipped (Images [gateway])"
    unfinished = decide(scenarios(), unfinished=["Images [worker]"])
    assert unfinished is not None
    assert unfinished.line == "ACCEPTANCE NOT MET: 0 failed, 0 skipped, 1 not finished (Images [worker])"


def test_rehearsal_comes_from_the_settings_or_from_the_server_never_the_other_way() -> None:
    live = scenarios()
    assert is_rehearsal("emulator", live)
    assert not is_rehearsal("github", live)
    static_only = [s for s in live if "live" not in s.markers]
    assert not is_rehearsal("emulator", static_only)  # -m static: the emulator never started
    said = dataclasses.replace(live[0], evidence=(EvidenceEntry("server", {"kind": "emulator"}),))
    assert is_rehearsal("github", [said])
    denied = dataclasses.replace(live[1], evidence=(EvidenceEntry("server", {"kind": "github"}),))
    assert is_rehearsal("emulator", [denied])  # a server saying "github" cannot undo what the settings know


def test_no_criterion_no_verdict_and_long_lists_are_cut() -> None:
    assert decide([]) is None
    many = [dataclasses.replace(scenarios()[0], nodeid=f"features/x.py::t[{i}]", row=str(i), outcome="skipped")
            for i in range(12)]
    verdict = decide(many)
    assert verdict is not None
    assert verdict.line.endswith(", and 2 more)")
    assert verdict.line.startswith("ACCEPTANCE NOT MET: 0 failed, 12 skipped (CI workflow runs go test [0], ")
