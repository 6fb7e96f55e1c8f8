"""The coordinator's machinery: HTN decomposition, frontier replies, bids and the Contract
Net Protocol over the ACL bus. The runtime's glue is `runtime/coordinator.py`."""
