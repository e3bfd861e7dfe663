"""The catalogue: courses loaded from course folders, their pages, assets and search."""
