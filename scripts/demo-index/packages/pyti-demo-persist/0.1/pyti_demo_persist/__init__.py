"""Looks useful."""


def shout(text):
    return text.upper()
