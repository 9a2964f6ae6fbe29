"""Which database or disk fault an error is: the status and `Retry-After` a client is told (market.problems)."""

from __future__ import annotations

import errno
import sqlite3

import asyncpg
import pytest
from sqlalchemy.exc import DBAPIError, OperationalError, ProgrammingError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from market.problems import BUSY, READ_ONLY, STORAGE_FULL, UNAVAILABLE, Fault, fault_of


def _sqlite(message: str, name: str) -> sqlite3.OperationalError:
    error = sqlite3.OperationalError(message)
    error.sqlite_errorname = name  # type: ignore[attr-defined]
    return error


def _wrapped(orig: BaseException, *, invalidated: bool = False) -> DBAPIError:
    """As SQLAlchemy raises a driver's error: the class it picks, the driver's error as `orig`."""
    return DBAPIError.instance("SELECT 1", {}, orig, Exception, connection_invalidated=invalidated)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("error", "fault"),
    [
        (_sqlite("database is locked", "SQLITE_BUSY"), BUSY),
        (_sqlite("database is locked", "SQLITE_BUSY_SNAPSHOT"), BUSY),
        (_sqlite("unable to open database file", "SQLITE_CANTOPEN"), UNAVAILABLE),
        (_sqlite("database or disk is full", "SQLITE_FULL"), STORAGE_FULL),
        (_sqlite("attempt to write a readonly database", "SQLITE_READONLY"), READ_ONLY),
        (sqlite3.OperationalError("database or disk is full"), STORAGE_FULL),  # no error name: the text
        (asyncpg.exceptions.CannotConnectNowError("the database system is starting up"), UNAVAILABLE),
        (asyncpg.exceptions.AdminShutdownError("terminating connection due to administrator command"), UNAVAILABLE),
        (
            asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
            UNAVAILABLE,
        ),
        (asyncpg.exceptions.TooManyConnectionsError("sorry, too many clients already"), BUSY),
        (asyncpg.exceptions.DiskFullError("could not extend file"), STORAGE_FULL),
        (asyncpg.exceptions.ReadOnlySQLTransactionError("cannot execute INSERT in a read-only transaction"), READ_ONLY),
        (ConnectionRefusedError(errno.ECONNREFUSED, "Connect call failed"), UNAVAILABLE),
        (ConnectionResetError(errno.ECONNRESET, "Connection reset by peer"), UNAVAILABLE),
        (TimeoutError(), UNAVAILABLE),
        (OSError(errno.ENOSPC, "No space left on device"), STORAGE_FULL),
        (OSError(errno.EROFS, "Read-only file system"), READ_ONLY),
        (PoolTimeoutError("QueuePool limit of size 10 overflow 10 reached"), BUSY),
    ],
)
def test_each_fault_is_told_apart_raw_and_as_sqlalchemy_wraps_it(error: BaseException, fault: Fault) -> None:
    assert fault_of(error) is fault
    if not isinstance(error, PoolTimeoutError):
        assert fault_of(_wrapped(error)) is fault
        # Re-raised from (as advanced-alchemy's repository errors are): the cause still counts.
        outer = RuntimeError("repository error")
        outer.__cause__ = _wrapped(error)
        assert fault_of(outer) is fault


def test_a_connection_sqlalchemy_saw_die_is_unavailable_whatever_the_driver_said() -> None:
    assert fault_of(_wrapped(Exception("??"), invalidated=True)) is UNAVAILABLE


def test_every_503_says_when_to_retry_and_a_full_disk_does_not() -> None:
    for fault in (BUSY, UNAVAILABLE, READ_ONLY):
        assert fault.status == 503 and fault.retry_after
        assert fault.problem().headers == {"Retry-After": str(fault.retry_after)}
    assert STORAGE_FULL.status == 507 and STORAGE_FULL.retry_after is None


def test_bugs_are_not_faults() -> None:
    assert fault_of(ValueError("bug")) is None
    assert fault_of(OSError(errno.ENOENT, "No such file")) is None
    assert fault_of(_wrapped(asyncpg.exceptions.UndefinedColumnError("no such column"))) is None
    assert fault_of(ProgrammingError("SELECT", {}, Exception("syntax error"))) is None
    # A schema behind the code (a deploy without its migration) is a bug to see in the log, not a retry.
    missing_column = _sqlite("no such column: signups.attended_count", "SQLITE_ERROR")
    assert fault_of(missing_column) is None
    assert fault_of(OperationalError("SELECT", {}, missing_column)) is None
    # An OperationalError we cannot place is still the database's trouble, not the request's: busy.
    assert fault_of(OperationalError("SELECT", {}, sqlite3.OperationalError("disk I/O error"))) is BUSY
