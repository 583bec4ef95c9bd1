"""Risk moderation: normalise (evasion-robust, offsets kept) → detectors → verdict + action."""
