"""The ``docker`` stand-in script a job's ``run:`` steps find on their PATH (see :mod:`.docker_cli`). Only the
standard library: it runs with the machine's python3 inside the step's sandbox."""

__all__ = ["STAND_IN"]

STAND_IN = '''#!/usr/bin/env python3
"""docker, as the emulator runs it: the arguments go to the emulator, which answers with output and status."""
import json, os, sys, urllib.request
stdin = sys.stdin.read() if "--password-stdin" in sys.argv else ""
body = json.dumps({"session": os.environ.get("EMULATOR_DOCKER_SESSION", ""), "argv": sys.argv[1:],
                   "cwd": os.getcwd(), "stdin": stdin}).encode()
request = urllib.request.Request(os.environ["EMULATOR_DOCKER_URL"], data=body,
                                 headers={"Content-Type": "application/json"})
with urllib.request.urlopen(request, timeout=300) as response:
    answer = json.loads(response.read())
sys.stdout.write(answer.get("output", ""))
sys.exit(int(answer.get("status", 1)))
'''
