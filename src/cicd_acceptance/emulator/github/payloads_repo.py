"""JSON bodies for users, repositories, commits, branches and contents, shaped like GitHub's schemas.

Every builder takes :class:`Urls` (built from the request's scheme and host) so absolute URLs point back at the
emulator, whether it runs in-process, on a loopback port or under ``/api/v3``. The fields and their types follow
``github-rest-subset.json``; the contract tests validate every body against it.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from cicd_acceptance.emulator.clock import iso
from cicd_acceptance.emulator.github.repo import Commit, RepoFile

__all__ = ["RepoIdentity", "Urls", "api_root_body", "branch_body", "commit_body", "content_entry_body",
           "content_file_body", "full_repository_body", "meta_body", "node_id", "private_user_body", "rate_limit_body",
           "repository_body", "user_body"]

JsonDict = dict[str, object]


@dataclass(frozen=True)
class Urls:
    """Where the emulator is reachable for this request: ``api`` (with ``/api/v3`` when used) and ``html``."""

    api: str
    html: str

    @property
    def registry_host(self) -> str:
        """``host:port`` of the registry, which the same server answers at ``/v2/``."""
        return self.html.split("://", 1)[-1].rstrip("/")


@dataclass(frozen=True)
class RepoIdentity:
    """The emulated repository's name and fixed attributes."""

    owner: str
    name: str
    repo_id: int
    owner_id: int
    default_branch: str
    created_at: datetime
    pushed_at: datetime

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


def node_id(kind: str, number: int) -> str:
    """A GitHub-like opaque node id (base64 of kind and number)."""
    return base64.b64encode(f"0:{kind}{number}".encode()).decode().rstrip("=")


def user_body(urls: Urls, login: str, user_id: int, *, kind: str = "User") -> JsonDict:
    """A ``simple-user``."""
    api = f"{urls.api}/users/{login}"
    return {
        "login": login, "id": user_id, "node_id": node_id("U", user_id),
        "avatar_url": f"{urls.html}/avatars/u/{user_id}", "gravatar_id": "", "url": api,
        "html_url": f"{urls.html}/{login}", "followers_url": f"{api}/followers",
        "following_url": f"{api}/following{{/other_user}}", "gists_url": f"{api}/gists{{/gist_id}}",
        "starred_url": f"{api}/starred{{/owner}}{{/repo}}", "subscriptions_url": f"{api}/subscriptions",
        "organizations_url": f"{api}/orgs", "repos_url": f"{api}/repos", "events_url": f"{api}/events{{/privacy}}",
        "received_events_url": f"{api}/received_events", "type": kind, "site_admin": False,
        "user_view_type": "public",
    }


_TEMPLATES = {
    "archive_url": "/{archive_format}{/ref}", "assignees_url": "/assignees{/user}",
    "blobs_url": "/git/blobs{/sha}", "branches_url": "/branches{/branch}",
    "collaborators_url": "/collaborators{/collaborator}", "comments_url": "/comments{/number}",
    "commits_url": "/commits{/sha}", "compare_url": "/compare/{base}...{head}", "contents_url": "/contents/{+path}",
    "contributors_url": "/contributors", "deployments_url": "/deployments", "downloads_url": "/downloads",
    "events_url": "/events", "forks_url": "/forks", "git_commits_url": "/git/commits{/sha}",
    "git_refs_url": "/git/refs{/sha}", "git_tags_url": "/git/tags{/sha}", "hooks_url": "/hooks",
    "issue_comment_url": "/issues/comments{/number}", "issue_events_url": "/issues/events{/number}",
    "issues_url": "/issues{/number}", "keys_url": "/keys{/key_id}", "labels_url": "/labels{/name}",
    "languages_url": "/languages", "merges_url": "/merges", "milestones_url": "/milestones{/number}",
    "notifications_url": "/notifications{?since,all,participating}", "pulls_url": "/pulls{/number}",
    "releases_url": "/releases{/id}", "stargazers_url": "/stargazers", "statuses_url": "/statuses/{sha}",
    "subscribers_url": "/subscribers", "subscription_url": "/subscription", "tags_url": "/tags",
    "teams_url": "/teams", "trees_url": "/git/trees{/sha}",
}


