"""Which tags carry the commit: any spelling projects use, never a near miss."""

from __future__ import annotations

import pytest

from cicd_acceptance.committags import CommitTagForm, commit_tag_candidates, commit_tag_form

SHA = "860c1904a1b2c3d4e5f60718293a4b5c6d7e8f90"


@pytest.mark.parametrize(("tag", "form"), [
    (f"sha-{SHA[:7]}", CommitTagForm("sha-", 7, "")),            # metadata-action's type=sha
    (SHA[:7], CommitTagForm("", 7, "")),                         # type=sha,prefix= / value={{sha}}
    (f"sha-{SHA[:12]}", CommitTagForm("sha-", 12, "")),          # DOCKER_METADATA_SHORT_SHA_LENGTH=12
    (SHA, CommitTagForm("", 40, "")),                            # value=${{ github.sha }}
    (f"sha-{SHA}", CommitTagForm("sha-", 40, "")),               # format=long
    (f"git-{SHA[:8]}-amd64", CommitTagForm("git-", 8, "-amd64")),  # prefix= and suffix=
    (f"main.{SHA[:10]}", CommitTagForm("main.", 10, "")),
    (f"v1.2.3-4-g{SHA[:7]}", CommitTagForm("v1.2.3-4-g", 7, "")),  # git describe: g is no hex digit
])
def test_a_tag_holding_seven_or_more_leading_digits_of_the_commit_carries_it(tag: str, form: CommitTagForm) -> None:
    assert commit_tag_form(tag, SHA) == form
    assert form.tag(SHA) == tag


@pytest.mark.parametrize("tag", [
    f"sha-{SHA[:6]}",          # too short to name a commit
    f"sha-{SHA[:7]}f",         # another hex digit follows: another object's digits
    f"a{SHA[:7]}",             # a hex digit before it
    f"sha-{SHA[1:8]}",         # not the leading digits
    "latest",
    f"sha-{SHA[:7]}" + "x" * 130,  # longer than any tag a registry takes
])
def test_near_misses_do_not_carry_the_commit(tag: str) -> None:
    assert commit_tag_form(tag, SHA) is None


def test_the_later_occurrence_is_found_when_the_first_touches_other_digits() -> None:
    tag = f"{SHA[:7]}0-{SHA[:7]}"
    assert commit_tag_form(tag, SHA) == CommitTagForm(f"{SHA[:7]}0-", 7, "")


def test_candidates_put_the_workflows_spelling_first_without_duplicates() -> None:
    forms = (CommitTagForm("sha-", 12, ""), CommitTagForm("sha-", 7, ""))
    assert commit_tag_candidates("sha-", SHA, forms) == (
        f"sha-{SHA[:12]}", f"sha-{SHA[:7]}", f"sha-{SHA}", SHA[:7], SHA)
    assert commit_tag_candidates("", SHA) == (SHA[:7], SHA)
    assert str(forms[0]) == "sha-<sha:12>"
