"""Starts the engine's one root SparkSession: embedded ``local[*]``, any master URL, or Spark Connect.

Spark's own log goes to a file (never to the terminal unless asked), the UI and console progress bars
are off, and the JDBC drivers found on this machine are on the driver's class path so
``DriverManager`` sees them.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from byzer_engine.runtime.config import EngineConfig
from byzer_engine.runtime.jars import find_jars

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

_LOG4J_TEMPLATE = """\
status = error
rootLogger.level = {level}
rootLogger.appenderRefs = {refs}
{appenders}
# Spark's chattiest classes, quiet even at INFO.
logger.jetty.name = org.sparkproject.jetty
logger.jetty.level = warn
logger.parquet.name = org.apache.parquet
logger.parquet.level = error
logger.hadoop_native.name = org.apache.hadoop.util.NativeCodeLoader
logger.hadoop_native.level = error
"""

_FILE_APPENDER = """\
rootLogger.appenderRef.file.ref = file
appender.file.type = RollingFile
appender.file.name = file
appender.file.fileName = {path}
appender.file.filePattern = {path}.%i
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = %d{{yy/MM/dd HH:mm:ss}} %p %c{{1}}: %m%n%ex
appender.file.policies.type = Policies
appender.file.policies.size.type = SizeBasedTriggeringPolicy
appender.file.policies.size.size = 20MB
appender.file.strategy.type = DefaultRolloverStrategy
appender.file.strategy.max = 3
"""

_CONSOLE_APPENDER = """\
rootLogger.appenderRef.console.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{yy/MM/dd HH:mm:ss} %p %c{1}: %m%n%ex
"""


def default_log_file() -> str:
    return str(Path(tempfile.gettempdir()) / f"byzer-engine-{os.getuid()}" / "spark.log")


def write_log4j_config(config: EngineConfig) -> str:
    """Writes the log4j2 properties for this configuration and returns their path."""
    log_file = config.log_file or default_log_file()
    Path(log_file).parent.mkdir(parents=True, exist_ok=True)
    appenders = _FILE_APPENDER.format(path=log_file)
    refs = "file"
    if config.log_to_console:
        appenders += _CONSOLE_APPENDER
        refs = "file, console"
    text = _LOG4J_TEMPLATE.format(level=config.log_level.lower(), refs=refs, appenders=appenders)
    target = (
        Path(log_file).parent / f"log4j2-{config.log_level.lower()}-{int(config.log_to_console)}.properties"
    )
    # Written atomically: several engines on one machine may start at once.
    tmp = target.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(text)
    os.replace(tmp, target)
    return str(target)


# Task slots per core when the master is ``local[*]``. A task that calls a model spends its time
# waiting on a Ray actor, not on a core; with one slot per core, two such long tasks on a 2-core
# machine would hold every slot, and another owner's ``select 1`` (FAIR pools cannot pre-empt a running
# task) would wait until the LLM job ended. Data work still splits into one partition per core.
LOCAL_SLOTS_PER_CORE = 2


def _local_threads(master: str) -> str:
    inside = master[master.find("[") + 1 : master.find("]")] if "[" in master else "1"
    return inside.split(",")[0].strip()


def local_cores(master: str) -> int:
    """Number of cores a ``local[...]`` master stands for (the partition defaults): ``*`` is every core."""
    head = _local_threads(master)
    if head in {"*", ""}:
        return os.cpu_count() or 1
    try:
        return max(int(head), 1)
    except ValueError:
        return os.cpu_count() or 1


def effective_master(master: str) -> str:
    """The master URL handed to Spark: ``local[*]`` becomes ``LOCAL_SLOTS_PER_CORE`` task slots a core.

    An explicit ``local[N]`` (or any cluster URL) is passed on as written.
    """
    if not master.startswith("local[") or _local_threads(master) != "*":
        return master
    slots = max(local_cores(master) * LOCAL_SLOTS_PER_CORE, 2)
    rest = master[master.find("[") + 1 : master.find("]")].split(",")[1:]
    return f"local[{','.join([str(slots), *rest])}]"


def spark_settings(config: EngineConfig) -> dict[str, str]:
    """The SparkConf entries the engine sets before user ones (``config.spark_conf`` wins)."""
    log4j = write_log4j_config(config)
    java_opts = f"-Dlog4j2.configurationFile=file:{log4j}"
    settings: dict[str, str] = {
        "spark.app.name": "byzer-engine",
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.warehouse.dir": str(Path(config.data_root) / "spark-warehouse"),
        # Rows come back as JSON with explicit nulls, the way Byzer returns them.
        "spark.sql.jsonGenerator.ignoreNullFields": "false",
        # ``${...}`` is Byzer's templating, done before Spark sees the text; an unknown variable must
        # stay as written, not become Spark's empty substitution.
        "spark.sql.variable.substitute": "false",
        "spark.driver.extraJavaOptions": java_opts,
        "spark.executor.extraJavaOptions": java_opts,
        # Owners share the task slots: each owner's jobs run in a scheduler pool of their own (set per
        # script by the Engine), so one owner's long job of many tasks does not hold up another owner's
        # small query until it ends. Within one owner, jobs keep their order.
        "spark.scheduler.mode": "FAIR",
        # Byzer runs on Spark 3.3, whose casts give null on bad input instead of failing the query.
        "spark.sql.ansi.enabled": "false",
    }
    for key, value in hive_settings(config).items():
        settings[key] = f"{settings[key]} {value}" if key.endswith("extraJavaOptions") else value
    bind = config.bind_host or ("127.0.0.1" if config.is_local else None)
    if bind:
        # An embedded driver listens on loopback only (its RPC and block manager ports run any job
        # sent to them); a cluster driver binds where ``bind_host`` (or spark.driver.* confs) say.
        settings["spark.driver.host"] = bind
        settings["spark.driver.bindAddress"] = bind
    if config.is_local:
        # A laptop or CI box: the default 200 shuffle partitions is pure overhead.
        settings["spark.sql.shuffle.partitions"] = str(max(local_cores(config.spark_master), 2))
        settings["spark.default.parallelism"] = str(max(local_cores(config.spark_master), 2))
    jars = find_jars(config)
    if jars:
        settings["spark.jars"] = ",".join(jars)
        settings["spark.driver.extraClassPath"] = os.pathsep.join(jars)
        if config.is_local:
            settings["spark.executor.extraClassPath"] = os.pathsep.join(jars)
    for key, value in config.spark_conf.items():
        if key.endswith("extraJavaOptions") and key in settings:
            value = f"{settings[key]} {value}"
        settings[key] = value
    return settings


def hive_settings(config: EngineConfig) -> dict[str, str]:
    """Spark's Hive catalog when ``hive_support`` is on: embedded Derby metastore under the data root."""
    if not config.hive_support:
        return {}
    root = Path(config.data_root)
    settings = {"spark.sql.catalogImplementation": "hive"}
    if config.hive_metastore_uris:
        settings["spark.hadoop.hive.metastore.uris"] = config.hive_metastore_uris
    else:
        settings["spark.hadoop.javax.jdo.option.ConnectionURL"] = (
            f"jdbc:derby:;databaseName={root / 'metastore_db'};create=true"
        )
        # Derby's own log, which it would write into the current folder.
        settings["spark.driver.extraJavaOptions"] = f"-Dderby.stream.error.file={root / 'derby.log'}"
    return settings