def repository_body(urls: Urls, repo: RepoIdentity) -> JsonDict:
    """A ``repository`` (also valid as ``minimal-repository``)."""
    api = f"{urls.api}/repos/{repo.full_name}"
    html = f"{urls.html}/{repo.full_name}"
    host = urls.registry_host
    body: JsonDict = {
        "id": repo.repo_id, "node_id": node_id("R", repo.repo_id), "name": repo.name, "full_name": repo.full_name,
        "owner": user_body(urls, repo.owner, repo.owner_id), "private": False, "html_url": html,
        "description": "Emulated repository served by cicd-acceptance", "fork": False, "url": api,
        "git_url": f"git://{host}/{repo.full_name}.git", "ssh_url": f"git@{host}:{repo.full_name}.git",
        "clone_url": f"{html}.git", "svn_url": html, "mirror_url": None, "homepage": None, "language": "Go",
        "forks": 0, "forks_count": 0, "stargazers_count": 0, "watchers_count": 0, "watchers": 0, "size": 0,
        "default_branch": repo.default_branch, "open_issues": 0, "open_issues_count": 0, "is_template": False,
        "topics": [], "has_issues": True, "has_projects": False, "has_wiki": False, "has_pages": False,
        "has_downloads": True, "has_discussions": False, "archived": False, "disabled": False,
        "visibility": "public", "pushed_at": iso(repo.pushed_at), "created_at": iso(repo.created_at),
        "updated_at": iso(repo.pushed_at), "license": None, "allow_forking": True, "web_commit_signoff_required": False,
    }
    body.update({key: api + suffix for key, suffix in _TEMPLATES.items()})
    return body


def full_repository_body(urls: Urls, repo: RepoIdentity) -> JsonDict:
    """A ``full-repository`` (``GET /repos/{owner}/{repo}``)."""
    body = repository_body(urls, repo)
    body.update({"network_count": 0, "subscribers_count": 0})
    return body


def _git_user(name: str, email: str, date: datetime) -> JsonDict:
    return {"name": name, "email": email, "date": iso(date)}


def commit_body(urls: Urls, repo: RepoIdentity, commit: Commit) -> JsonDict:
    """A ``commit`` (``GET /repos/{owner}/{repo}/commits/{ref}``)."""
    api = f"{urls.api}/repos/{repo.full_name}"
    return {
        "sha": commit.sha, "node_id": node_id("C", int(commit.sha[:12], 16)),
        "url": f"{api}/commits/{commit.sha}", "html_url": f"{urls.html}/{repo.full_name}/commit/{commit.sha}",
        "comments_url": f"{api}/commits/{commit.sha}/comments",
        "commit": {
            "url": f"{api}/git/commits/{commit.sha}",
            "author": _git_user(commit.author_name, commit.author_email, commit.author_date),
            "committer": _git_user(commit.committer_name, commit.committer_email, commit.committer_date),
            "message": commit.message, "comment_count": 0,
            "tree": {"sha": commit.tree, "url": f"{api}/git/trees/{commit.tree}"},
            "verification": {"verified": False, "reason": "unsigned", "signature": None, "payload": None,
                             "verified_at": None},
        },
        # Git authors are not GitHub accounts here; of the schema's forms for that, the empty object is the one
        # openapi validators accept (a null inside nullable oneOf is rejected by them).
        "author": {}, "committer": {},
        "parents": [{"sha": sha, "url": f"{api}/commits/{sha}",
                     "html_url": f"{urls.html}/{repo.full_name}/commit/{sha}"}
                    for sha in commit.parents],
        "files": [],
    }


def branch_body(urls: Urls, repo: RepoIdentity, name: str, commit: Commit) -> JsonDict:
    """A ``branch-with-protection`` (unprotected)."""
    api = f"{urls.api}/repos/{repo.full_name}/branches/{name}"
    return {
        "name": name, "commit": commit_body(urls, repo, commit),
        "_links": {"html": f"{urls.html}/{repo.full_name}/tree/{name}", "self": api},
        "protected": False, "protection": {"enabled": False, "required_status_checks": {
            "enforcement_level": "off", "contexts": [], "checks": []}},
        "protection_url": f"{api}/protection",
    }


