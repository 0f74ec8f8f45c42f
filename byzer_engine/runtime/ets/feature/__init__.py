"""The feature-engineering ETs: they transform a table and save what ``register`` needs."""
