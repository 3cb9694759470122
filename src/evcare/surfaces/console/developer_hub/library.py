"""The documentation library: the project's ``docs/developer-hub/`` and
``docs/integrations/`` Markdown, rendered as console pages
(``/developer-hub/docs/<folder>/<name>``).

Rendered with markdown-it-py (CommonMark plus tables), raw HTML off, so a document can
never put a script or an attribute on the page. Links between the documents point to
their pages; headings get GitHub-style ids so ``#anchor`` links keep working. The files
are read from the checkout (``docs/`` beside ``src/``), where ``evcare up`` runs; an
installation without them shows the library without its pages.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from markdown_it import MarkdownIt

from evcare.core.errors import NotFound

DOCS_DIR = Path(__file__).resolve().parents[5] / "docs"
FOLDERS = ("developer-hub", "integrations")
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,80}$")


@dataclass(frozen=True)
class Document:
    title: str
    summary: str
    folder: str
    name: str  # the file name without ``.md``

    @property
    def href(self) -> str:
        return f"/developer-hub/docs/{self.folder}/{self.name}"

    @property
    def source(self) -> str:
        return f"docs/{self.folder}/{self.name}.md"


# Seed 000's "Documentation Library", in its order and words.
LIBRARY: tuple[Document, ...] = (
    Document("Developer Hub Index", "Master table of contents for all integration docs.",
             "developer-hub", "README"),
    Document("Quickstart", "5-step integration bootstrap with cURL examples.",
             "developer-hub", "01-quickstart"),
    Document("Authentication and Credentials",
             "Client ID/secret, token exchange, rotation, and revocation.",
             "developer-hub", "02-authentication"),
    Document("Federated Sign-In and Embed",
             "External user login, session code redemption, and hosted embed flow.",
             "developer-hub", "03-federated-login-and-embed"),
    Document("Access Bundles and Endpoint Selection",
             "Bundle decision guide and allowlist strategy.",
             "developer-hub", "04-access-bundles-and-endpoint-selection"),
    Document("Webhooks and Delivery Reliability",
             "Configuration, delivery logs, retries, and replay.",
             "developer-hub", "05-webhooks-and-reliability"),
    Document("Subscriptions and Paystack",
             "Usage metering, invoices, initialize/verify/webhook payment lifecycle.",
             "developer-hub", "06-subscriptions-and-paystack"),
    Document("Errors, Idempotency, and Security",
             "Error matrix, required headers, signatures, and secure operation.",
             "developer-hub", "07-errors-idempotency-and-security"),
    Document("Testing and Go-Live Checklist",
             "Validation checklist and production readiness.",
             "developer-hub", "08-testing-and-go-live"),
    Document("Maintenance Service Selection",
             "Configure allowed organizations/workshops and independent workshop selection.",
             "developer-hub", "09-maintenance-service-selection"),
    Document("Troubleshooting Matrix",
             "Common integration failures and precise remediation steps.",
             "developer-hub", "10-troubleshooting-matrix"),
    Document("Questionnaire and Access Recommender",
             "Integrator questionnaire, confidence score, and rationale output.",
             "integrations", "questionnaire"),
    Document("Security and Reliability Deep Dive",
             "Platform security posture, integrity controls, and reliability guarantees.",
             "integrations", "security-and-reliability"),
    Document("Backward Compatibility Guide",
             "Migration and coexistence guidance for existing integrations.",
             "integrations", "migration-and-backward-compat"),
)  # fmt: skip


def _path_of(folder: str, name: str) -> Path | None:
    if folder not in FOLDERS or not (_NAME.match(name) or name == "README"):
        return None
    path = DOCS_DIR / folder / f"{name}.md"
    return path if path.is_file() else None


def available(document: Document) -> bool:
    return _path_of(document.folder, document.name) is not None


@dataclass(frozen=True)
class RenderedDocument:
    title: str
    html: str
    source: str


def render_document(folder: str, name: str) -> RenderedDocument:
    """The page of ``docs/<folder>/<name>.md``; NotFound for anything else."""
    path = _path_of(folder, name)
    if path is None:
        raise NotFound("No such document in the library")
    return _rendered(path, folder, name, path.stat().st_mtime_ns)


@cache
def _rendered(path: Path, folder: str, name: str, _mtime: int) -> RenderedDocument:
    text = path.read_text(encoding="utf-8")
    tokens = _markdown.parse(text)
    title = name
    seen: dict[str, int] = {}
    for index, token in enumerate(tokens):
        if token.type == "heading_open":
            inline = tokens[index + 1].content
            if token.tag == "h1" and title == name:
                title = inline.replace("`", "")
            token.attrSet("id", _anchor(inline, seen))
        if token.type == "inline" and token.children:
            for child in token.children:
                if child.type == "link_open":
                    child.attrSet("href", _page_link(folder, str(child.attrGet("href") or "")))
    html = _markdown.renderer.render(tokens, _markdown.options, {})
    return RenderedDocument(title=title, html=html, source=f"docs/{folder}/{name}.md")


def _anchor(heading: str, seen: dict[str, int]) -> str:
    """GitHub's heading id: lower case, punctuation dropped, spaces to hyphens."""
    slug = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
    count = seen.get(slug, 0)
    seen[slug] = count + 1
    return slug if count == 0 else f"{slug}-{count}"


def _page_link(folder: str, href: str) -> str:
    """A relative link to another library document becomes that document's page."""
    if re.match(r"^[a-z][a-z0-9+.-]*:", href) or href.startswith(("/", "#")):
        return href
    target, _, fragment = href.partition("#")
    resolved = posixpath.normpath(posixpath.join(folder, target))
    parts = resolved.split("/")
    if len(parts) == 2 and parts[1].endswith(".md"):
        page_folder, page_name = parts[0], parts[1][:-3]
        if _path_of(page_folder, page_name) is not None:
            return f"/developer-hub/docs/{page_folder}/{page_name}" + (
                f"#{fragment}" if fragment else ""
            )
    if resolved == "integrations/integrations.openapi.yaml":
        return "/v1/openapi.json"
    return "/developer-hub#library"  # outside the library (EVCare's internal docs)


_markdown = MarkdownIt("commonmark", {"html": False}).enable("table")

__all__ = ["LIBRARY", "Document", "RenderedDocument", "available", "render_document"]
