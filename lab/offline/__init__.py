"""The local AWS endpoint behind `lab serve`: moto plus what moto lacks.

`server` binds the port and runs the WSGI app from `app`; extensions (Lambda Invoke,
event source mappings, the HTTP API data plane, SQS fixes) register routes in front of
moto there. `process` starts `lab serve` as a child process that ends with its parent.
"""
