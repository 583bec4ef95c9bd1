"""Group sentiment: per-message mood, and summaries of a chat log (issue #18)."""
