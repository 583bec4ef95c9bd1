"""The knowledge index: incremental ingest into Chroma + BM25, and hybrid search over both."""

from __future__ import annotations

import shutil
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Collection
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.ids import UnknownCommunity
from assistant.knowledge.loader import LoadResult
from assistant.knowledge.models import GLOBAL, KnowledgeItem
from assistant.listing import Listing
from assistant.memory import gc_paused
from assistant.retrieval import journal
from assistant.retrieval.catalog import Record, load_catalog, load_terms, save_catalog, save_terms
from assistant.retrieval.embedders import make_embedder
from assistant.retrieval.exact import ExactVectors
from assistant.retrieval.fusion import confidence, fuse
from assistant.retrieval.lexical import LexicalIndex
from assistant.retrieval.models import IngestError, IngestReport, SearchHit
from assistant.retrieval.tokenize import Tokenizer, default_tokenizer
from assistant.retrieval.vector_store import VectorStore
from assistant.settings import Settings
from assistant.workers import ForkedWorkers

#: Entries tokenised and embedded per Chroma write (writes overlap the next chunk's work).
WRITE_CHUNK = 500
#: Below this many changed entries per process, forking and pickling cost more than they save
#: (20k entries on two cores: 520–765 → 946–1,116 entries/s with the collector paused).
MIN_ENTRIES_PER_WORKER = 1000
#: Candidates each retriever contributes per requested result before fusion.
CANDIDATE_FACTOR = 4
#: Most entries of unwanted kinds a dense query asks for to avoid Chroma's metadata filter.
MAX_UNFILTERED_EXTRA = 200
#: Communities of up to this many entries are searched exactly in memory (``ExactVectors``).
MAX_EXACT = 5000


@dataclass
class _Scope:
    """One community's loaded state; reloaded when another process rewrites its catalog."""

    records: dict[str, Record]
    lexical: LexicalIndex
    vocab: dict[str, frozenset[str]]
    mtime: float
    kinds: Counter[str]  # entries by kind
    exact: ExactVectors | None = None  # read from the store at the first query of a small community

    def dense(
        self, store: VectorStore, scope: str, vector: np.ndarray, n: int, kinds: Collection[str] | None, max_exact: int
    ) -> list[tuple[str, float]]:
        """The ``n`` nearest entries of ``kinds``: exactly in memory up to ``max_exact`` entries.
        Otherwise Chroma, whose metadata filter took 0.75 of a 1.7 ms query on the sample: when
        the entries of other kinds are few, the nearest ``n`` plus that many are asked
        unfiltered and filtered here, which leaves the same ``n`` nearest."""
        if len(self.records) <= max_exact:
            if self.exact is None:
                ids, vectors = store.vectors(scope)
                self.exact = ExactVectors(ids, vectors, {rid: r.kind for rid, r in self.records.items()})
            return self.exact.nearest(vector, n, kinds)
        others = sum(count for kind, count in self.kinds.items() if kind not in kinds) if kinds else 0
        if not kinds or others > MAX_UNFILTERED_EXTRA:
            return store.query(scope, vector, n, kinds)
        found = store.query(scope, vector, n + others)
        return [(rid, sim) for rid, sim in found if rid in self.records and self.records[rid].kind in kinds][:n]


