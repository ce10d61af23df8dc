variable "VERSION" {}
variable "IS_MAIN" { default = false }

function "image" {
  params = [name]
  result = "ghcr.io/acme/${name}"
}

group "default" {
  targets = ["api", "web"]
}

target "api" {
  dockerfile = "Dockerfile.api"
  tags = [
    "ghcr.io/acme/api:${VERSION}",
    IS_MAIN ? "ghcr.io/acme/api:latest" : "",
  ]
}

target "web" {
  dockerfile = "Dockerfile.web"
  tags       = ["${image("web")}:${lower(VERSION)}"]
  labels     = merge({}, {})
}
