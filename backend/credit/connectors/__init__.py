"""Connectors to providers that answer on demand (接口调用) and verify claims (数据核验)."""
