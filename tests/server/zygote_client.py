#!/usr/bin/env python3
"""Start one test server through a running zygote (weave_test_server.py --zygote SOCKET).

Usage: python -I -S zygote_client.py SOCKET [server args...]

Hands this process's stdin/stdout/stderr to the zygote, which forks a server using them (so the
server prints `LISTENING <port>` on our stdout and exits on EOF of our stdin), then waits for the
server to exit and exits with its status. If this process is killed, the zygote notices the
closed connection and terminates the server. Standard library only, starts in ~20 ms.
"""
import array
import json
import socket
import sys


def main() -> int:
    if len(sys.argv) < 2:
        sys.stderr.write("usage: zygote_client.py SOCKET [server args...]\n")
        return 2
    sock_path, argv = sys.argv[1], sys.argv[2:]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(sock_path)
    except OSError as e:
        sys.stderr.write(f"zygote_client: cannot connect to {sock_path}: {e}\n")
        return 3
    msg = (json.dumps(argv) + "\n").encode()
    s.sendmsg([msg], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [0, 1, 2]))])
    data = b""
    while True:
        try:
            chunk = s.recv(4096)
        except OSError:
            chunk = b""
        if not chunk:
            break
        data += chunk
    line = data.decode(errors="replace").strip()
    if line.startswith("EXIT "):
        code = int(line.split()[1])
        return code if code >= 0 else 128 - code
    sys.stderr.write("zygote_client: zygote closed the connection without an exit status\n")
    return 4


if __name__ == "__main__":
    sys.exit(main())
