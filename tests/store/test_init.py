"""The package's public names."""

from __future__ import annotations

import vexil.store


def test_all__every_name__exported_and_importable() -> None:
    # Given / When
    exported = set(vexil.store.__all__)

    # Then
    assert exported == {
        "By",
        "DEFAULT_ENVIRONMENTS",
        "FLAG_KEYS",
        "MAX_APPROVALS",
        "OVERRIDE_KEYS",
        "StoredVersions",
        "differing",
        "Conflict",
        "InvalidValue",
        "NotFound",
        "SqlStore",
        "Step",
        "StoreError",
        "StoreUnavailable",
        "MAX_DEPTH",
        "check_text",
        "check_version",
        "document_problem",
        "migrate",
        "private_directory",
        "scalar_problem",
        "sqlite_url",
        "text_problem",
        # connected SDKs (core/sdks.py): usage documents merged as the store merges them, stamped alike
        "format_time",
        "merge_usage",
        "utcnow",
        # flag usage (core/usage.py): the rows a flush hands the store
        "UsageRow",
        "check_known",
    }
    assert all(hasattr(vexil.store, name) for name in exported)
