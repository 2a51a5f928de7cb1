"""Measuring answer quality on a question benchmark (`newsbot eval`). Never imports discord.

Kept free of imports; see docs/architecture.md.
"""
