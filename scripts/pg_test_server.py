"""A throwaway PostgreSQL server on a free loopback port, in a temporary folder.

Used by the test suite (a session fixture) and by hand:

    .venv/bin/python scripts/pg_test_server.py      # prints the JDBC URL; Ctrl-C stops and removes it

PostgreSQL refuses to run as root, so when this process is root the server runs as the ``postgres``
user (through ``runuser``) in a folder that user owns.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

SERVICE_USER = "postgres"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def postgres_bin_dir() -> Path:
    """The newest installed server's bin folder (Debian: /usr/lib/postgresql/VERSION/bin)."""
    candidates = glob.glob("/usr/lib/postgresql/*/bin/initdb")
    if not candidates:
        raise RuntimeError("PostgreSQL server binaries not found (install the postgresql package)")
    newest = max(candidates, key=lambda p: int(Path(p).parent.parent.name.split(".")[0]))
    return Path(newest).parent


@dataclass
class PostgresServer:
    root: Path
    port: int
    bin_dir: Path
    database: str = "byzer"
    user: str = "postgres"
    password: str = "byzer-test"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def jdbc_url(self) -> str:
        return f"jdbc:postgresql://127.0.0.1:{self.port}/{self.database}"

    def _command(self, *args: str) -> list[str]:
        if os.getuid() == 0:
            return ["runuser", "-u", SERVICE_USER, "--", *args]
        return list(args)

    def _run(self, *args: str) -> None:
        completed = subprocess.run(self._command(*args), capture_output=True, text=True, check=False)
        if completed.returncode != 0:
            raise RuntimeError(f"{Path(args[0]).name} failed:\n{completed.stdout}\n{completed.stderr}")

    def start(self) -> PostgresServer:
        if os.getuid() == 0:
            account = pwd.getpwnam(SERVICE_USER)
            os.chown(self.root, account.pw_uid, account.pw_gid)
        self._run(
            str(self.bin_dir / "initdb"),
            "-D",
            str(self.data_dir),
            "-U",
            self.user,
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
        )
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off"
        )
        self._run(
            str(self.bin_dir / "pg_ctl"),
            "-D",
            str(self.data_dir),
            "-o",
            options,
            "-l",
            str(self.root / "server.log"),
            "-w",
            "-t",
            "120",
            "start",
        )
        self._create_database()
        return self

    def _create_database(self) -> None:
        import psycopg2

        deadline = time.monotonic() + 60
        while True:
            try:
                connection = psycopg2.connect(
                    host="127.0.0.1", port=self.port, user=self.user, dbname="postgres", connect_timeout=5
                )
                break
            except psycopg2.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE {self.database}")
        connection.close()

    def connect(self):  # type: ignore[no-untyped-def]
        import psycopg2

        return psycopg2.connect(host="127.0.0.1", port=self.port, user=self.user, dbname=self.database)

    def execute(self, *statements: str) -> None:
        connection = self.connect()
        connection.autocommit = True
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
        connection.close()

    def stop(self) -> None:
        if (self.data_dir / "postmaster.pid").exists():
            try:
                self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-m", "fast", "-w", "stop")
            except RuntimeError:
                self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-m", "immediate", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


def start_postgres() -> PostgresServer:
    # Not under pytest's tmp dir: its parents are private to root, and the server user must reach it.
    root = Path(tempfile.mkdtemp(prefix="byzer-pg-"))
    server = PostgresServer(root=root, port=free_port(), bin_dir=postgres_bin_dir())
    try:
        return server.start()
    except BaseException:
        server.stop()
        raise


def main() -> None:
    server = start_postgres()
    print(f"url: {server.jdbc_url}  user: {server.user}  (any password)", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


if __name__ == "__main__":
    main()
