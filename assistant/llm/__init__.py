"""The seam to OpenAI-compatible models; ``openai_compat`` is the only module importing SDKs."""
