"""shequn (社群): offline-first assistant for Chinese community operators. CLI entry point."""
