"""shequn's hybrid retrieval as a LangChain retriever, for people building their own chains.

Needs ``langchain-core`` (``pip install 'shequn[langchain]'``); the product itself does not."""

from __future__ import annotations

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from assistant.retrieval.index import KnowledgeIndex


class ShequnRetriever(BaseRetriever):
    """FAQ entries and scripts of one community (or all) for a query, best first; each
    document's metadata carries the entry id, kind, title and shequn's scores."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    index: KnowledgeIndex
    community: str | None = None
    k: int = 5
    kinds: list[str] | None = None

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        documents = []
        for hit in self.index.search(query, self.community, self.k, self.kinds):
            record = self.index.entry(hit.id, self.community)
            content = record.body if record is not None else hit.snippet
            meta = hit.model_dump(include={"id", "kind", "community", "title", "score", "confidence"})
            documents.append(Document(page_content=content, metadata=meta, id=hit.id))
        return documents
