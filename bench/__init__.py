"""Benchmarks of the bot: `.venv/bin/python -m bench [--quick] [--only NAME]` (see docs/benchmarks.md).

Not part of the test suite: pytest collects only `tests/` (pyproject `testpaths`), and no module here is
named `test_*`. Needs the development install (`pip install -e ".[dev]"`): the fake X/Graph server lives in
`tests/fakeapi.py`.
"""