def content_file_body(urls: Urls, repo: RepoIdentity, entry: RepoFile, data: bytes, ref: str) -> JsonDict:
    """A ``content-file`` with base64 content (wrapped at 60 columns, as GitHub sends it)."""
    encoded = base64.b64encode(data).decode()
    wrapped = "\n".join(encoded[i:i + 60] for i in range(0, len(encoded), 60)) + ("\n" if encoded else "")
    api = f"{urls.api}/repos/{repo.full_name}/contents/{entry.path}?ref={ref}"
    html = f"{urls.html}/{repo.full_name}/blob/{ref}/{entry.path}"
    git = f"{urls.api}/repos/{repo.full_name}/git/blobs/{entry.blob}"
    return {
        "type": "file", "encoding": "base64", "size": entry.size, "name": entry.path.rsplit("/", 1)[-1],
        "path": entry.path, "content": wrapped, "sha": entry.blob, "url": api, "git_url": git, "html_url": html,
        "download_url": f"{urls.html}/raw/{repo.full_name}/{ref}/{entry.path}",
        "_links": {"self": api, "git": git, "html": html},
    }


def content_entry_body(urls: Urls, repo: RepoIdentity, *, path: str, kind: str, sha: str, size: int,
                       ref: str) -> JsonDict:
    """One item of a ``content-directory`` listing (a file or a sub-directory)."""
    api = f"{urls.api}/repos/{repo.full_name}/contents/{path}?ref={ref}"
    html = f"{urls.html}/{repo.full_name}/{'tree' if kind == 'dir' else 'blob'}/{ref}/{path}"
    git = f"{urls.api}/repos/{repo.full_name}/git/{'trees' if kind == 'dir' else 'blobs'}/{sha}"
    download = f"{urls.html}/raw/{repo.full_name}/{ref}/{path}" if kind == "file" else None
    return {"type": kind, "size": size, "name": path.rsplit("/", 1)[-1], "path": path, "sha": sha, "url": api,
            "git_url": git, "html_url": html, "download_url": download,
            "_links": {"self": api, "git": git, "html": html}}


def meta_body(*, installed_version: str | None) -> JsonDict:
    """``GET /meta``: GHES reports ``installed_version`` (the old-GHES mode sets one below 3.21)."""
    body: JsonDict = {"verifiable_password_authentication": False, "hooks": [], "web": [], "api": [], "git": [],
                      "packages": [], "actions": []}
    if installed_version is not None:
        body["installed_version"] = installed_version
    return body


def rate_limit_body(core: Mapping[str, int], search: Mapping[str, int]) -> JsonDict:
    """``GET /rate_limit``: ``rate`` mirrors ``resources.core`` (GitHub keeps it for compatibility)."""
    return {"resources": {"core": dict(core), "search": dict(search)}, "rate": dict(core)}


def private_user_body(urls: Urls, login: str, user_id: int, *, created_at: datetime) -> JsonDict:
    """A ``private-user`` (``GET /user`` for the token's owner)."""
    body = user_body(urls, login, user_id)
    body.update({
        "user_view_type": "private", "name": login, "company": None, "blog": "", "location": None, "email": None,
        "notification_email": None, "hireable": None, "bio": None, "twitter_username": None, "public_repos": 1,
        "public_gists": 0, "followers": 0, "following": 0, "created_at": iso(created_at),
        "updated_at": iso(created_at), "private_gists": 0, "total_private_repos": 0, "owned_private_repos": 0,
        "disk_usage": 0, "collaborators": 0, "two_factor_authentication": True,
        "plan": {"name": "free", "space": 976562499, "collaborators": 0, "private_repos": 10000},
    })
    return body


def api_root_body(urls: Urls) -> JsonDict:
    """``GET /`` (``/api/v3/`` on GHES): the hypermedia index of the API."""
    api = urls.api
    return {
        "current_user_url": f"{api}/user", "authorizations_url": f"{api}/authorizations",
        "emails_url": f"{api}/user/emails", "events_url": f"{api}/events",
        "rate_limit_url": f"{api}/rate_limit", "repository_url": f"{api}/repos/{{owner}}/{{repo}}",
        "user_url": f"{api}/users/{{user}}", "organization_url": f"{api}/orgs/{{org}}",
        "current_user_repositories_url": f"{api}/user/repos{{?type,page,per_page,sort}}",
    }
