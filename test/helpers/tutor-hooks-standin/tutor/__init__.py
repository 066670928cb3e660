"""Test stand-in for the `tutor` package (Tutor itself is not installed in the tests).

Only `tutor.hooks` exists here, and only enough of it to record what a plugin registers.
"""
