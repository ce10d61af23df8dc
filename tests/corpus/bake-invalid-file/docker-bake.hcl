group "default" {
  targets = ["api"]
}

target "api" {
  dockerfile = "Dockerfile"
  tags = ["ghcr.io/acme/api:latest"
}
