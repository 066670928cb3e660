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
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer


class Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class UnixServer(Server):
    address_family = socket.AF_UNIX

    def server_bind(self):
        # HTTPServer.server_bind looks up a host name and port, which a socket path has not.
        self.socket.bind(self.server_address)
        self.server_name = "localhost"
        self.server_port = 80
        self.setup_environ()

    def get_request(self):
        # A unix socket peer has no address, where wsgiref expects a (host, port) pair.
        connection, _ = self.socket.accept()
        return connection, ("local", 0)


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
        if os.path.exists(args.address):
            os.unlink(args.address)
        server = UnixServer(args.address, Handler)
    server.set_app(application)
    # SIGTERM is how MFSERV (and `run`) stops a worker: end cleanly, socket file removed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    sys.stderr.write("serving %s on %s\n" % (args.target, args.address))
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        if server.address_family == socket.AF_UNIX and os.path.exists(args.address):
            os.unlink(args.address)


if __name__ == "__main__":
    main()
