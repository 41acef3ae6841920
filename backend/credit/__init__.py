"""Credit records on the sharing list: data providers, ingestion batches and versioned records."""
