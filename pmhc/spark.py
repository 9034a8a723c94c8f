"""The same figures on Apache Spark, for data one machine's DuckDB cannot hold.

`connect(DIR)` reads a Parquet copy (`pmhc export-parquet`, pmhc.parquet: Hive layout
agency=<key>/month=YYYY-MM) into a Spark session as temporary views named like the
database's tables, adds the agency's settings tables and the views of queries/models.sql,
and returns a SparkEngine. The metrics layer takes a SparkEngine wherever it takes a
DuckDB connection (pmhc.sql runs each named query on it), so `pmhc.metrics.headline`,
`pmhc figures --engine spark` and the tests run the very text of queries/*.sql, translated
by pmhc.spark_sql, with parameters bound by Spark.

Results come back as Arrow and are turned into Python by DuckDB's own converter, so a
figure is the same DataFrame (and the same JSON) whichever engine computed it.

Time: the Spark session's time zone is set to the agency's, as DuckDB's TimeZone is, so
an arrest time (TIMESTAMPTZ in Parquet, an instant) falls on the same local day in both;
received_local (a wall-clock TIMESTAMP) is read by Spark as TIMESTAMP_NTZ and never
shifted.

pyspark (and Java 17) are needed only here: `pip install 'pmhc[spark]'`.
"""

from __future__ import annotations

import os
import warnings
from datetime import date, datetime
from pathlib import Path

import duckdb
import pandas as pd

from . import parquet, rollups, schema, sql
from .config import QUERIES_DIR, AgencyConfig, load_agency

TABLES = tuple(parquet.PARTITION_MONTH)
# pyspark warns that its own pandas conversion is untested with pandas 3; results here
# travel as Arrow and are converted by DuckDB, never by pyspark.
warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)
# Session settings the translated SQL relies on (set on an existing session too).
SESSION_CONF = {
    # partition values stay text ('2024-01' is not read as a date, an agency key as a number)
    "spark.sql.sources.partitionColumnTypeInference.enabled": "false",
    # Parquet TIMESTAMP without a zone (received_local) is wall-clock time, as in DuckDB
    "spark.sql.parquet.inferTimestampNTZ.enabled": "true",
}


def _is_remote(path: str) -> bool:
    """A location Spark reads but this process may not (s3a://, abfss://, dbfs:/, hdfs://)."""
    return "://" in path or path.startswith("dbfs:")


def _active_session():
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        return None
    return SparkSession.getActiveSession()


