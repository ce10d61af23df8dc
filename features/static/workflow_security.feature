Feature: The workflows have no serious security weakness
  Beyond the plan: zizmor, a security auditor for GitHub Actions, runs offline on both files. Findings at or
  above the plan's severity (high unless the plan says otherwise) block acceptance; every other finding is
  listed in the report so that it stays visible.

  @static
  Scenario: zizmor finds no blocking weakness
    Given the repository being accepted and the plan's expectations
    When I check the workflows' security
    Then zizmor finds nothing at or above the plan's severity
