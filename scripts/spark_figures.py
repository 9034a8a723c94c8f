"""spark-submit entry point: `pmhc figures --engine spark` on a cluster.

    spark-submit --master yarn scripts/spark_figures.py \
        --from 2025-01 --to 2025-12 --parquet s3a://bucket/pmhc --format json

spark-submit runs this file on the driver, which needs the project installed
(`pip install '.[spark]'`) and the agency settings ($PMHC_CONFIG_DIR or config/). The
executors need no Python code of the project: every figure is SQL run by Spark. Arguments
are those of `pmhc figures`; the master is spark-submit's.
"""

import sys

from pmhc import cli


def main(argv: list[str] | None = None) -> int:
    return cli.main(["figures", "--engine", "spark", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
