"""Reading, parsing and chunking news articles. Never imports discord or the index.

Kept free of imports: see docs/architecture.md for what each module and subpackage owns.
"""
