"""The cost model: scenario -> resolve -> cost -> engine -> break-even, uncertainty."""
