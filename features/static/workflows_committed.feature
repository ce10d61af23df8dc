Feature: The workflow files are committed
  GitHub runs only what is in the repository's history. A workflow file that exists on a laptop but was
  never committed, or was changed after the last commit, is not what GitHub will run.

  @static
  Scenario: Both workflow files are committed exactly as they are on disk
    Given the repository being accepted and the plan's expectations
    When I check that the workflow files are committed
    Then both workflow files exist
    And both workflow files are tracked at HEAD
    And the working-tree copies equal HEAD
