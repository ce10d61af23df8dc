"""The one exception tree of cicd-acceptance.

Every error the harness raises on purpose derives from :class:`HarnessError`, so callers (steps, the pytest
plugin, the CLI) can turn any of them into one clear message without a raw traceback::

    HarnessError
    ├── ConfigError                 a setting or plan value is wrong; names its source (option, env, file:key)
    ├── TargetError                 the repository to accept is missing, not a git checkout, or unreadable
    ├── LocalFileError              a file the harness writes (evidence, ExecPlan, summary) cannot be read/written
    ├── WorkflowLoadError           a workflow file cannot be read safely; names path and line
    ├── ToolError                   an external tool (go, actionlint, zizmor, skopeo ...) failed to run
    │   └── ToolMissing             ... or is not installed
    ├── RemoteError                 an HTTP API answered unexpectedly; carries method, url, status_code
    │   ├── GitHubAPIError
    │   │   ├── GitHubAuthError         401: bad or missing token
    │   │   ├── GitHubPermissionError   403: the token lacks a permission (names it when GitHub says)
    │   │   ├── GitHubNotFound          404: repository/workflow/run not found or no access
    │   │   ├── GitHubValidationError   422: e.g. workflow has no workflow_dispatch trigger
    │   │   └── RateLimited             403/429 rate limit that outlasted our patience
    │   └── RegistryError
    │       ├── RegistryAccessDenied    token endpoint said 401/403: private package or no access
    │       └── RegistryNotFound        manifest/blob/repository unknown
    ├── CorrelationError            the dispatched run could not be identified unambiguously
    ├── WaitTimeout                 a bounded wait expired; names the phase it expired in
    └── EmulatorError               the emulator refuses a request; carries GitHub's status and message
        └── Forbidden, NotFound, Conflict, Unprocessable      403, 404, 409, 422; OciRefused (the registry's)

``EmulatorError`` and its subclasses live beside the emulator (:mod:`cicd_acceptance.emulator.errors`), as other
parts keep theirs beside them (the workflow evaluators' ``JsRegexError``, ``TemplateError`` and ``MetadataError``,
the emulator runtime's ``BuildError``); all derive from :class:`HarnessError`.

``ConfigError`` means the user's configuration is wrong: an option, an environment variable, ``acceptance.toml``,
the ExecPlan file or an emulator flag. A target's bad file is a ``WorkflowLoadError`` or ``TargetError``, a server's
bad answer a ``RemoteError`` naming the call, and a call that breaks a function's contract (a programming error)
a plain ``ValueError`` or ``TypeError``.

Messages never contain a token: :class:`cicd_acceptance.secret.Secret` keeps it out of ``str``/``repr`` and
clients redact ``Authorization`` before building messages.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "CorrelationError",
    "GitHubAPIError",
    "GitHubAuthError",
    "GitHubNotFound",
    "GitHubPermissionError",
    "GitHubValidationError",
    "HarnessError",
    "LocalFileError",
    "RateLimited",
    "RegistryAccessDenied",
    "RegistryError",
    "RegistryNotFound",
    "RemoteError",
    "TargetError",
    "ToolError",
    "ToolMissing",
    "WaitTimeout",
    "WorkflowLoadError",
]


class HarnessError(Exception):
    """Base of every error the harness raises on purpose."""


class ConfigError(HarnessError):
    """A setting or plan value is invalid. ``source`` says where it came from (``--plan x.toml:services``)."""

    def __init__(self, message: str, *, source: str | None = None) -> None:
        self.source = source
        super().__init__(f"{source}: {message}" if source else message)


class TargetError(HarnessError):
    """The repository to accept cannot be used (missing, not a git checkout, unreadable)."""

    def __init__(self, message: str, *, path: str) -> None:
        self.path = path
        super().__init__(f"{path}: {message}")


class LocalFileError(HarnessError):
    """A file the harness writes its results to cannot be read back, locked or written (an I/O problem, or a file
    that does not hold what the harness wrote; not a wrong setting). ``source`` names the setting that chose the
    file (``--evidence-dir DIR``), or the file."""

    def __init__(self, message: str, *, source: str) -> None:
        self.source = source
        super().__init__(f"{source}: {message}")


class WorkflowLoadError(HarnessError):
    """A workflow file cannot be loaded safely. Printed as ``path:line: message`` like a compiler error."""

    def __init__(self, message: str, *, path: str, line: int | None = None) -> None:
        self.path = path
        self.line = line
        self.reason = message
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {message}")


class ToolError(HarnessError):
    """An external tool ran but failed in a way that is not a finding (crash, bad usage, unreadable output)."""

    def __init__(self, message: str, *, tool: str) -> None:
        self.tool = tool
        super().__init__(f"{tool}: {message}")


class ToolMissing(ToolError):
    """An external tool is not installed; tests skip on it unless ACCEPTANCE_REQUIRE_TOOLS=1."""


class RemoteError(HarnessError):
    """An HTTP API answered with an error. Carries the call so the message names it."""

    def __init__(self, message: str, *, method: str, url: str, status_code: int | None = None) -> None:
        self.method = method
        self.url = url
        self.status_code = status_code
        self.reason = message
        status = f" -> {status_code}" if status_code is not None else ""
        super().__init__(f"{method} {url}{status}: {message}")


class GitHubAPIError(RemoteError):
    """The GitHub REST API answered with an error."""


class GitHubAuthError(GitHubAPIError):
    """401: the token is missing, wrong or expired."""


class GitHubPermissionError(GitHubAPIError):
    """403 that is not a rate limit: the token lacks a permission (``needed`` names it when GitHub says)."""

    def __init__(self, message: str, *, method: str, url: str, status_code: int | None = 403,
                 needed: str | None = None) -> None:
        self.needed = needed
        super().__init__(message, method=method, url=url, status_code=status_code)


class GitHubNotFound(GitHubAPIError):
    """404: GitHub says 'not found' both for absent things and for things the token may not see."""


class GitHubValidationError(GitHubAPIError):
    """422: the request was understood but refused (e.g. no workflow_dispatch trigger)."""


class RateLimited(GitHubAPIError):
    """A primary or secondary rate limit that we could not wait out within our bounds."""

    def __init__(self, message: str, *, method: str, url: str, status_code: int | None = None,
                 retry_after: float | None = None) -> None:
        self.retry_after = retry_after
        super().__init__(message, method=method, url=url, status_code=status_code)


class RegistryError(RemoteError):
    """An OCI registry answered with an error."""


class RegistryAccessDenied(RegistryError):
    """The registry refused a token or a pull: a private package or no access, never 'tag missing'."""


class RegistryNotFound(RegistryError):
    """The registry does not know the repository, manifest or blob."""


class CorrelationError(HarnessError):
    """The run created by our dispatch could not be identified: zero or several candidates."""


class WaitTimeout(HarnessError):
    """A bounded wait expired. ``phase`` names what we were waiting for (e.g. 'run to appear', 'run to complete')."""

    def __init__(self, message: str, *, phase: str, waited_s: float, last_value: object = None) -> None:
        self.phase = phase
        self.waited_s = waited_s
        self.last_value = last_value
        super().__init__(f"timed out after {waited_s:.0f}s waiting for {phase}: {message}")
