"""Without a configured secret, every worker on the machine signs CSRF tokens with the same stored one."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from market.settings import Settings, _stored_secret


def test_workers_share_one_stored_secret_readable_only_by_the_owner(tmp_path: Path) -> None:
    first = Settings(var_dir=tmp_path, secret_key="").effective_secret()
    _stored_secret.cache_clear()  # as a second process would: nothing remembered but the file
    second = Settings(var_dir=tmp_path, secret_key="").effective_secret()
    assert first == second and len(first) >= 32
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600


def test_a_configured_secret_wins(tmp_path: Path) -> None:
    assert Settings(var_dir=tmp_path, secret_key="configured-secret").effective_secret() == "configured-secret"
    assert not (tmp_path / "secret_key").exists()


def test_the_audit_key_is_the_setting_else_a_file_generated_once_outside_the_database(tmp_path: Path) -> None:
    generated = Settings(audit_key="", var_dir=tmp_path).effective_audit_key()
    assert generated and (tmp_path / "audit_key").read_text().encode() == generated
    assert stat.S_IMODE((tmp_path / "audit_key").stat().st_mode) == 0o600
    _stored_secret.cache_clear()  # as a second process would: nothing remembered but the file
    assert Settings(audit_key="", var_dir=tmp_path).effective_audit_key() == generated
    assert Settings(audit_key="from-a-secret-store", var_dir=tmp_path).effective_audit_key() == b"from-a-secret-store"
    assert Settings(var_dir=tmp_path).anchor_path == tmp_path / "anchors" / "audit.jsonl"
    assert Settings(audit_anchor_file="/srv/anchors.jsonl").anchor_path == Path("/srv/anchors.jsonl")


def test_residents_numbers_are_kept_90_days_unless_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    # Issue 10 and docs/privacy.md: numbers go 90 days after the class by default; a deployment may say otherwise.
    monkeypatch.delenv("JIEBANG_PHONE_RETENTION_DAYS", raising=False)
    assert Settings().phone_retention_days == 90
    monkeypatch.setenv("JIEBANG_PHONE_RETENTION_DAYS", "30")
    assert Settings().phone_retention_days == 30
