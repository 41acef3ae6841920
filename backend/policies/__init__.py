"""Subsidy policies (政策找人): publishing them, pushing them to the firms that qualify, telling
firms whose features change, and each firm's view of which policies fit it and why."""
