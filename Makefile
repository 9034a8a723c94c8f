# Two commands: `make run` (dashboard on the sample data) and `make test` (whole suite).
# Works on a fresh machine with only Python 3.11+ and make.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
DB     ?= data/pmhc.duckdb
PORT   ?= 8501
SAMPLE := $(wildcard sample_data/*.csv.gz)

.PHONY: run test install browser java sample bench bench-big bench-hub clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

install: $(STAMP)

# Rebuilt when the sample or the SQL changes (views and stored totals are made at import).
$(DB): $(STAMP) $(SAMPLE) $(wildcard queries/*.sql)
	@rm -rf $(DB) $(DB).wal $(DB).d
	$(BIN)/pmhc import $(SAMPLE) --db $(DB)

run: $(STAMP) $(DB)
	PMHC_DB=$(DB) PMHC_DEMO=1 $(BIN)/streamlit run app.py --server.port $(PORT) \
	    --server.headless true --browser.gatherUsageStats false

browser:
	@sh scripts/ensure-chromium.sh
	@sh scripts/ensure-axe.sh >/dev/null

# Java for the Spark tests (pyspark in local mode; `pytest -m spark` runs them alone).
java:
	@sh scripts/ensure-java.sh

test: $(STAMP) browser java
	$(BIN)/python -m pytest

sample: $(STAMP)
	$(BIN)/python -m pmhc.generate --out sample_data
	$(BIN)/python -m pmhc.generate --out sample_data/bad --bad
	$(BIN)/python -c "from pmhc import auth; auth.write_synthetic_manifest()"

# Speed at 100k, 1M and 10M calls: import, page queries, every page in headless Chromium,
# pandas, memory (10–25 minutes on 2 cores with their load, ~5 GB of free disk; not part of `make test`).
# `make bench ARGS=--quick` for a check in a few minutes; see README "Performance".
bench: $(STAMP) browser
	$(BIN)/python benchmarks/run.py --readme $(ARGS)

# A regional hub: 50 generated agencies of 20k-2M calls a year in one database, the
# Agencies compared query and Spark vs DuckDB on the Parquet copy (not part of `make test`;
# `make bench-hub ARGS="--scale 0.1"` for a tenth of the size). README "Regional hub".
bench-hub: $(STAMP) java
	$(BIN)/python benchmarks/hub.py $(ARGS)

# A statewide pool of 100 million calls against 100k: import, page queries, the figures
# checked against pandas (45 minutes on 2 shared cores; ~25 GB of free disk under benchmarks/out).
bench-big: $(STAMP)
	$(BIN)/python benchmarks/run.py --sizes 100000,100000000 --browser none --no-parquet --changes 20 \
	    --readme --readme-section big $(ARGS)

clean:
	rm -rf $(VENV) data build *.egg-info test-artifacts
