"""Buttons under the bot's messages.

`answer` (feedback and "More results") and `sources` (the list's pages) are
persistent: their custom ids carry what a click needs, so they work after a
restart. `corpus` (Confirm / Cancel of a `/corpus` preview) is not.
"""
