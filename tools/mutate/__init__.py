"""Mutation testing of the code that decides security: `python3 tasks.py mutate [MODULE...]` (see __main__.py)."""
