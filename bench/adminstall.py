#!/usr/bin/env python3
"""Admin readers that stop reading: each opens a connection to wsgated's push listener, asks
GET /admin/traffic for as much as one answer holds (max=10000, ~4 MiB) with a 4 KiB receive
buffer, and never reads it. When the gateway cuts one (its socket reports hang-up or reset), it
notes how long the gateway held it and opens another, so the pressure stays on. Runs for
--duration seconds, then prints one line:

  RESULT readers=N cut=C held_p50_s=… held_max_s=… refused=R
"""
import argparse
import select
import socket
import statistics
import time


def open_reader(port, token):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(("127.0.0.1", port))
    s.sendall(
        b"GET /admin/traffic?since=0&max=10000 HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
        b"Authorization: Bearer %s\r\n\r\n" % (port, token.encode())
    )
    return s


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--readers", type=int, default=32)
    p.add_argument("--duration", type=float, default=20)
    a = p.parse_args()

    poller = select.poll()
    readers = {}
    refused = 0

    def add():
        nonlocal refused
        try:
            s = open_reader(a.port, a.token)
        except OSError:
            refused += 1
            return
        readers[s.fileno()] = (s, time.monotonic())
        poller.register(s.fileno(), select.POLLRDHUP | select.POLLHUP | select.POLLERR)

    for _ in range(a.readers):
        add()
    held = []
    end = time.monotonic() + a.duration
    while time.monotonic() < end:
        for fd, _ in poller.poll(200):
            s, since = readers.pop(fd)
            poller.unregister(fd)
            held.append(time.monotonic() - since)
            s.close()
            add()
    print(
        "RESULT readers=%d cut=%d held_p50_s=%.1f held_max_s=%.1f refused=%d"
        % (
            a.readers,
            len(held),
            statistics.median(held) if held else 0,
            max(held) if held else 0,
            refused,
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
