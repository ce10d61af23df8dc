// Filled in by docker/metadata-action (one bake target per image).
target "meta-api" {}
target "meta-worker" {}

group "all" {
  targets = ["api", "worker"]
}

target "api" {
  inherits   = ["meta-api"]
  context    = "."
  dockerfile = "services/api/Dockerfile"
  platforms  = ["linux/amd64", "linux/arm64"]
}

target "worker" {
  inherits   = ["meta-worker"]
  context    = "services/worker"
  platforms  = ["linux/amd64", "linux/arm64"]
}
