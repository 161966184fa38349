#!/usr/bin/env python3
"""Pack a folder of saved pages (<id>.html) into one WARC file, as a crawler writes them: for
each page a request, a response (HTTP 200, text/html) and a metadata record. Standard library
only. Used to check that newsprep reads a WARC as it reads the pages themselves.

  pack_warc.py HTML_DIR OUT.warc.gz [--base URL]

Each page's target URI is BASE/<id>.html (default base https://example.org/pages); a gzipped
output holds one gzip member per record, as WARC tools write it.
"""
import gzip
import os
import sys
import uuid


def record(kind, uri, block, content_type):
    head = (
        "WARC/1.0\r\n"
        f"WARC-Type: {kind}\r\n"
        f"WARC-Record-ID: <urn:uuid:{uuid.UUID(int=hash((kind, uri)) & ((1 << 128) - 1))}>\r\n"
        "WARC-Date: 2026-01-01T00:00:00Z\r\n"
        f"WARC-Target-URI: {uri}\r\n"
        f"Content-Type: {content_type}\r\n"
        f"Content-Length: {len(block)}\r\n\r\n"
    ).encode()
    return head + block + b"\r\n\r\n"


def main():
    src, out = sys.argv[1], sys.argv[2]
    base = sys.argv[sys.argv.index("--base") + 1] if "--base" in sys.argv else "https://example.org/pages"
    opener = gzip.open if out.endswith(".gz") else open
    with opener(out, "wb") as _:
        pass
    raw = open(out, "wb")
    for name in sorted(os.listdir(src)):
        if not name.endswith((".html", ".htm")):
            continue
        uri = f"{base}/{name}"
        body = open(os.path.join(src, name), "rb").read()
        request = f"GET /pages/{name} HTTP/1.1\r\nHost: example.org\r\n\r\n".encode()
        response = (
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        meta = f"fetchTimeMs: 12\r\n".encode()
        for rec in (
            record("request", uri, request, "application/http; msgtype=request"),
            record("response", uri, response, "application/http; msgtype=response"),
            record("metadata", uri, meta, "application/warc-fields"),
        ):
            raw.write(gzip.compress(rec, mtime=0) if out.endswith(".gz") else rec)
    raw.close()


if __name__ == "__main__":
    main()
