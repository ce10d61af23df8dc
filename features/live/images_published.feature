Feature: Every service image is published to the registry for the pinned commit
  After the build the plan promises, for each service, an image tagged with the commit's short SHA
  (sha-<first 7 characters>), with "latest" moved to the same image, labelled with the commit it was built from on
  every platform, and built by this run rather than left over from an earlier one.

  @live @dispatch
  Scenario Outline: The <service> image is published for the pinned commit
    Given the repository on GitHub, with its default branch's latest commit pinned
    When the build I started for the pinned commit has finished
    Then the <service> image has a tag made of "sha-" and the pinned commit's short SHA
    And the <service> image's latest tag points to that same image
    And every platform of the <service> image says it was built from the pinned commit
    And the <service> image was pushed by this build, not left over from an earlier one

    # The rows are the plan's services (acceptance.toml's `services`, else the ExecPlan's), filled in when the
    # scenarios are collected.
    Examples: the services of the plan
      | service |
