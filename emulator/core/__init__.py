"""The framework every emulated service is built on: calls and replies, routes, errors, auth, faults."""
