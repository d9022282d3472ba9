"""What the `aws` target needs that moto never checks: least-privilege IAM documents,
retries on IAM propagation and throttling, CloudWatch Logs ingestion lag, forced cold
starts, a priced plan shown before anything is created, and cleanup of leftovers by tag.

Nothing here talks to AWS on import; every call goes through a client the caller passes,
so the tests pin each one with botocore's Stubber.
"""
