"""Calls hurried by 1-3 ms statement timeouts (cancels at random points), and what a test reads
afterwards: shared by the tests that attack session-level locks with cancels."""

from __future__ import annotations

import psycopg


def advisory_held(admin: psycopg.Connection, pid: int) -> list[tuple]:
    return admin.execute("select classid, objid, objsubid, mode from pg_locks where pid = %s and locktype = 'advisory'",
                         (pid,)).fetchall()


def rollback(conn: psycopg.Connection) -> None:
    while True:  # a timeout armed by the statement before may cancel the rollback itself
        try:
            conn.rollback()
            return
        except psycopg.errors.QueryCanceled:
            pass


def timeout_off(conn: psycopg.Connection) -> None:
    while True:  # the reset itself may outlast a 1 ms timeout
        try:
            conn.execute("set statement_timeout = 0")
            conn.commit()
            return
        except psycopg.errors.QueryCanceled:
            rollback(conn)
