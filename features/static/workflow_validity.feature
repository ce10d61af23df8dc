Feature: The workflow files are valid
  A workflow that GitHub cannot parse never runs. Both files are checked against GitHub's workflow schema and
  by actionlint, the standard linter for GitHub Actions workflows.

  @static
  Scenario: Both workflow files pass the schema and actionlint
    Given the repository being accepted and the plan's expectations
    When I check that the workflow files are valid
    Then both files validate against GitHub's workflow schema
    And actionlint reports nothing
