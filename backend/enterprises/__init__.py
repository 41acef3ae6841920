"""Enterprises as registered by market supervision (登记注册信息)."""
