#!/usr/bin/env python3
"""Floods an SNMP notification receiver with copies of one real datagram, from several processes.

Usage: snmp-flood.py capture PORT_FILE OUT   -- listen on a free UDP port (written to PORT_FILE), save the first
                                                datagram received (send it with net-snmp's snmptrap) to OUT
       snmp-flood.py send HOST PORT DATAGRAM SECONDS SENDERS
                                             -- SENDERS processes send DATAGRAM as fast as they can for SECONDS;
                                                prints the total sent
Only loopback and addresses the caller chose; nothing else is contacted."""
import multiprocessing, socket, sys, time


def capture(port_file, out):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    open(port_file, "w").write(str(sock.getsockname()[1]))
    sock.settimeout(30)
    data, _ = sock.recvfrom(65535)
    open(out, "wb").write(data)


def blast(host, port, datagram, seconds, counter):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sent, deadline = 0, time.monotonic() + seconds
    while time.monotonic() < deadline:
        for _ in range(100):
            try:
                sock.sendto(datagram, (host, port))
                sent += 1
            except BlockingIOError:
                pass
    with counter.get_lock():
        counter.value += sent


def send(host, port, path, seconds, senders):
    datagram = open(path, "rb").read()
    counter = multiprocessing.Value("q", 0)
    workers = [multiprocessing.Process(target=blast, args=(host, int(port), datagram, float(seconds), counter))
               for _ in range(int(senders))]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    print(counter.value)


if __name__ == "__main__":
    {"capture": capture, "send": send}[sys.argv[1]](*sys.argv[2:])