def session(master: str | None = None, app_name: str = "pmhc figures"):
    """A Spark session (the one this process has, if any). `master` (or $PMHC_SPARK_MASTER)
    names a cluster; without one, spark-submit's --master holds when spark-submit started
    this process, else local mode on every core, with few shuffle partitions (the figure
    queries move little data) and only errors logged. Raises EngineUnavailable when
    pyspark or Java is missing."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise sql.EngineUnavailable("the Spark engine needs pyspark and sqlglot: pip install 'pmhc[spark]' "
                                    "(README: The Spark path)") from None
    master = master or os.environ.get("PMHC_SPARK_MASTER")
    submitted = "PYSPARK_GATEWAY_PORT" in os.environ  # started by spark-submit: its --master holds
    if master is None and not submitted:
        master = "local[*]"
    builder = SparkSession.builder.appName(app_name)
    if master is not None:
        builder = builder.master(master)
    if master is not None and master.startswith("local"):
        log_config = Path(__file__).with_name("spark-log4j2.properties").as_uri()
        builder = (builder.config("spark.sql.shuffle.partitions", str(os.cpu_count() or 1))
                   .config("spark.ui.enabled", "false")
                   .config("spark.ui.showConsoleProgress", "false")
                   .config("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile={log_config}"))
    try:
        spark = builder.getOrCreate()
    except Exception as e:  # pyspark raises its own error when the Java gateway cannot start
        if "JAVA_GATEWAY_EXITED" in str(e) or "JAVA_HOME" in str(e) or isinstance(e, FileNotFoundError):
            raise sql.EngineUnavailable(
                f"Spark could not start its Java runtime ({e}). It needs Java 17 or newer: "
                "sh scripts/ensure-java.sh installs Debian's openjdk-17-jre-headless.") from None
        raise
    spark.sparkContext.setLogLevel(os.environ.get("PMHC_SPARK_LOG_LEVEL", "ERROR"))
    return spark


class SparkEngine:
    """Runs the named queries of queries/*.sql on a Spark session that `attach` prepared.

    pmhc.sql hands it a query and its bound parameters; it returns what DuckDB returns:
    a pandas DataFrame (`df`) or a list of dicts (`records`). It reads the copy as it was
    when attached (Spark lists the files then), so a result is kept and a query asked
    again with the same parameters is not sent to Spark again: the metrics layer asks
    for the coverage of a selection several times per page or command, and each Spark
    query costs a job's start-up. Connect again to read a newer export."""

    def __init__(self, spark, cfg: AgencyConfig, owns_session: bool = False):
        self.spark = spark
        self.cfg = cfg
        self._owns_session = owns_session
        self._results: dict = {}
        # Converts Spark's Arrow results to pandas and Python values exactly as DuckDB
        # converts its own (same dtypes, same None for NULL), in the agency's zone.
        self._convert = duckdb.connect()
        self._convert.execute("SET TimeZone = $tz", {"tz": cfg.timezone})

    def _arrow(self, query: sql.Query, params: dict):
        key = (query.sql, tuple(sorted(params.items())))
        if key not in self._results:
            args, dates = _spark_args(params)
            text = _translator().to_spark(query.sql, frozenset(dates))
            self._results[key] = self.spark.sql(text, args=args).toArrow()
        return self._results[key]

    def df(self, query: sql.Query, params: dict) -> pd.DataFrame:
        spark_result = self._arrow(query, params)  # noqa: F841 (read by name by DuckDB below)
        return self._convert.sql("SELECT * FROM spark_result").df()

    def pandas(self, frame) -> pd.DataFrame:
        """Any Spark DataFrame (e.g. `engine.spark.sql(...)` in a notebook) as pandas,
        converted as the named queries' results are."""
        spark_result = frame.toArrow()  # noqa: F841 (read by name by DuckDB below)
        return self._convert.sql("SELECT * FROM spark_result").df()

    def records(self, query: sql.Query, params: dict) -> list[dict]:
        spark_result = self._arrow(query, params)  # noqa: F841 (read by name by DuckDB below)
        res = self._convert.sql("SELECT * FROM spark_result")
        return [dict(zip(res.columns, r)) for r in res.fetchall()]

    def close(self) -> None:
        self._results.clear()
        self._convert.close()
        if self._owns_session:
            self.spark.stop()


def _translator():
    """pmhc.spark_sql (sqlglot), imported when a query is first translated."""
    try:
        from . import spark_sql
    except ImportError:
        raise sql.EngineUnavailable("the Spark engine needs pyspark and sqlglot: pip install 'pmhc[spark]' "
                                    "(README: The Spark path)") from None
    return spark_sql


def _spark_args(params: dict) -> tuple[dict, list[str]]:
    """Spark's parameter values, and the names of the DATE parameters. A date travels as
    ISO text and is cast to DATE in the SQL (pmhc.spark_sql.to_spark): pyspark's own date
    literal cannot express a year before 1000 (the coverage query's 'everything loaded'
    starts on 0001-01-01)."""
    args, dates = {}, []
    for name, value in params.items():
        if isinstance(value, date) and not isinstance(value, datetime):
            args[name] = value.isoformat()
            dates.append(name)
        else:
            args[name] = value
    return args, dates


def _read(spark, path: str):
    """The Parquet data at `path`, or None when nothing is there."""
    from pyspark.errors import AnalysisException

    try:
        return spark.read.parquet(path)
    except AnalysisException as e:
        if "PATH_NOT_FOUND" in str(e) or "UNABLE_TO_INFER_SCHEMA" in str(e):
            return None
        raise


def _rows(spark, base: str, table: str, key: str):
    """A table's rows of one agency, with its `agency` (from the folder) and without the month."""
    from pyspark.errors import AnalysisException

    try:
        frame = spark.read.option("basePath", f"{base}/{table}").parquet(f"{base}/{table}/{parquet.AGENCY_COLUMN}={key}")
    except AnalysisException as e:
        why = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise FileNotFoundError(f"No {table} of agency {key!r} in the Parquet copy at {base} ({why}). "
                                "Write one with `pmhc export-parquet --db DB --out DIR`.") from None
    return frame.drop(parquet.PARTITION_COLUMN)  # the agency stays: the SQL reads it


def _settings_frames(spark, base: str, cfg: AgencyConfig) -> dict:
    """The settings tables queries/models.sql reads: the outcome and responder groups
    (pmhc.schema.GROUPS, as pmhc.db.write_groups writes them), and the data rules and
    disposition map stored with the copy — the agency's settings when the copy has none."""
    key = cfg.agency_key
    groups = [(kind, grp, v) for (kind, grp), values in schema.GROUPS.items() for v in values]
    frames = {"vocabulary_groups": spark.createDataFrame(groups, "kind STRING, grp STRING, value STRING")}
    stored = {name: _read(spark, f"{base}/{name}/{parquet.AGENCY_COLUMN}={key}") for name in parquet.SETTINGS_TABLES}
    from pyspark.sql import functions as F

    frames["data_rules"] = (
        stored["settings"].where("key LIKE 'rule:%'").select(F.lit(key).alias("agency"),
                                                             F.expr("substring(key, 6)").alias("rule"), "value")
        if stored["settings"] is not None else
        spark.createDataFrame([(key, "co_responder_empty", cfg.co_responder_empty)],
                              "agency STRING, rule STRING, value STRING"))
    # other settings stored with the copy: the repeat setting the stored contact facts were
    # built with (queries/repeat.sql :: repeat_facts_min_contacts)
    frames["settings"] = (stored["settings"].where("key NOT LIKE 'rule:%'").select("key", "value")
                          if stored["settings"] is not None else
                          spark.createDataFrame([], "key STRING, value STRING"))
    frames["disposition_map"] = (
        stored["disposition_map"].select(F.lit(key).alias("agency"), "code", "outcome")
        if stored["disposition_map"] is not None else
        spark.createDataFrame([(key, *p) for p in cfg.dispositions], "agency STRING, code STRING, outcome STRING"))
    return frames



def attach(spark, parquet_dir: Path | str, cfg: AgencyConfig | None = None) -> None:
    """Register a Parquet copy in `spark` as temporary views named like the database's
    tables and views (calls, encounters, arrests, the settings tables, the views of
    queries/models.sql and the stored totals), for the agency of `cfg`."""
    cfg = cfg or load_agency()
    spark_sql = _translator()
    key = cfg.agency_key
    base = str(parquet_dir).rstrip("/")
    if not _is_remote(base):
        base = str(parquet.check_copy(base, key).resolve())
    spark.conf.set("spark.sql.session.timeZone", cfg.timezone)
    for name, value in SESSION_CONF.items():
        spark.conf.set(name, value)
    for table in TABLES:
        _rows(spark, base, table, key).createOrReplaceTempView(table)
    for name, frame in _settings_frames(spark, base, cfg).items():
        frame.createOrReplaceTempView(name)
    for q in sql.parse_file(QUERIES_DIR / "models.sql").values():
        view = spark_sql.view_of(q.sql)
        if view is not None:  # CREATE TABLE disposition_map: its rows come from the settings above
            name, select = view
            spark.sql(select).createOrReplaceTempView(name)
    for name in rollups.ROLLUPS:
        stored = _read(spark, f"{base}/{name}/{parquet.AGENCY_COLUMN}={key}")
        if stored is None:
            # Not exported with the rows: computed by Spark from them, once per session
            # (the contact facts over all contacts, for the agency's $min_contacts).
            if name == "encounter_facts_stored":
                spark.sql("SELECT * FROM encounter_facts").createOrReplaceTempView("encounter_facts_scope")
                spark.sql(spark_sql.to_spark(rollups.PERSON_NUMBERS_SELECT)).createOrReplaceTempView("person_numbers")
                built = spark.createDataFrame([(rollups.MIN_CONTACTS, str(rollups.min_contacts(cfg)))],
                                              "key STRING, value STRING")
                spark.sql(f"SELECT * FROM settings WHERE key <> '{rollups.MIN_CONTACTS}'").unionByName(built) \
                    .cache().createOrReplaceTempView("settings")
            stored = spark.sql(spark_sql.to_spark(rollups.computed_sql(name, cfg))).cache()
        else:
            from pyspark.sql import functions as F

            stored = stored.drop(parquet.AGENCY_COLUMN).select(F.lit(key).alias(parquet.AGENCY_COLUMN), "*")
        stored.createOrReplaceTempView(name)


def connect(parquet_dir: Path | str, cfg: AgencyConfig | None = None, *, spark=None,
            master: str | None = None) -> SparkEngine:
    """A SparkEngine over a Parquet copy, usable wherever the metrics layer takes a
    connection. `spark`: a session to use (a Databricks notebook's `spark`, or the tests'
    one); otherwise a new one is made (`session(master)`) and stopped by close()."""
    cfg = cfg or load_agency()
    owns = spark is None and _active_session() is None  # a session this process had stays open
    spark = spark if spark is not None else session(master)
    try:
        attach(spark, parquet_dir, cfg)
    except BaseException:
        if owns:
            spark.stop()
        raise
    return SparkEngine(spark, cfg, owns_session=owns)


def cli_connect(args, cfg: AgencyConfig) -> SparkEngine:
    """The engine of `pmhc figures --engine spark --parquet DIR [--spark-master URL]`."""
    if not getattr(args, "parquet", None):
        raise sql.EngineUnavailable(
            "--engine spark reads a Parquet copy, not the database file: write one with "
            "`pmhc export-parquet --out DIR`, then add --parquet DIR")
    return connect(args.parquet, cfg, master=getattr(args, "spark_master", None))
