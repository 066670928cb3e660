# Makes main/ a Python package, so MFSERV can import main.wsgi or main.application.
