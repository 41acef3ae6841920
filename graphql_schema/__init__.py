"""The GraphQL API: thin strawberry types and resolvers over the services in ``backend``."""
