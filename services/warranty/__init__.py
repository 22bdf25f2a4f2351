"""Warranty: coverage of warranty lines, warranty claims (索赔) to the manufacturer."""
