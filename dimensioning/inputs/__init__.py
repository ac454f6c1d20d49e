"""Data in: schema, workbooks and CSV files, the validated Case, stays, scenarios, templates, examples.

Validation happens here, once, at the edge; every later stage trusts what it gets.
"""
