#!/usr/bin/env bash
# Installs the Debian packages the tests need when they are missing: PostgreSQL server and the
# PostgreSQL / SQLite JDBC drivers (found by the engine in /usr/share/java).
set -euo pipefail
need=()
[ -f /usr/share/java/postgresql.jar ] || need+=(libpostgresql-jdbc-java)
[ -f /usr/share/java/sqlite-jdbc.jar ] || ls /usr/share/java/sqlite-jdbc*.jar >/dev/null 2>&1 || need+=(libxerial-sqlite-jdbc-java)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
# The MySQL-protocol tests: the mariadb client and the MariaDB JDBC driver.
command -v mariadb >/dev/null 2>&1 || need+=(mariadb-client)
ls /usr/share/java/mariadb-java-client*.jar >/dev/null 2>&1 || need+=(libmariadb-java)
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" != "0" ]; then
  echo "missing Debian packages: ${need[*]} (run as root, or install them: apt-get install ${need[*]})" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${need[@]}"
