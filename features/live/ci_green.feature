Feature: CI is green for the merged work
  The plan's acceptance starts with green test runs: the CI workflow must have passed for the commit at the top of
  the default branch and for the pull request that brought the work in. A run that has not finished, was cancelled,
  was skipped or failed to start is not green, and a red run names the job and step that failed.

  @live
  Scenario: CI is green for the latest commit of the default branch
    Given the repository on GitHub, with its default branch's latest commit pinned
    When I look up the CI run that the push of the pinned commit started
    Then that CI run succeeded, and so did its test job

  @live
  Scenario: CI is green for the pull request merged into the default branch
    Given the repository on GitHub, with its default branch's latest commit pinned
    When I look up the CI run of the pull request that was merged to make the pinned commit
    Then that CI run succeeded, and so did its test job
