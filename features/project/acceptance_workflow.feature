Feature: This repository's acceptance job runs only by hand, with least privilege
  The harness is also run as a manual job of this repository (.github/workflows/acceptance.yml). That job may
  dispatch a target's build workflow, which pushes images, so it must never start by itself: workflow_dispatch
  only, no schedule. It holds exactly the rights it uses (read code, dispatch and read runs, read packages), runs
  only actions pinned to a commit, keeps no credentials on disk, and always leaves the evidence bundle behind.

  @static
  Scenario: The acceptance job is manual only and holds least privilege
    Given the harness repository's own acceptance workflow
    Then the acceptance workflow is started by workflow_dispatch only
    And the acceptance workflow has no schedule
    And the acceptance job holds exactly contents: read, actions: write and packages: read
    And every action of the acceptance workflow is pinned to a full commit SHA
    And the acceptance workflow's checkouts keep no credentials
    And the acceptance workflow uploads the evidence bundle even when acceptance fails
