"""``make bench``: throughput and latency measured in one run on this machine."""
