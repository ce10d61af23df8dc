Feature: The CI workflow tests every change
  The plan: ".github/workflows/ci.yml runs on pull requests and pushes to the default branch. It checks out
  the code, sets up the Go toolchain, and runs go test ./... in the repository root, with a Go version aligned
  with go.mod and the minimal permissions needed to read the repository." It has no scheduled runs.

  @static
  Scenario: The CI workflow does what the plan promised
    Given the repository being accepted and the plan's expectations
    When I check the CI workflow
    Then it runs on pull requests and on pushes to the default branch
    And it has no schedule
    And it has the plan's test job
    And the test job uses actions/checkout and actions/setup-go
    And the Go version follows go.mod
    And the test job runs go test ./... at the repository root
    And its permissions are no broader than contents: read
