"""The DCR source of truth: loader, ARM body builders, and the transform check with its inputs and bounds."""
