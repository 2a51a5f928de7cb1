"""The Discord layer and the command line, thin over the search service.

Kept free of imports here so that `newsbot ask` never pays for importing discord.py.
"""
