"""The DuckDB store: schema, transactional ingest with quarantine, named queries returning DataFrames."""

from .database import DEFAULT_DB, Store, parse_window
from .ingest import FileResult, IngestReport, WideMapping
from .schema import SCHEMA_VERSION, TABLES, data_dictionary

__all__ = ["Store", "DEFAULT_DB", "parse_window", "IngestReport", "FileResult", "WideMapping",
           "SCHEMA_VERSION", "TABLES", "data_dictionary"]
