"""Real clients against the real listener: mysql-connector-python (server-side prepared
statements), SQLAlchemy + pandas.read_sql, the mariadb command-line client, and a JDBC program
compiled and run with Java 17 and Debian's MariaDB driver."""

from __future__ import annotations

import datetime as dt
import glob
import shutil
import subprocess
import textwrap
from pathlib import Path

import mysql.connector
import pytest
from wire_support import TOKEN, connect, query

from byzer_engine.wire import WireListener

PEOPLE = (
    "select 1 as id, 'ann' as name, timestamp'2024-01-02 03:04:05' as seen, date'2024-01-02' as born\n"
    "union all select 2, 'bob', timestamp'2024-02-03 04:05:06', date'2023-02-03'\n"
    "union all select 3, 'it''s', timestamp'2024-03-04 05:06:07', date'2022-03-04' as people;"
)


def _connector(wire: WireListener, owner: str) -> mysql.connector.MySQLConnection:
    return mysql.connector.connect(
        host="127.0.0.1", port=wire.port, user=owner, password=TOKEN, use_pure=True, autocommit=True
    )


def test_server_side_prepared_statements_bind_values_safely(wire: WireListener) -> None:
    connection = _connector(wire, "prep")
    try:
        cursor = connection.cursor(prepared=True)
        cursor.execute(PEOPLE)
        cursor.fetchall()
        sql = "SELECT id, name, seen, born FROM people WHERE id >= ? AND name <> ? ORDER BY id"
        cursor.execute(sql, (2, "bob"))
        assert cursor.fetchall() == [(3, "it's", dt.datetime(2024, 3, 4, 5, 6, 7), dt.date(2022, 3, 4))]
        # A value that would end the string and add a condition stays one value.
        cursor.execute("SELECT count(*) FROM people WHERE name = ?", ("x' OR '1'='1",))
        assert cursor.fetchall() == [(0,)]
        cursor.execute("SELECT name FROM people WHERE name = ?", ("it's",))
        assert cursor.fetchall() == [("it's",)]
        # Template and colon syntax of Byzer in a value is not rendered.
        cursor.execute("SELECT ? AS v, ? AS w", ("${HOME} #set($x = 1) :name \\ ?", None))
        assert cursor.fetchall() == [("${HOME} #set($x = 1) :name \\ ?", None)]
        # Dates, times, decimals and negative numbers as parameters.
        cursor.execute(
            "SELECT count(*) FROM people WHERE seen > ? AND born >= ? AND id > ? - 1",
            (dt.datetime(2024, 1, 15), dt.date(2022, 1, 1), -5),
        )
        assert cursor.fetchall() == [(2,)]
        cursor.execute("SELECT ? * 2 AS d", (__import__("decimal").Decimal("1.25"),))
        assert [str(v) for v in cursor.fetchall()[0]] == ["2.50"]
        # A ? inside a string is not a parameter.
        cursor.execute("SELECT '?' AS q, ? AS p", (7,))
        assert cursor.fetchall() == [("?", 7)]
    finally:
        connection.close()


def test_sqlalchemy_and_pandas_read_sql(wire: WireListener) -> None:
    pandas = pytest.importorskip("pandas")
    sqlalchemy = pytest.importorskip("sqlalchemy")
    with connect(wire, owner="pandas") as connection:
        query(connection, PEOPLE)
    url = f"mysql+pymysql://pandas:{TOKEN}@127.0.0.1:{wire.port}/session"
    engine = sqlalchemy.create_engine(url)
    try:
        frame = pandas.read_sql("SELECT id, name, born FROM people ORDER BY id", engine)
        assert list(frame["name"]) == ["ann", "bob", "it's"]
        assert list(frame.columns) == ["id", "name", "born"]
        with engine.connect() as conn:
            rows = conn.execute(sqlalchemy.text("SELECT name FROM people WHERE id = :id"), {"id": 2})
            assert rows.fetchall() == [("bob",)]
        assert "people" in sqlalchemy.inspect(engine).get_table_names()
    finally:
        engine.dispose()


@pytest.mark.skipif(shutil.which("mariadb") is None, reason="needs Debian's mariadb-client")
def test_mariadb_command_line_client(wire: WireListener) -> None:
    # The client cuts statements at ";" (and drops it): a Byzer select that names a view is sent
    # with another delimiter.
    script = (
        "delimiter //\n"
        + PEOPLE
        + "\n//\ndelimiter ;\nSELECT name FROM people WHERE id = 2;\nSELECT count(*) AS n FROM people;\n"
    )
    done = subprocess.run(
        [
            "mariadb",
            "-h",
            "127.0.0.1",
            "-P",
            str(wire.port),
            "-u",
            "cli",
            f"-p{TOKEN}",
            "--batch",
            "--skip-ssl",
        ],
        input=script,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "name\nbob\n" in done.stdout
    assert "n\n3\n" in done.stdout
    failed = subprocess.run(
        [
            "mariadb",
            "-h",
            "127.0.0.1",
            "-P",
            str(wire.port),
            "-u",
            "cli",
            "-pwrong",
            "--skip-ssl",
            "-e",
            "select 1",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert failed.returncode != 0
    assert "1045" in failed.stderr


JDBC_PROGRAM = textwrap.dedent(
    """
    import java.sql.*;

    public class WireJdbc {
        public static void main(String[] args) throws Exception {
            String url = "jdbc:mariadb://127.0.0.1:" + args[0] + "/session?useServerPrepStmts=" + args[2];
            try (Connection conn = DriverManager.getConnection(url, "jdbc", args[1])) {
                try (Statement st = conn.createStatement()) {
                    st.executeQuery(args[3]).close();
                }
                String sql = "select id, name, seen, born from people where id >= ? and name <> ? order by id";
                try (PreparedStatement ps = conn.prepareStatement(sql)) {
                    ps.setInt(1, 1);
                    ps.setString(2, "bob");
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            System.out.println(rs.getInt(1) + "|" + rs.getString(2) + "|" + rs.getTimestamp(3)
                                + "|" + rs.getDate(4));
                        }
                    }
                }
                try (Statement st = conn.createStatement()) {
                    st.executeQuery("select * from no_such_table").close();
                } catch (SQLException e) {
                    System.out.println("error " + e.getErrorCode() + " " + e.getSQLState());
                }
            }
        }
    }
    """
)


def _driver_jar() -> str | None:
    jars = sorted(glob.glob("/usr/share/java/mariadb-java-client*.jar"))
    return jars[0] if jars else None


@pytest.mark.skipif(
    shutil.which("javac") is None or _driver_jar() is None, reason="needs Java 17 and libmariadb-java"
)
@pytest.mark.parametrize("server_prepare", ["true", "false"])
def test_jdbc_program(wire: WireListener, tmp_path: Path, server_prepare: str) -> None:
    source = tmp_path / "WireJdbc.java"
    source.write_text(JDBC_PROGRAM)
    subprocess.run(["javac", "-d", str(tmp_path), str(source)], check=True, timeout=300)
    classpath = f"{tmp_path}:{_driver_jar()}"
    done = subprocess.run(
        ["java", "-cp", classpath, "WireJdbc", str(wire.port), TOKEN, server_prepare, PEOPLE],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines() == [
        "1|ann|2024-01-02 03:04:05.0|2024-01-02",
        "3|it's|2024-03-04 05:06:07.0|2022-03-04",
        "error 1105 HY000",
    ]
