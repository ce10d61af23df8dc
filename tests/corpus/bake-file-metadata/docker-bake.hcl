// Targets of this repository; the tags come from metadata-action's bake file.
target "docker-metadata-action" {}

target "api" {
  inherits   = ["docker-metadata-action"]
  context    = "."
  dockerfile = "Dockerfile.api"
  platforms  = ["linux/amd64", "linux/arm64"]
}
