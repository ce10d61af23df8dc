Feature: The build workflow publishes the three images to GHCR
  The plan: ".github/workflows/build-images.yml runs on pushes to the default branch and on manual dispatch.
  It logs in to GHCR with the GitHub Actions token, builds the gateway, worker and webhook-demo images from
  their Dockerfiles with Buildx and a cache, and pushes them tagged with the commit SHA, plus latest for the
  default branch." Nothing else may publish: no schedule, no pushes from pull requests.

  @static
  Scenario: The build workflow does what the plan promised
    Given the repository being accepted and the plan's expectations
    When I check the build workflow
    Then it runs on pushes to the default branch and on manual dispatch, and nothing else publishes
    And its permissions are contents: read and packages: write, nothing broader
    And it sets up Buildx, and QEMU for other platforms, before building
    And it logs in to ghcr.io with the GitHub Actions token
    And its matrix covers exactly the plan's services and every Dockerfile.<service>
    And it pushes on the default branch
    And it builds with a cache
    And it publishes the plan's images and tags, and latest only from the default branch
    And every image it publishes carries the commit as its revision label
