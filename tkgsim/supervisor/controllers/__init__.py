"""Fake controllers: pure ``reconcile`` functions (one module per kind) and the runner that applies their results."""
