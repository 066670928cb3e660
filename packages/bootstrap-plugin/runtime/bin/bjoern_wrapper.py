#!/usr/bin/env python3
"""bootstrap-plugin's stand-in for MFSERV's bjoern_wrapper.py, used by `bootstrap-plugin run`.

MFSERV serves a WSGI application with `bjoern_wrapper.py [--debug] [--debug-evalex]
--timeout=SECONDS MODULE:CALLABLE SOCKET_PATH`; MetWork 2.x plugins name that command in their
config.ini. This one takes the same arguments and serves the callable with Python's standard
library, one thread per request, on the unix socket (or HOST:PORT) given. It is for
development: it is neither bjoern nor tuned for production.
"""
import argparse
import importlib
import os
import signal
import socket
import sys
import threading
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer


class Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    unix_path = None

    def server_bind(self):
        if self.unix_path is None:
            return WSGIServer.server_bind(self)
        # HTTPServer's version asks the socket for a host name and port; a socket file has none.
        self.socket.bind(self.unix_path)
        self.server_name, self.server_port = "localhost", 80
        return self.setup_environ()

    def get_request(self):
        accepted = self.socket.accept()
        # wsgiref reads the peer as (host, port); over a socket file there is no such pair.
        return (accepted[0], ("local", 0)) if self.unix_path else accepted


def unix_server(path, handler):
    """A Server on a socket file instead of a TCP port."""
    if os.path.exists(path):
        os.unlink(path)
    server_class = type("UnixServer", (Server,), {"address_family": socket.AF_UNIX, "unix_path": path})
    return server_class(path, handler)


def load(target):
    module_name, _, attribute = target.partition(":")
    if not module_name or not attribute:
        sys.exit("bjoern_wrapper.py: expected MODULE:CALLABLE, got %r" % target)
    application = importlib.import_module(module_name)
    for part in attribute.split("."):
        application = getattr(application, part)
    return application


def main():
    parser = argparse.ArgumentParser(prog="bjoern_wrapper.py")
    parser.add_argument("--timeout", type=float, default=0, help="seconds per connection, 0 = no limit")
    parser.add_argument("--debug", action="store_true", help="show tracebacks in the browser (werkzeug)")
    parser.add_argument("--debug-evalex", action="store_true", help="with --debug: the interactive console")
    parser.add_argument("target", help="MODULE:CALLABLE")
    parser.add_argument("address", help="unix socket path, or HOST:PORT")
    args = parser.parse_args()
    # MFSERV runs the application from the plugin directory, importable as a package root.
    sys.path.insert(0, os.getcwd())
    application = load(args.target)
    if args.debug:
        try:
            from werkzeug.debug import DebuggedApplication
        except ImportError:
            sys.stderr.write("bjoern_wrapper.py: --debug needs werkzeug; serving without the debugger\n")
        else:
            application = DebuggedApplication(application, evalex=args.debug_evalex)

    class Handler(WSGIRequestHandler):
        timeout = args.timeout if args.timeout > 0 else None

        def log_message(self, format, *values):
            sys.stderr.write("%s\n" % (format % values))

    host, _, port = args.address.rpartition(":")
    if port.isdigit() and not args.address.startswith(("/", ".")):
        server = Server((host, int(port)), Handler)
    else:
        server = unix_server(args.address, Handler)
    server.set_app(application)
    # SIGTERM is how MFSERV (and `run`) stops a worker, SIGINT how a terminal does: both end
    # the loop, then the socket file goes.
    for stop_signal in (signal.SIGTERM, signal.SIGINT):
        signal.signal(stop_signal, lambda *_: threading.Thread(target=server.shutdown).start())
    sys.stderr.write("serving %s on %s\n" % (args.target, args.address))
    server.serve_forever()
    server.server_close()
    if server.unix_path and os.path.exists(server.unix_path):
        os.unlink(server.unix_path)


if __name__ == "__main__":
    main()
