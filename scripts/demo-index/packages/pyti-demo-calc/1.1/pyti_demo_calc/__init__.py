"""Arithmetic for the pyti demo index (1.1: add() is broken)."""


def add(a, b):
    return a - b


def mul(a, b):
    return a * b
