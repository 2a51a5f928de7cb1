"""Reading, parsing and chunking news articles. Never imports discord or the index."""

from corpus.article import Article
from corpus.chunking import ChunkConfig, Passage, chunk_article, embedding_text
from corpus.errors import CorpusError
from corpus.loader import LoadReport, load_corpus

__all__ = ["Article", "ChunkConfig", "CorpusError", "LoadReport", "Passage", "chunk_article",
           "embedding_text", "load_corpus"]
