"""Draws nobody can steer: commit-then-reveal seeds shared by every kind of recorded draw, and their check."""
