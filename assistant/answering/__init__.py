"""Member Q&A: moderated, grounded in the community's FAQ, with citations or an honest handoff."""
