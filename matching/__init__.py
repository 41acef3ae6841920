"""Pure matching logic: facts, rules, scorecard and ranking (no database, no I/O)."""
