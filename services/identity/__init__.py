"""Who a person is, however they prove it."""
