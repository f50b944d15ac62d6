"""The benchmark's message app: one weekly digest email with realistic templates."""
