"""The rule contract: one class per rule, with its code, docs, examples and fix safety."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Optional, Union

from fastlint.findings import ChainStep, RuleMeta, Span

if TYPE_CHECKING:
    import libcst as cst

    from fastlint.fixes import FixContext
    from fastlint.project import ProjectModel


@dataclass(frozen=True)
class Example:
    """An example module for the docs and the tests. ``fixed`` is the code after ``--fix``."""

    code: str
    fixed: Optional[str] = None


@dataclass(frozen=True)
class FixRequest:
    """A fix a finding offers; the rule's ``build_fix`` makes the edit when it is applied."""

    kind: str  # which of the rule's transformations, e.g. "asyncio-sleep"
    title: str
    safety: str  # "safe" or "unsafe"; never safer than the rule declares
    target: str  # the node it rewrites: "call" (at the finding's span) or "function"
    span: Span  # of the call, or of the function's name
    # What the check decided for ``build_fix`` beyond the target (names, spellings, further
    # spans): the check sees the whole project, ``build_fix`` only the file's tree.
    details: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class RawFinding:
    """What a rule reports, before paths are made relative and suppressions applied."""

    path: str  # absolute path of the file
    span: Span
    message: str
    chain: tuple[ChainStep, ...] = ()
    related: tuple[ChainStep, ...] = ()
    fix: Optional[FixRequest] = None


class Rule:
    """Base class of all rules. Subclasses set the class attributes and implement ``check``."""

    code: ClassVar[str]
    name: ClassVar[str]
    summary: ClassVar[str]  # one sentence: what it finds
    fix_title: ClassVar[Optional[str]] = None
    fix_safety: ClassVar[Optional[str]] = None  # "safe", "unsafe" or None
    enabled_by_default: ClassVar[bool] = True
    valid: ClassVar[tuple[str, ...]] = ()
    invalid: ClassVar[tuple[Example, ...]] = ()
    common_doc: ClassVar[str] = ""  # documentation shared by a family of rules

    def check(self, project: ProjectModel) -> Iterator[RawFinding]:
        raise NotImplementedError

    def build_fix(
        self, request: FixRequest, target: cst.CSTNode, context: FixContext
    ) -> Union[cst.CSTNode, dict[cst.CSTNode, cst.CSTNode], None]:
        """The replacement for ``target``, or None when the fix cannot be made safely here.

        A fix that edits several places of the file returns ``{node: replacement}``, every
        node one of the file's own; it is applied only when none of them overlaps another fix.
        """
        return None

    @classmethod
    def meta(cls) -> RuleMeta:
        return RuleMeta(cls.code, cls.name, cls.summary, cls.fix_safety)

    @classmethod
    def documentation(cls) -> str:
        own = inspect.cleandoc(cls.__doc__ or "")
        return f"{own}\n\n{cls.common_doc.strip()}" if cls.common_doc else own
