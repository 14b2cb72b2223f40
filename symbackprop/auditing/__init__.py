"""The audit: a lecture's stated numbers recomputed, its mistakes named."""
