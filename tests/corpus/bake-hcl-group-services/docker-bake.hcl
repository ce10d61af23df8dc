# Three services, one target each; `docker buildx bake` builds the default group.
variable "REGISTRY" {
  default = "docker.io/acme"
}

variable "TAG" {
  default = "dev"
}

variable "GITHUB_SHA" {
  default = "unknown"
}

group "default" {
  targets = ["api", "worker", "web"]
}

target "_common" {
  context   = "."
  platforms = ["linux/amd64", "linux/arm64"]
  labels = {
    "org.opencontainers.image.revision" = "${GITHUB_SHA}"
    "org.opencontainers.image.source"   = "https://github.com/acme/shop"
  }
  cache-from = ["type=gha"]
  cache-to   = ["type=gha,mode=max"]
}

target "api" {
  inherits   = ["_common"]
  dockerfile = "docker/api.Dockerfile"
  tags       = ["${REGISTRY}/shop-api:${TAG}"]
}

target "worker" {
  inherits   = ["_common"]
  dockerfile = "docker/worker.Dockerfile"
  tags       = ["${REGISTRY}/shop-worker:${TAG}"]
}

target "web" {
  inherits   = ["_common"]
  context    = "web"
  tags       = ["${REGISTRY}/shop-web:${TAG}"]
  platforms  = ["linux/amd64"]
}
