"""Embedding, the FAISS index, its metadata and search. Never imports discord."""

from index.builder import BuildStats, build_version
from index.encoder import Encoder, ModelInfo, SentenceTransformerEncoder
from index.errors import IndexBusy, IndexCorrupt, IndexMissing, ModelMismatch, ModelUnavailable, NewsIndexError
from index.library import Library
from index.results import Hit, SearchResult, attribution_line
from index.search import Filters, SearchService

__all__ = ["BuildStats", "Encoder", "Filters", "Hit", "IndexBusy", "IndexCorrupt", "IndexMissing", "Library", "ModelInfo",
           "ModelMismatch", "ModelUnavailable", "NewsIndexError", "SearchResult", "SearchService",
           "SentenceTransformerEncoder", "attribution_line", "build_version"]
