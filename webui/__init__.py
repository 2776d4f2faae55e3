"""The chat app's building blocks that are not Gradio wiring: HTML rendering of
answers and sources (everything escaped), safe upload storage, the feedback log.
`app.py` puts them on a page."""
