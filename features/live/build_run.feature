Feature: A manually started image build finishes green
  The build workflow can be started by hand. The acceptance starts it exactly once on the default branch, makes
  sure the run it follows is the one it started (never "the newest run", which may be someone else's), and waits
  for it to finish. Every service is built by its own job of the matrix, and every one of them must succeed.

  @live @dispatch
  Scenario: The dispatched build run is found and completes green with every service built
    Given the repository on GitHub, with its default branch's latest commit pinned
    When I start the build workflow on the default branch once and wait for the run it created
    Then the run I waited for is the one my request created, for the pinned commit
    And that build run succeeded, with one successful build job for every service of the plan
