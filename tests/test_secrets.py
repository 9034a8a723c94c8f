"""The person-key secret and the files that hold people's data (issue 16, item 4 and part of 5).

The secret turns identifiers into pseudonyms; a database built with one secret must never
take rows pseudonymised with another (the same person would count twice), an empty or
short secret must never be used (every pseudonym could be recomputed from guessed ids),
and the database, secret, accounts and audit files are readable by their owner only.
"""

from __future__ import annotations

import os
import stat

import pytest

from pmhc import audit, auth, db, importer, pseudonym

from .conftest import SMALL

LONG = "a-long-enough-person-key-secret"


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def counts(con) -> dict:
    return dict(con.execute("SELECT 'encounters', count(*) FROM encounters").fetchall())


def test_an_import_with_another_secret_is_refused_and_adds_nothing(tmp_path, monkeypatch):
    path = tmp_path / "pmhc.duckdb"
    monkeypatch.setenv("PMHC_PERSON_KEY_SECRET", LONG)
    con = db.connect(path)
    assert importer.import_file(con, SMALL / "encounters.csv").status == "loaded"
    before = counts(con)
    monkeypatch.setenv("PMHC_PERSON_KEY_SECRET", LONG + "-but-another-one")
    report = importer.import_file(con, SMALL / "encounters.csv")
    assert report.status == "rejected"
    assert "different person-key secret" in report.message and "PMHC_PERSON_KEY_SECRET" in report.message
    assert counts(con) == before
    con.close()


def test_the_same_secret_keeps_importing(tmp_path, monkeypatch):
    monkeypatch.setenv("PMHC_PERSON_KEY_SECRET", LONG)
    con = db.connect(tmp_path / "pmhc.duckdb")
    assert importer.import_file(con, SMALL / "encounters.csv").status == "loaded"
    assert importer.import_file(con, SMALL / "encounters.csv").status == "loaded"
    con.close()


def test_the_stored_fingerprint_does_not_reveal_the_secret(tmp_path, monkeypatch):
    monkeypatch.setenv("PMHC_PERSON_KEY_SECRET", LONG)
    con = db.connect(tmp_path / "pmhc.duckdb")
    importer.import_file(con, SMALL / "encounters.csv")
    (stored,), = con.execute("SELECT value FROM settings WHERE key = 'person_key_fingerprint'").fetchall()
    con.close()
    assert stored == pseudonym.fingerprint(LONG) and LONG not in stored


@pytest.mark.parametrize("secret", ["", "   ", "short-secret"])
def test_an_empty_or_short_secret_is_refused(monkeypatch, secret):
    monkeypatch.setenv("PMHC_PERSON_KEY_SECRET", secret)
    with pytest.raises(pseudonym.SecretError, match="at least 16"):
        pseudonym.person_secret()


def test_an_empty_secret_file_is_refused_and_named(tmp_path, monkeypatch):
    monkeypatch.delenv("PMHC_PERSON_KEY_SECRET", raising=False)
    path = tmp_path / "person_key_secret"
    path.write_text("")
    monkeypatch.setenv("PMHC_SECRET_FILE", str(path))
    with pytest.raises(pseudonym.SecretError, match=str(path)):
        pseudonym.person_secret()


def test_an_import_with_an_empty_secret_file_is_rejected(tmp_path, monkeypatch):
    monkeypatch.delenv("PMHC_PERSON_KEY_SECRET", raising=False)
    (tmp_path / "key").write_text("\n")
    monkeypatch.setenv("PMHC_SECRET_FILE", str(tmp_path / "key"))
    con = db.connect(tmp_path / "pmhc.duckdb")
    report = importer.import_file(con, SMALL / "encounters.csv")
    con.close()
    assert report.status == "rejected" and "empty" in report.message


def test_a_new_secret_file_is_random_owner_only_and_its_place_is_said(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("PMHC_PERSON_KEY_SECRET", raising=False)
    path = tmp_path / "cfg" / "person_key_secret"
    monkeypatch.setenv("PMHC_SECRET_FILE", str(path))
    secret = pseudonym.person_secret()
    assert len(secret) == 64 and mode(path) == 0o600
    err = capsys.readouterr().err
    assert str(path) in err and "Back it up" in err


def test_the_database_file_is_readable_by_its_owner_only(tmp_path):
    old = os.umask(0o022)
    try:
        path = tmp_path / "pmhc.duckdb"
        db.connect(path).close()
    finally:
        os.umask(old)
    assert mode(path) == 0o600


def test_the_audit_log_and_accounts_file_are_owner_only_even_with_an_open_umask(tmp_path, monkeypatch):
    old = os.umask(0)
    try:
        audit.record("login", "alice", path=tmp_path / "audit.jsonl")
        auth.add_user("alice", "admin", "blue heron at dawn", tmp_path / "users.toml")
    finally:
        os.umask(old)
    assert mode(tmp_path / "audit.jsonl") == 0o600
    assert mode(tmp_path / "users.toml") == 0o600


def test_the_snapshot_folder_journal_lock_and_snapshots_are_owner_only_even_with_an_open_umask(tmp_path):
    from pmhc import imports, snapshots

    path = tmp_path / "pmhc.duckdb"
    old = os.umask(0)
    try:
        imports.run([SMALL / "calls.csv"], db_path=path)
        imports.run([SMALL / "encounters.csv"], db_path=path)  # the second copies the first snapshot
    finally:
        os.umask(old)
    folder = snapshots.folder(path)
    assert mode(folder) == 0o700
    files = sorted(folder.iterdir())
    assert {p.name for p in files} >= {"journal.jsonl", "lock"} and len(list(folder.glob("*.duckdb"))) == 2
    assert {p.name: mode(p) for p in files} == {p.name: 0o600 for p in files}


def test_a_snapshot_folder_and_journal_left_open_by_an_older_version_are_tightened(tmp_path):
    from pmhc import imports, snapshots

    path = tmp_path / "pmhc.duckdb"
    imports.run([SMALL / "calls.csv"], db_path=path)
    folder = snapshots.folder(path)
    folder.chmod(0o755)
    for name in ("journal.jsonl", "lock"):
        (folder / name).chmod(0o644)
    imports.run([SMALL / "encounters.csv"], db_path=path)
    assert mode(folder) == 0o700
    assert mode(folder / "journal.jsonl") == 0o600 and mode(folder / "lock") == 0o600
