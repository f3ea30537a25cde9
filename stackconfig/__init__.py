"""The one typed stack config: model, loader, cross-key checks."""

from stackconfig.errors import ConfigError, Issue
from stackconfig.load import load_stack_config, parse
from stackconfig.model import StackConfig

__all__ = ["ConfigError", "Issue", "StackConfig", "load_stack_config", "parse"]
