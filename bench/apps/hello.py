# The benchmark app as a Python WSGI app for uWSGI (C core): same routes and answers as
# hello.js.
HELLO = b"hello world\n"
BIG = b"a" * 65536


def application(environ, start_response):
    if environ["REQUEST_METHOD"] == "POST":
        remaining = int(environ.get("CONTENT_LENGTH") or 0)
        stream = environ["wsgi.input"]
        length = 0
        while remaining > 0:
            chunk = stream.read(min(remaining, 65536))
            if not chunk:
                break
            length += len(chunk)
            remaining -= len(chunk)
        body = b"%d\n" % length
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
        return [body]
    if environ.get("PATH_INFO") == "/64k":
        start_response("200 OK", [("Content-Type", "application/octet-stream"), ("Content-Length", str(len(BIG)))])
        return [BIG]
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(HELLO)))])
    return [HELLO]
