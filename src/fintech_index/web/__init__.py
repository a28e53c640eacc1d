"""The web app: a read-only JSON API over the store and an interactive ranking page."""
