"""``acusim verify``: the engine checked against queueing theory and identities, and its diagram."""
