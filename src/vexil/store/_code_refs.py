"""Code references in the database (docs/code-refs.md): an upload replaces the row of its repository
and branch, so the store holds the latest scan of each. Each function runs inside the caller's
write or read transaction (`SqlStore`)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from vexil.store._docs import Doc, format_time
from vexil.store._values import check_document, check_text
from vexil.store.tables import CodeRefsRow


async def put_code_refs(session: AsyncSession, upload: Mapping[str, Any], at: datetime, *, postgres: bool) -> Doc:
    """Store `upload` (`{repository, branch, commit, refs}`) as the latest of its repository and
    branch, in one upsert: two uploads at once leave one of them whole, never a mix."""
    for where in ("repository", "branch", "commit"):
        check_text(upload[where], where)
    check_document(upload["refs"], "refs")
    values = {**{key: upload[key] for key in ("repository", "branch", "commit", "refs")}, "uploaded_at": at}
    insert = postgresql.insert(CodeRefsRow) if postgres else sqlite.insert(CodeRefsRow)
    keep = {key: values[key] for key in ("commit", "refs", "uploaded_at")}
    await session.execute(
        insert.values(values).on_conflict_do_update(index_elements=["repository", "branch"], set_=keep)
    )
    return _summary(values["repository"], values["branch"], values["commit"], at, values["refs"])


async def code_ref_summaries(session: AsyncSession) -> list[Doc]:
    """Every repository and branch, with its commit, upload time and how many flags it references."""
    rows = await session.scalars(select(CodeRefsRow).order_by(CodeRefsRow.repository, CodeRefsRow.branch))
    return [_summary(row.repository, row.branch, row.commit, row.uploaded_at, row.refs) for row in rows]


async def flag_code_refs(session: AsyncSession, flag: str) -> list[Doc]:
    """Where `flag` is referenced: one entry per repository and branch that has it, with its lines."""
    rows = await session.scalars(select(CodeRefsRow).order_by(CodeRefsRow.repository, CodeRefsRow.branch))
    found: list[Doc] = []
    for row in rows:
        lines = row.refs.get(flag)
        if lines:
            summary = _summary(row.repository, row.branch, row.commit, row.uploaded_at, row.refs)
            del summary["flags"]
            found.append({**summary, "references": lines})
    return found


async def code_ref_counts(session: AsyncSession) -> dict[str, int] | None:
    """Per flag named in any scan: in how many repositories and branches; None when nothing was
    ever uploaded (then nobody knows where a flag is used)."""
    rows = (await session.scalars(select(CodeRefsRow))).all()
    if not rows:
        return None
    counts: dict[str, int] = {}
    for row in rows:
        for flag, lines in row.refs.items():
            if lines:
                counts[flag] = counts.get(flag, 0) + 1
    return counts


def _summary(repository: str, branch: str, commit: str, at: datetime, refs: Mapping[str, Any]) -> Doc:
    return {
        "repository": repository,
        "branch": branch,
        "commit": commit,
        "uploaded_at": format_time(at),
        "flags": sum(1 for lines in refs.values() if lines),
    }
