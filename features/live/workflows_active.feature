Feature: Both workflows are live in GitHub Actions
  The plan adds two workflows: CI (tests on every push and pull request) and the image build (on pushes to the
  default branch and on manual dispatch). Committed files are not enough: GitHub Actions must list both of them
  for the repository, and neither may be disabled.

  @live
  Scenario: Both workflows are visible and active on the default branch
    Given the repository on GitHub, with its default branch's latest commit pinned
    When I list the repository's workflows in GitHub Actions
    Then the CI workflow and the build workflow are both listed and active
