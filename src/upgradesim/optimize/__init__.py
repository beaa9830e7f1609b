"""Search the rollout design space declared in the plan for the Pareto front (``upgradesim optimize``)."""

from .result import Infeasible, OptimizeResult, Point
from .search import optimize

__all__ = ["optimize", "OptimizeResult", "Point", "Infeasible"]