@contextmanager
def _jvm_stderr_to(log_file: str) -> Iterator[None]:
    """Points fd 2 at the log file while the JVM starts, so the JVM inherits it for good.

    The JVM prints a few lines straight to its stderr (not through log4j), e.g. about incubator
    modules; a CLI user should not see them.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    target = os.open(log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.dup2(target, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(target)


def quiet_python_loggers() -> None:
    """PySpark logs every SQL error with its JVM stack trace to stderr; the engine reports errors itself."""
    from pyspark.logger import PySparkLogger

    for name in ("SQLQueryContextLogger", "DataFrameQueryContextLogger"):
        PySparkLogger.getLogger(name).disabled = True


def start_spark(config: EngineConfig) -> SparkSession:
    from pyspark.sql import SparkSession

    if not config.log_to_console:
        quiet_python_loggers()

    if config.is_connect:
        builder = SparkSession.builder.remote(config.spark_master)
        for key, value in config.spark_conf.items():
            builder = builder.config(key, value)
        return builder.getOrCreate()
    # Python UDFs run in Spark's Python workers: the interpreter (and venv) of this process.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.master(effective_master(config.spark_master))
    for key, value in spark_settings(config).items():
        builder = builder.config(key, value)
    if config.log_to_console:
        spark = builder.getOrCreate()
    else:
        with _jvm_stderr_to(config.log_file or default_log_file()):
            spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel(config.log_level.upper())
    return spark
