#!/usr/bin/env python3
"""Runs a command in a real pseudo-terminal, the way a person at a terminal would.

usage: pty-driver.py STEPS_JSON COMMAND [ARGS...]
STEPS_JSON is a list of [expected_text, keys_to_type]: wait (at most 15 s) until the screen
output, stripped of ANSI codes, shows expected_text after the previous match, then type the keys.
Prints {"code": exit status (128+N for signal N), "output": cleaned output, "timeout": text or null}.
"""
import fcntl, json, os, pty, re, select, struct, sys, termios, time

ANSI = re.compile(r'\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\x1b[=>]')
STEP_TIMEOUT = 15.0

steps = json.loads(sys.argv[1])
command = sys.argv[2:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(command[0], command)
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', 40, 120, 0, 0))

raw = b''
def clean():
    return ANSI.sub('', raw.decode('utf8', 'replace')).replace('\r', '')

def pump(timeout):
    global raw
    ready, _, _ = select.select([fd], [], [], timeout)
    if not ready:
        return True
    try:
        chunk = os.read(fd, 65536)
    except OSError:
        return False
    raw += chunk
    return bool(chunk)

position = 0
timed_out = None
for expected, keys in steps:
    deadline = time.time() + STEP_TIMEOUT
    while True:
        found = clean().find(expected, position)
        if found >= 0:
            position = found + len(expected)
            break
        if time.time() > deadline or not pump(0.1):
            timed_out = expected
            break
    if timed_out:
        break
    time.sleep(0.05)  # let the prompt finish drawing before typing, as a person would
    os.write(fd, keys.encode())

end = time.time() + STEP_TIMEOUT
while time.time() < end and pump(0.1):
    pass
if timed_out:
    os.kill(pid, 9)
_, status = os.waitpid(pid, 0)
code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status)
print(json.dumps({'code': code, 'output': clean(), 'timeout': timed_out}))
