"""The one typed stack config: model, loader, cross-key rules, and its reference for people and editors."""

from traffic_edge.config.errors import ConfigError, Issue
from traffic_edge.config.load import load_stack_config, parse
from traffic_edge.config.model import StackConfig

__all__ = ["ConfigError", "Issue", "StackConfig", "load_stack_config", "parse"]
