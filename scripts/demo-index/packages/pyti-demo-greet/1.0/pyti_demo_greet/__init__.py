"""Greetings, counted with pyti-demo-calc."""
import six

from pyti_demo_calc import mul


def greet(name, times=1):
    return six.text_type(" ".join(["hello %s" % name] * mul(times, 1)))
