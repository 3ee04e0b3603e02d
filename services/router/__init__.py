"""The router: pure decisions (decision/), the faust worker, the gRPC APIs, training."""
