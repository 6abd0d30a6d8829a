"""Models on demand: the catalog of downloadable models, and the downloads themselves."""
