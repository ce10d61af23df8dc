target "svc" {
  name   = "svc-${item}"
  matrix = { item = ["a", "b"] }
  tags   = ["ghcr.io/acme/svc-${item}:latest"]
}
