"""A test-only provider (``tkg-test/tkgtest``) that exercises every framework feature end to end.

Not shipped. Its single resource ``tkgtest_thing`` keeps objects in a JSON file named by the provider's ``store``
attribute, so tests can inspect and change "remote" objects between Terraform runs (drift, disappearance) and make
operations fail on demand.
"""
