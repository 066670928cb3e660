#!/usr/bin/env python3
"""Runs a command in a real pseudo-terminal, the way a person at a terminal would.

usage: pty-driver.py STEPS_JSON COMMAND [ARGS...]
STEPS_JSON is a list of [expected_text, action]: wait (at most 15 s) until the screen
output, stripped of ANSI codes, shows expected_text after the previous match, then act.
An action is keys to type (a string), {"signal": "INT"} to send SIGINT (or TERM, HUP...) to
the command's process, as `kill` would, or {"hangup": true} to close the terminal, as closing
a terminal window does.
Prints {"code": exit status (128+N for signal N), "output": cleaned output, "timeout": text
or null, "exit_seconds": seconds from the last action to the command's exit}.
"""
import fcntl, json, os, pty, re, select, signal, struct, sys, termios, time

ANSI = re.compile(r'\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\x1b[=>]')
STEP_TIMEOUT = 15.0

steps = json.loads(sys.argv[1])
command = sys.argv[2:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(command[0], command)
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', 40, 120, 0, 0))

raw = b''
terminal_open = True
def clean():
    return ANSI.sub('', raw.decode('utf8', 'replace')).replace('\r', '')

def pump(timeout):
    global raw
    if not terminal_open:
        return False
    ready, _, _ = select.select([fd], [], [], timeout)
    if not ready:
        return True
    try:
        chunk = os.read(fd, 65536)
    except OSError:
        return False
    raw += chunk
    return bool(chunk)

def act(action):
    global terminal_open
    if isinstance(action, str):
        os.write(fd, action.encode())
    elif 'signal' in action:
        os.kill(pid, getattr(signal, 'SIG' + action['signal']))
    elif action.get('hangup'):
        os.close(fd)
        terminal_open = False

position = 0
timed_out = None
acted_at = time.time()
for expected, action in steps:
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
    time.sleep(0.05)  # let the prompt finish drawing before acting, as a person would
    act(action)
    acted_at = time.time()

end = time.time() + (0 if timed_out else STEP_TIMEOUT)
status = None
while status is None and time.time() < end:
    pump(0.05)
    done, wait_status = os.waitpid(pid, os.WNOHANG)
    if done:
        status = wait_status
exit_seconds = time.time() - acted_at
if status is None:
    timed_out = timed_out or 'exit'
    os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
while pump(0.05):
    pass
code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status)
print(json.dumps({'code': code, 'output': clean(), 'timeout': timed_out, 'exit_seconds': round(exit_seconds, 3)}))
