"""The Streamlit app's presentation model (the page itself is app.py)."""