class KnowledgeIndex:
    """Ingest and search; safe to share between threads (ingest holds a lock)."""

    def __init__(self, settings: Settings, tokenizer: Tokenizer | None = None, max_exact: int = MAX_EXACT) -> None:
        self.settings, self.max_exact = settings, max_exact
        self.tokenizer = tokenizer or default_tokenizer()
        self.embedder = make_embedder(settings)
        self.store = VectorStore(settings, self.embedder)
        self._scopes: dict[str, _Scope] = {}
        self._lock = threading.Lock()
        self._communities = Listing(self._read_communities)

    # ---- ingest -------------------------------------------------------------------------

    def ingest(self, loaded: LoadResult, workers: int = 1) -> IngestReport:
        """Adds new, updates changed and removes deleted entries; unchanged ones cost nothing.

        Removal is scoped to the files just read: an entry disappears only when the file it
        came from was read without errors and no longer holds it. ``workers`` > 1 segments and
        embeds large ingests in forked processes (``assistant.workers``)."""
        started = time.perf_counter()
        report = IngestReport(
            errors=[IngestError(file=e.file, line=e.line, reason=e.reason) for e in loaded.errors],
            files=len(loaded.files),
        )
        clean_files = set(loaded.files) - {e.file for e in loaded.errors}
        by_scope: dict[str, list[KnowledgeItem]] = defaultdict(list)
        for item in loaded.items:
            by_scope[item.scope].append(item)
        # Ingest builds records and term lists by the hundred thousand, none of them cyclic; the
        # collector would rescan them all (and, in forked workers, copy every page it touches).
        with self._lock, gc_paused():
            for scope in sorted(set(by_scope) | set(self.communities())):
                with journal.locked(self._scope_dir(scope)):
                    self._ingest_scope(scope, by_scope.get(scope, []), loaded.sources, clean_files, report, workers)
            report.communities = {s: len(self._scope(s).records) for s in self.communities()}
        report.seconds = round(time.perf_counter() - started, 3)
        return report

    def _ingest_scope(
        self,
        scope: str,
        items: list[KnowledgeItem],
        sources: dict[str, str],
        clean_files: set[str],
        report: IngestReport,
        workers: int,
    ) -> None:
        old = load_catalog(self._catalog_path(scope))
        records = dict(old)
        terms = load_terms(self._terms_path(scope))
        changed: list[KnowledgeItem] = []
        for item in items:
            previous = old.get(item.id)
            if previous is not None and previous.hash == item.content_hash():
                report.unchanged += 1
                continue
            changed.append(item)
            (report.updated if previous else report.added).append(item.id)
        present = {item.id for item in items}
        removed = [r.id for r in old.values() if r.source in clean_files and r.id not in present]
        for rid in removed:
            del records[rid]
            terms.pop(rid, None)
        report.removed.extend(removed)
        if not changed and not removed:
            return
        journal.begin(self._scope_dir(scope), [item.id for item in changed] + removed)
        for record, entry_terms in self._write_vectors(scope, changed, sources, workers):
            records[record.id] = record
            terms[record.id] = entry_terms
        for record in records.values():
            if record.id not in terms:  # written by a version that did not keep terms
                terms[record.id] = self._entry_terms(record)
        self.store.delete(scope, removed)
        lexical = self._write_lexical(scope, records, terms)
        save_catalog(self._catalog_path(scope), records)  # last: readers reload on its change
        journal.end(self._scope_dir(scope))
        self._scopes[scope] = self._state(records, lexical, self._catalog_path(scope).stat().st_mtime)

    def recover(self) -> list[str]:
        """Rolls back every batch whose ingest died (its journal is left and nobody holds its
        lock) to what the catalog lists; returns those scopes."""
        root = self.settings.lexical_path
        recovered = []
        for scope_dir in sorted(root.iterdir()) if root.is_dir() else []:
            if journal.pending(scope_dir) is None:
                continue
            with journal.locked(scope_dir, wait=False) as mine:
                ids = journal.pending(scope_dir) if mine else None
                if ids is not None:
                    self._roll_back(scope_dir.name, ids)
                    recovered.append(scope_dir.name)
        return recovered

    def _roll_back(self, scope: str, ids: list[str]) -> None:
        """Chroma and BM25 made to hold, for ``ids``, exactly what the catalog says."""
        records = load_catalog(self._catalog_path(scope))
        back = [records[rid] for rid in ids if rid in records]
        if back:
            vectors = self.embedder.embed(["\n".join(r.phrasings) for r in back])
            self.store.upsert(scope, [r.id for r in back], vectors, [{"kind": r.kind, "hash": r.hash} for r in back])
        self.store.delete(scope, [rid for rid in ids if rid not in records])
        if records:
            terms = {rid: t for rid, t in load_terms(self._terms_path(scope)).items() if rid in records}
            for record in back:
                terms[record.id] = self._entry_terms(record)
            self._write_lexical(scope, records, terms)
            journal.end(self._scope_dir(scope))
        else:
            shutil.rmtree(self._scope_dir(scope))  # its first batch died: the community never existed
        self._scopes.pop(scope, None)

    def inconsistent(self) -> list[str]:
        """Scopes whose vector count differs from their catalog (or whose ingest is mid-way)."""
        bad = []
        for scope in self.communities():
            if journal.pending(self._scope_dir(scope)) is not None or self.store.count(scope) != self.count(scope):
                bad.append(scope)
        return bad

    def _record(self, item: KnowledgeItem, source: str) -> Record:
        draft = Record.from_item(item, source, words=[])
        words = sorted({w for text in draft.texts() for w in self.tokenizer.words(text)})
        return draft.model_copy(update={"words": words})

    def _entry_terms(self, record: Record) -> list[str]:
        return [t for text in record.texts() for t in self.tokenizer.terms(text)]

    def _write_vectors(
        self, scope: str, items: list[KnowledgeItem], sources: dict[str, str], workers: int
    ) -> list[tuple[Record, list[str]]]:
        """Records and lexical terms for ``items``, their vectors written to Chroma chunk by chunk.

        Chroma inserts in native code without the GIL, so each chunk's write overlaps the
        preparing of the next ones: ingest runs at the pace of the slower of the two."""
        chunks = [
            [(item, sources.get(item.id, "api")) for item in items[start : start + WRITE_CHUNK]]
            for start in range(0, len(items), WRITE_CHUNK)
        ]
        if self.embedder.config.get("kind") != "local":
            workers = 1  # a remote embedder is network-bound: its requests gain nothing from forks
        records: list[tuple[Record, list[str]]] = []
        if workers > 1:
            self.tokenizer.load_dictionary()  # before the fork, so every child inherits it
        with ForkedWorkers(self._prepare, workers, MIN_ENTRIES_PER_WORKER) as forked, ThreadPoolExecutor(1) as writer:
            pending = []
            for prepared, vectors in forked.map(chunks):
                metas = [{"kind": r.kind, "hash": r.hash} for r, _ in prepared]
                ids = [r.id for r, _ in prepared]
                pending.append(writer.submit(self.store.upsert, scope, ids, vectors, metas))
                records.extend(prepared)
            for future in pending:
                future.result()
        return records

    def _prepare(self, chunk: list[tuple[KnowledgeItem, str]]) -> tuple[list[tuple[Record, list[str]]], np.ndarray]:
        """A chunk's records with their lexical terms, and its vectors: all of ingest's CPU work.
        Terms are taken while the chunk's segmentations are still in the tokenizer's cache."""
        records = [self._record(item, source) for item, source in chunk]
        vectors = self.embedder.embed(["\n".join(r.phrasings) for r in records])
        return [(r, self._entry_terms(r)) for r in records], vectors

    def _write_lexical(self, scope: str, records: dict[str, Record], terms: dict[str, list[str]]) -> LexicalIndex:
        """One BM25 document per entry (all phrasings + answer): measured 0.72 recall@1 against
        0.55 for one document per phrasing, because indirect questions match answer words.

        BM25 is rebuilt from every entry's stored terms, so only changed entries are ever
        segmented again (re-segmenting 20k entries to add one took ~25 s)."""
        owners = list(records)
        tokens = [terms[rid] for rid in owners]
        save_terms(self._terms_path(scope), terms)
        folder = self._scope_dir(scope) / "lexical"
        staging = folder.with_name("lexical.new")
        shutil.rmtree(staging, ignore_errors=True)
        lexical = LexicalIndex(owners, tokens)
        lexical.save(staging)
        shutil.rmtree(folder, ignore_errors=True)
        staging.rename(folder)
        return lexical

    # ---- search -------------------------------------------------------------------------

    def communities(self) -> list[str]:
        """Communities with indexed knowledge (``global`` holds entries shared by all)."""
        return list(self._communities.get())

    def _read_communities(self) -> tuple[list[str], list[Path]]:
        """A scope exists once its catalog is written (last of its files): a folder without one
        is watched too, as the catalog's arrival changes that folder, not the root."""
        root = self.settings.lexical_path
        folders = sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
        written = [p.name for p in folders if (p / "catalog.json").exists()]
        return written, [root, *(p for p in folders if p.name not in written)]

    def count(self, community: str) -> int:
        return len(self._scope(community).records)

    def search(
        self, query: str, community: str | None = None, k: int = 5, kinds: Collection[str] | None = None
    ) -> list[SearchHit]:
        """Hybrid search within ``community`` plus shared entries (all communities if None),
        optionally restricted to ``kinds`` (answering wants ``faq`` only)."""
        known = self.communities()
        if community is not None and community not in known:
            raise UnknownCommunity(community)
        scopes = [community, GLOBAL] if community else known
        scopes = [s for s in dict.fromkeys(scopes) if s in known]
        words = list(self.tokenizer.words(query))
        terms = list(self.tokenizer.terms(query))
        vector = self.embedder.embed([query])[0]
        n = k * CANDIDATE_FACTOR
        dense: dict[str, float] = {}
        lexical: dict[str, float] = {}
        owner: dict[str, str] = {}
        for scope in scopes:
            state = self._scope(scope)
            for rid, sim in state.dense(self.store, scope, vector, n, kinds, self.max_exact):
                dense[rid] = sim
                owner[rid] = scope
            for rid, score in state.lexical.search(terms, n):
                if kinds and state.records[rid].kind not in kinds:
                    continue
                lexical[rid] = score
                owner[rid] = scope
        hits = []
        for rid, score in fuse(dense, lexical)[:k]:
            state = self._scope(owner[rid])
            record = state.records.get(rid)
            if record is None:
                continue  # vector left behind by a concurrent removal
            coverage = self._coverage(words, state.vocab[rid])
            hits.append(
                SearchHit(
                    id=rid,
                    kind=record.kind,
                    community=record.community,
                    title=record.title,
                    snippet=record.snippet,
                    score=round(score, 4),
                    confidence=round(confidence(score, coverage), 4),
                    dense=None if rid not in dense else round(dense[rid], 4),
                    lexical=None if rid not in lexical else round(lexical[rid], 4),
                    coverage=round(coverage, 4),
                    retrievers=[name for name, table in (("dense", dense), ("lexical", lexical)) if rid in table],
                )
            )
        return hits

    def entry(self, rid: str, community: str | None) -> Record | None:
        """The indexed record behind a search hit (its full answer or body)."""
        known = self.communities()
        for scope in dict.fromkeys([community, GLOBAL] if community else known):
            if scope in known:
                record = self._scope(scope).records.get(rid)
                if record is not None:
                    return record
        return None

    def _coverage(self, words: list[str], vocab: frozenset[str]) -> float:
        total = sum(self.tokenizer.weight(w) for w in set(words))
        if total == 0:
            return 0.0
        return sum(self.tokenizer.weight(w) for w in set(words) if w in vocab) / total

    def warm(self, community: str | None) -> bool:
        """True when searching ``community`` reads no file: its scopes loaded and current."""
        known = self.communities()
        for scope in dict.fromkeys([community, GLOBAL] if community else known):
            state = self._scopes.get(scope) if scope in known else None
            if scope in known and (state is None or state.mtime != self._mtime(scope)):
                return False
            if state is not None and state.exact is None and len(state.records) <= self.max_exact:
                return False
        return True

    def _scope(self, scope: str) -> _Scope:
        mtime = self._mtime(scope)
        state = self._scopes.get(scope)
        if state is None or state.mtime != mtime:
            path = self._catalog_path(scope)
            state = self._state(load_catalog(path), LexicalIndex.load(self._scope_dir(scope) / "lexical"), mtime)
            self._scopes[scope] = state
        return state

    def _mtime(self, scope: str) -> float:
        try:
            return self._catalog_path(scope).stat().st_mtime
        except FileNotFoundError:
            return 0.0

    @staticmethod
    def _state(records: dict[str, Record], lexical: LexicalIndex, mtime: float) -> _Scope:
        """Search state for a catalog file of modification time ``mtime`` (ingest hands over
        what it just wrote instead of reading it back)."""
        vocab = {rid: frozenset(r.words) for rid, r in records.items()}
        kinds: Counter[str] = Counter(r.kind for r in records.values())
        return _Scope(records=records, lexical=lexical, vocab=vocab, mtime=mtime, kinds=kinds)

    def _terms_path(self, scope: str) -> Path:
        return self._scope_dir(scope) / "terms.marshal"

    def _scope_dir(self, scope: str) -> Path:
        return self.settings.lexical_path / scope

    def _catalog_path(self, scope: str) -> Path:
        return self._scope_dir(scope) / "catalog.json"
