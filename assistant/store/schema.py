"""Every table of the database, imported here so ``Base.metadata`` is complete: migrations
(``assistant/store/migrations``) are generated from it and a test compares it with them."""

from __future__ import annotations

from assistant.drafting import store as drafting_store
from assistant.store import api_keys, audit, question_log
from assistant.store.db import Base

metadata = Base.metadata
MODULES = (api_keys, audit, question_log, drafting_store)
