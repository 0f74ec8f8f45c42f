"""The listener with PyMySQL: login, scripts and SQL, types, catalog statements, errors, caps."""

from __future__ import annotations

import datetime as dt
import decimal

import pymysql
import pytest
from wire_support import TOKEN, connect, query

from byzer_engine.wire import WireListener


def test_wrong_password_is_access_denied(wire: WireListener) -> None:
    with pytest.raises(pymysql.err.OperationalError) as info:
        connect(wire, password="not-the-token")
    assert info.value.args[0] == 1045
    # The listener still serves the right password afterwards.
    with connect(wire) as connection:
        assert query(connection, "SELECT 1")[1] == [(1,)]


def test_invalid_owner_name_is_refused(wire: WireListener) -> None:
    with pytest.raises(pymysql.err.OperationalError) as info:
        connect(wire, owner="../etc")
    assert info.value.args[0] == 1045


def test_no_token_lets_loopback_clients_in(open_wire: WireListener) -> None:
    with connect(open_wire, password="anything") as connection:
        assert query(connection, "SELECT CURRENT_USER()")[1] == [("alice",)]


def test_what_tools_probe(wire: WireListener) -> None:
    with connect(wire, owner="probe") as connection:
        _, rows = query(connection, "SELECT @@version, @@version_comment, DATABASE()")
        assert rows == [("8.0.29-byzer", "byzer-engine", "session")]
        query(connection, "SET NAMES utf8mb4")
        query(connection, "SET autocommit = 1, sql_mode = 'ANSI'")
        assert query(connection, "SELECT @@sql_mode")[1] == [("ANSI",)]
        databases = {row[0] for row in query(connection, "SHOW DATABASES")[1]}
        assert {"session", "default", "information_schema"} <= databases
        connection.ping()


def test_session_tables_persist_between_statements(wire: WireListener) -> None:
    with connect(wire, owner="persist") as connection:
        _, rows = query(connection, "select 1 as id, 'a' as name as people;")
        assert rows == [(1, "a")]
        # A plain SQL query, and a Byzer script, see the table made by the previous statement.
        assert query(connection, "SELECT name FROM people WHERE id = 1")[1] == [("a",)]
        script = "select id + 1 as id from people as more;\nselect id * 10 as id from more as most;"
        assert query(connection, script)[1] == [(20,)]
        assert query(connection, "SELECT * FROM session.most")[1] == [(20,)]
        assert ("people",) in query(connection, "SHOW TABLES")[1]
        described = query(connection, "DESCRIBE people")[1]
        assert [(r[0], r[1], r[2]) for r in described] == [
            ("id", "int", "NO"),
            ("name", "varchar(65535)", "NO"),
        ]
        full = query(connection, "SHOW FULL COLUMNS FROM people")[0]
        assert full[:3] == ["Field", "Type", "Null"]
        _, tables = query(
            connection,
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'session' ORDER BY table_name",
        )
        assert [t[0] for t in tables] == ["more", "most", "people"]
        _, columns = query(
            connection,
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'session' AND table_name = 'people'",
        )
        assert columns == [("id", "int"), ("name", "varchar(65535)")]
        query(connection, "USE default")
        assert query(connection, "SELECT DATABASE()")[1] == [("default",)]
        with pytest.raises(pymysql.err.OperationalError) as info:
            query(connection, "USE no_such_db")
        assert info.value.args[0] == 1046


def test_owners_do_not_see_each_others_tables(wire: WireListener) -> None:
    with connect(wire, owner="alice") as alice, connect(wire, owner="bob") as bob:
        query(alice, "select 42 as secret as alice_only;")
        assert ("alice_only",) in query(alice, "SHOW TABLES")[1]
        assert ("alice_only",) not in query(bob, "SHOW TABLES")[1]
        with pytest.raises(pymysql.err.OperationalError) as info:
            query(bob, "SELECT * FROM alice_only")
        assert "alice_only" in info.value.args[1]


def test_column_types_map_from_the_spark_schema(wire: WireListener) -> None:
    sql = (
        "SELECT cast(1 as tinyint) t, cast(2 as smallint) s, 3 i, 4L b, cast(1.5 as float) f, 2.25D d,"
        " cast(12.345 as decimal(10,3)) dec, 'text' str, true flag, date'2024-01-02' day,"
        " timestamp'2024-01-02 03:04:05.123' ts, cast('ab' as binary) bin, array(1, 2) arr,"
        " map('k', 1) m, named_struct('x', 1) st, cast(null as int) nothing"
    )
    with connect(wire) as connection, connection.cursor() as cursor:
        cursor.execute(sql)
        row = cursor.fetchone()
        types = [d[1] for d in cursor.description]
        flags = {d[0]: d for d in cursor.description}
    assert row == (
        1,
        2,
        3,
        4,
        1.5,
        2.25,
        decimal.Decimal("12.345"),
        "text",
        1,
        dt.date(2024, 1, 2),
        dt.datetime(2024, 1, 2, 3, 4, 5, 123000),
        b"ab",
        "[1, 2]",
        '{"k": 1}',
        '{"x": 1}',
        None,
    )
    F = pymysql.constants.FIELD_TYPE
    assert types == [
        F.TINY, F.SHORT, F.LONG, F.LONGLONG, F.FLOAT, F.DOUBLE, F.NEWDECIMAL, F.VAR_STRING,
        F.TINY, F.DATE, F.TIMESTAMP, F.BLOB, F.JSON, F.JSON, F.JSON, F.LONG,
    ]  # fmt: skip
    # Precision and scale of the decimal are in the column metadata (description: name, type,
    # display size, internal size, precision, scale, null_ok).
    assert flags["dec"][5] == 3
    assert flags["i"][6] is False and flags["nothing"][6] is True


