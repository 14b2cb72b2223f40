"""The chain-rule engine: local derivatives, the symbolic derivation, its evaluation at a point, training."""
