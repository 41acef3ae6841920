"""Accounts, sessions and real-name verification of enterprises."""
