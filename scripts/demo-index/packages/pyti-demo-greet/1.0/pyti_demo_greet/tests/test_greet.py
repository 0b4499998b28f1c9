from pyti_demo_greet import greet


def test_greet():
    assert greet("ada") == "hello ada"


def test_greet_twice():
    assert greet("ada", 2) == "hello ada hello ada"
