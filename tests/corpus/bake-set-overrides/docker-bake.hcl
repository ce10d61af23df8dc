target "app" {
  dockerfile = "Dockerfile"
  tags       = ["shop-app:local"]
}

target "cli" {
  dockerfile = "cmd/cli/Dockerfile"
  tags       = ["ghcr.io/acme/shop-cli:nightly"]
  output     = ["type=docker"]
}

target "docs" {
  context = "docs"
}
