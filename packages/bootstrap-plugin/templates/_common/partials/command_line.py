DEFAULT_ADDRESS = "127.0.0.1:8080"
DEFAULT_TIMEOUT = "60"
USAGE = "usage: python%d %s [HOST:PORT|SOCKET_PATH [TIMEOUT_SECONDS]]  (default: %s %s)\n"


def address_and_timeout(argv):
    """The listen address and request timeout a script was given, as MFSERV gives them.

    Without them, it says how to give them and picks 127.0.0.1:8080 with a 60 s timeout;
    --help prints the usage, and anything else it cannot use exits 2 with the usage.
    """
    usage = USAGE % (sys.version_info[0], os.path.relpath(argv[0]), DEFAULT_ADDRESS, DEFAULT_TIMEOUT)
    if len(argv) > 1 and argv[1] in ("-h", "--help"):
        sys.stdout.write(usage)
        sys.exit(0)
    address = argv[1] if len(argv) > 1 else DEFAULT_ADDRESS
    timeout = argv[2] if len(argv) > 2 else DEFAULT_TIMEOUT
    if len(argv) > 3 or not is_number(timeout):
        sys.stderr.write(usage)
        sys.exit(2)
    if len(argv) == 1:
        sys.stderr.write(usage + "no address given: listening on %s\n" % DEFAULT_ADDRESS)
    return address, timeout


def is_number(text):
    try:
        float(text)
        return True
    except ValueError:
        return False
