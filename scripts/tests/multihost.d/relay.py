"""A TCP relay for scripts/tests/multihost: `relay.py LISTEN_HOST:PORT TARGET_HOST:PORT`.

Why it exists: librdkafka's mock cluster (the local broker) binds 127.0.0.1 and advertises
that address in its metadata, and has no setting to change either. A client on another host
first connects to the bootstrap address, then to whatever the metadata names, so every
worker host must reach "127.0.0.1:PORT" and find the broker there. One relay on the broker's
host takes the port from its network address to its loopback; one on each worker host takes
its loopback's port to the broker host. A real Kafka cluster advertises routable addresses
(`advertised.listeners`) and needs none of this.

Each accepted connection gets its own connection to the target; bytes pass both ways until
either side closes, then both are closed. It prints `ready` once listening.
"""

import asyncio
import signal
import sys


def address(text):
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise SystemExit(f"relay: want HOST:PORT, not {text!r}")
    return host, int(port)


async def pump(reader, writer):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        writer.close()


async def main():
    listen_host, listen_port = address(sys.argv[1])
    target_host, target_port = address(sys.argv[2])

    async def handle(client_reader, client_writer):
        try:
            target_reader, target_writer = await asyncio.open_connection(target_host, target_port)
        except OSError:
            client_writer.close()
            return
        # asyncio turns Nagle off on TCP transports: small Kafka requests are not held back.
        await asyncio.gather(pump(client_reader, target_writer), pump(target_reader, client_writer))

    server = await asyncio.start_server(handle, listen_host, listen_port, reuse_address=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    print("ready", flush=True)
    async with server:
        await stop.wait()


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit("usage: relay.py LISTEN_HOST:PORT TARGET_HOST:PORT")
    asyncio.run(main())
