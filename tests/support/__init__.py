"""Test support: throwaway PostgreSQL, database templates, GraphQL client, builders."""
