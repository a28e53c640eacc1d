"""``python -m fintech_index``: the command without the installed entry point."""

from .cli import app

if __name__ == "__main__":
    app()
