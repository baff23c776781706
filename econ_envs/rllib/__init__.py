"""RLlib integration (the only package code that imports ray)."""
