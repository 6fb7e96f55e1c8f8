"""What the tests share: the fake model server, typed configs, projects and small helpers.

Test modules import from here and never from one another; fixtures stay in conftest.py.
"""
