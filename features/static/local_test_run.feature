Feature: The tests pass locally
  The plan's first validation step: "run tests locally to confirm the CI command works: go test ./...".
  The commands of the CI test job are run in the repository being accepted.

  @static
  Scenario: The CI test job's commands succeed in the repository
    Given the repository being accepted and the plan's expectations
    When I check the test commands locally
    Then the test job's commands succeed in the target
