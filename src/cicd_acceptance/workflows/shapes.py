"""Shape validation while building the workflow model: each helper checks one node and names ``path:line``.

A shape error means the file is not a workflow GitHub would run (``jobs`` as a list, a step that is a string);
it is raised as :class:`WorkflowLoadError` worded ``expected ..., found ...`` like every other finding.
"""

from __future__ import annotations

from cicd_acceptance.errors import WorkflowLoadError
from cicd_acceptance.workflows.yamlnode import Node

__all__ = ["Shape"]


class Shape:
    """Shape checks for one file; ``path`` is the display path used in every message."""

    def __init__(self, path: str) -> None:
        self.path = path

    def error(self, message: str, node: Node) -> WorkflowLoadError:
        return WorkflowLoadError(message, path=self.path, line=node.line)

    def mapping(self, node: Node, what: str) -> None:
        if not node.is_mapping:
            raise self.error(f"expected a mapping for {what}, found a {node.kind}", node)

    def sequence(self, node: Node, what: str) -> None:
        if not node.is_sequence:
            raise self.error(f"expected a sequence for {what}, found a {node.kind}", node)

    def text(self, node: Node, what: str) -> str:
        """A scalar as GitHub reads it (``true`` -> ``"true"``, ``1.20`` -> ``"1.20"``)."""
        if not node.is_scalar:
            raise self.error(f"expected a single value for {what}, found a {node.kind}", node)
        return node.scalar_text()

    def optional_text(self, node: Node | None, what: str) -> str | None:
        return None if node is None or node.is_null else self.text(node, what)

    def text_list(self, node: Node | None, what: str) -> tuple[str, ...]:
        """A string or a sequence of strings (GitHub accepts both for filters, ``needs``, ``runs-on``)."""
        if node is None or node.is_null:
            return ()
        if node.is_sequence:
            return tuple(self.text(child, what) for child in node.elements())
        return (self.text(node, what),)

    def optional_list(self, node: Node | None, what: str) -> tuple[str, ...] | None:
        """Like :meth:`text_list`, but ``None`` when the key is absent (absent and empty filters differ)."""
        return None if node is None else self.text_list(node, what)

    def env(self, node: Node | None, what: str) -> dict[str, Node]:
        """A mapping of names to values (``env:``, ``with:``); a whole-mapping expression stays unexpanded."""
        if node is None or node.is_null:
            return {}
        if node.is_string and "${{" in node.scalar_text():
            return {}
        self.mapping(node, what)
        return dict(node.items())
