from pyti_demo_persist import shout


def test_shout():
    assert shout("hi") == "HI"
