"""Offline evaluation suites: dataset × target × scorers, each run written to a report folder."""
