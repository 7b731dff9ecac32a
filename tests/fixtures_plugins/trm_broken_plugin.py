"""A plugin that fails on import."""

raise RuntimeError("broken on purpose")
