"""The LangChain retriever returns shequn's hits as documents, usable in a chain."""

from pathlib import Path

from langchain_core.runnables import RunnableLambda

from assistant.integrations.langchain import ShequnRetriever
from assistant.services import Services
from tests.conftest import make_settings


def test_retriever_returns_the_entries_search_finds(sample_dir: Path) -> None:
    index = Services(make_settings(sample_dir)).index
    retriever = ShequnRetriever(index=index, community="course", k=3, kinds=["faq"])
    documents = retriever.invoke("年卡多少钱")
    hits = index.search("年卡多少钱", "course", 3, ["faq"])
    assert [d.id for d in documents] == [h.id for h in hits]
    assert documents[0].metadata["kind"] == "faq" and documents[0].page_content
    chain = retriever | RunnableLambda(lambda docs: [d.metadata["id"] for d in docs])
    assert chain.invoke("年卡多少钱") == [h.id for h in hits]
