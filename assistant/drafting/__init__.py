"""Scheduled posts: calendar, drafts from the script library, compliance gate, approval, delivery."""
