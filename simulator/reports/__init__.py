"""What a result says: the answer in words, CSV/xlsx/HTML writers, charts."""
