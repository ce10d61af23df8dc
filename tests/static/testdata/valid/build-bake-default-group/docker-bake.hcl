# One bake target per service; docker/metadata-action's bake files fill in the meta-* targets (tags, labels).
target "meta-gateway" {}
target "meta-worker" {}
target "meta-webhook-demo" {}

group "default" {
  targets = ["gateway", "worker", "webhook-demo"]
}

target "_service" {
  context   = "."
  platforms = ["linux/amd64", "linux/arm64"]
}

target "gateway" {
  inherits   = ["_service", "meta-gateway"]
  dockerfile = "Dockerfile.gateway"
  cache-from = ["type=gha,scope=gateway"]
  cache-to   = ["type=gha,mode=max,scope=gateway"]
}

target "worker" {
  inherits   = ["_service", "meta-worker"]
  dockerfile = "Dockerfile.worker"
  cache-from = ["type=gha,scope=worker"]
  cache-to   = ["type=gha,mode=max,scope=worker"]
}

target "webhook-demo" {
  inherits   = ["_service", "meta-webhook-demo"]
  dockerfile = "Dockerfile.webhook-demo"
  cache-from = ["type=gha,scope=webhook-demo"]
  cache-to   = ["type=gha,mode=max,scope=webhook-demo"]
}
