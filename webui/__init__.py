"""The chat app's building blocks that are not Gradio wiring: HTML rendering of
answers, sources and ratings (everything escaped), saved conversations, safe upload
storage, login.
`app.py` puts them on a page."""
