"""A clerk's read over HTTP: the per-request plumbing (`request`: the caller, the request id,
the audit entry) and the admission before anything is read (`screening`). The rules and the
answers they apply are `api.exchange`'s, which knows nothing of HTTP."""
