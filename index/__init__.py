"""Embedding, the index's files, search, refresh and curation. Never imports discord.

Kept free of imports: importing a subpackage must not load FAISS or the model.
See docs/architecture.md for what each subpackage owns.
"""
