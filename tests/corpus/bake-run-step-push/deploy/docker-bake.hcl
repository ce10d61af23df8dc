variable "REGISTRY" { default = "localhost:5000" }
variable "TAG" { default = "dev" }
variable "CHANNEL" { default = "stable" }

target "api" {
  context    = ".."
  dockerfile = "build/api.Dockerfile"
  tags       = ["${REGISTRY}/shop-api:${TAG}", "${REGISTRY}/shop-api:latest"]
}

target "worker" {
  context    = ".."
  dockerfile = "build/worker.Dockerfile"
  tags       = ["${REGISTRY}/shop-worker:${CHANNEL}"]
}
