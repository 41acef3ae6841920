"""What institutions read: credit reports under authorisation and public records in bulk."""
