"""The bundled sample estate: a plan and seeded synthetic telemetry, written by ``upgradesim init``."""

from .estate import SampleFiles, sample_plan_path, write_sample
from .telemetry import synthetic_telemetry

__all__ = ["SampleFiles", "sample_plan_path", "write_sample", "synthetic_telemetry"]
