"""A small WSGI server for running the application by hand, the way MFSERV runs it.

MFSERV serves the application with its own server; this one, from Python's standard
library, is for trying it without MFSERV: it listens on the address given as the first
argument (a unix socket path, or HOST:PORT) and gives each connection the number of
seconds given as the second argument before closing it. One request at a time: it is
for development, not production.
"""
import os
import socket
import sys
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

try:
    from socketserver import TCPServer
except ImportError:  # Python 2
    from SocketServer import TCPServer


class UnixWSGIServer(WSGIServer):
    address_family = socket.AF_UNIX

    def server_bind(self):
        # HTTPServer.server_bind looks up a host name and port, which a socket path has not;
        # TCPServer's (a base class, so Python 2 accepts the call) only binds.
        TCPServer.server_bind(self)
        self.server_name = "localhost"
        self.server_port = 80
        self.setup_environ()

    def get_request(self):
        # A unix socket peer has no address, where wsgiref expects a (host, port) pair.
        connection, _ = self.socket.accept()
        return connection, ("local", 0)


<%- include('command_line.py') -%>


def serve_command_line(application, argv):
    """Serves `application` on the address and timeout a script was given (see address_and_timeout)."""
    address, timeout = address_and_timeout(argv)
    serve(application, address, timeout)


def serve(application, address, timeout):
    """Serves `application` on `address` until interrupted; `timeout` is in seconds."""
    seconds = float(timeout)
    is_tcp = ":" in address and not address.startswith(("/", "."))

    class Handler(WSGIRequestHandler):
        # StreamRequestHandler applies this to each connection's socket; None = no limit.
        timeout = seconds if seconds > 0 else None

    if is_tcp:
        host, port = address.rsplit(":", 1)
        server = make_server(host, int(port), application, handler_class=Handler)
    else:
        if os.path.exists(address):
            os.unlink(address)
        server = UnixWSGIServer(address, Handler)
        server.set_app(application)
    sys.stderr.write("serving on %s (timeout %ss)\n" % (address, timeout))
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
