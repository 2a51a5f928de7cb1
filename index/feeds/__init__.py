"""Feeds that poll themselves: the schedule (`schedule`), each feed's state (`store`) and a poll (`polling`)."""