def test_errors_carry_code_sqlstate_and_position_and_the_connection_goes_on(wire: WireListener) -> None:
    with connect(wire) as connection:
        with pytest.raises(pymysql.err.ProgrammingError) as syntax:
            query(connection, "select 1 as a as t;\nload csv.`x` as")
        code, message = syntax.value.args
        assert code == 1064
        assert message.startswith("<query>:2:16: syntax error:")
        assert "^" in message
        with pytest.raises(pymysql.err.OperationalError) as runtime:
            query(connection, "SELECT * FROM no_such_table_here")
        assert runtime.value.args[0] == 1105
        assert runtime.value.args[1].startswith("<query>:1:15: runtime error: select failed:")
        # A failure after the result's header went out (the job fails while rows stream).
        with pytest.raises(pymysql.err.OperationalError) as midway:
            query(connection, "SELECT raise_error('boom') AS x")
        assert "boom" in midway.value.args[1]
        assert query(connection, "SELECT 1 + 1 AS two")[1] == [(2,)]


def test_sqlstate_is_in_the_error_packet(wire: WireListener) -> None:
    import mysql.connector

    connection = mysql.connector.connect(
        host="127.0.0.1", port=wire.port, user="alice", password=TOKEN, use_pure=True
    )
    try:
        cursor = connection.cursor()
        with pytest.raises(mysql.connector.Error) as info:
            cursor.execute("load csv.`x` as")
        assert (info.value.errno, info.value.sqlstate) == (1064, "42000")
        with pytest.raises(mysql.connector.Error) as info:
            cursor.execute("SELECT * FROM no_such_table_here")
        assert (info.value.errno, info.value.sqlstate) == (1105, "HY000")
        cursor.execute("SELECT 5")
        assert cursor.fetchall() == [(5,)]
    finally:
        connection.close()


def test_output_size_caps_results(wire: WireListener) -> None:
    with connect(wire, owner="capped") as connection:
        assert len(query(connection, "SELECT id FROM range(100)")[1]) == 100
        query(connection, "SET byzer_output_size = 7")
        assert len(query(connection, "SELECT id FROM range(100)")[1]) == 7
        query(connection, "SET byzer_output_size = DEFAULT")
        assert len(query(connection, "SELECT id FROM range(100)")[1]) == 100


def test_statements_without_a_table_answer_ok(wire: WireListener) -> None:
    with connect(wire, owner="oknone") as connection, connection.cursor() as cursor:
        assert cursor.execute('set greeting = "hi";') == 0
        assert cursor.description is None


_ENDLESS = "SELECT max(id * 2) AS m FROM range(0, 10000000000000, 1, 2)"


def _running_wire_jobs(engine: object) -> list[object]:
    return [job for job in engine.running_jobs() if job.job_type == "mysql"]  # type: ignore[attr-defined]


def test_kill_query_kills_the_engine_job_and_the_connection_goes_on(
    wire: WireListener, engine: object
) -> None:
    import threading
    import time

    with connect(wire, owner="killer") as victim, connect(wire, owner="killer") as killer:
        victim_id = query(victim, "SELECT CONNECTION_ID()")[1][0][0]
        failure: list[BaseException] = []

        def run() -> None:
            try:
                query(victim, _ENDLESS)
            except BaseException as exc:
                failure.append(exc)

        thread = threading.Thread(target=run)
        thread.start()
        deadline = time.monotonic() + 120
        while not _running_wire_jobs(engine) and time.monotonic() < deadline:
            time.sleep(0.2)
        # Another owner may not kill it.
        with (
            connect(wire, owner="intruder") as intruder,
            pytest.raises(pymysql.err.OperationalError) as denied,
        ):
            query(intruder, f"KILL QUERY {victim_id}")
        assert denied.value.args[0] == 1095
        query(killer, f"KILL QUERY {victim_id}")
        thread.join(120)
        assert not thread.is_alive()
        assert failure and failure[0].args[0] == 1317
        assert query(victim, "SELECT 1 AS one")[1] == [(1,)]


def test_a_dropped_connection_kills_its_job(wire: WireListener, engine: object) -> None:
    import socket
    import threading
    import time

    connection = connect(wire, owner="dropper")
    failure: list[BaseException] = []

    def run() -> None:
        try:
            query(connection, _ENDLESS)
        except BaseException as exc:
            failure.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    deadline = time.monotonic() + 120
    while not _running_wire_jobs(engine) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _running_wire_jobs(engine)
    connection._sock.shutdown(socket.SHUT_RDWR)
    deadline = time.monotonic() + 60
    while _running_wire_jobs(engine) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _running_wire_jobs(engine)
    thread.join(60)
    assert failure  # the client saw its connection go
    with connect(wire, owner="dropper") as again:
        assert query(again, "SELECT 2 AS two")[1] == [(2,)]
