"""Words and guards every layer uses: errors, limits, safe file writing, wording."""
