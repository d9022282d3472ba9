"""Lambda handlers the notebooks deploy. Each module is packaged alone into a zip by
`lab.stack.zip_function` (so it may import only the standard library and boto3, which
the Lambda Python runtime provides)."""
