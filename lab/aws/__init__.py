"""Tooling of the `aws` target only: what an experiment will create and cost (`plan`,
`pricing`) and finding and deleting leftovers by tag and role path (`cleanup`).

Nothing here talks to AWS on import; every call goes through a client the caller passes,
so the tests pin each one with botocore's Stubber. The target itself is
`lab.targets.aws`; `lab aws plan|run|cleanup` is `lab.cli.aws`.
"""
