"""A TCP relay for scripts/tests/multihost: `relay.py [--hold-ms N] LISTEN_HOST:PORT TARGET_HOST:PORT`.

Why it exists: librdkafka's mock cluster (the local broker) binds 127.0.0.1 and advertises
that address in its metadata, and has no setting to change either. A client on another host
first connects to the bootstrap address, then to whatever the metadata names, so every
worker host must reach "127.0.0.1:PORT" and find the broker there. One relay on the broker's
host takes the port from its network address to its loopback; one on each worker host takes
its loopback's port to the broker host. A real Kafka cluster advertises routable addresses
(`advertised.listeners`) and needs none of this.

Each accepted connection gets its own connection to the target; bytes pass both ways until
either side closes, then both are closed. It prints `ready` once listening.

`--hold-ms N`: after SIGUSR1, every chunk coming back from the target is delivered N ms
late (in order, without slowing the flow down). On a worker host's relay this holds Kafka's
acknowledgements: presses are then in the topic but not yet answered, so a cut between nginx
and that host finds presses in flight whose answers are lost after Kafka has them.
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


async def pump_held(reader, writer, hold):
    """Like pump, each chunk delivered `hold["seconds"]` after it arrived (0: at once)."""
    loop = asyncio.get_running_loop()
    chunks = asyncio.Queue()

    async def deliver():
        try:
            while True:
                due, data = await chunks.get()
                if data is None:
                    break
                if due > loop.time():
                    await asyncio.sleep(due - loop.time())
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    delivery = asyncio.create_task(deliver())
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            chunks.put_nowait((loop.time() + hold["seconds"], data))
    except (ConnectionError, OSError):
        pass
    finally:
        chunks.put_nowait((loop.time(), None))
        await delivery


async def main():
    arguments = sys.argv[1:]
    hold_ms = 0
    if len(arguments) == 4 and arguments[0] == "--hold-ms" and arguments[1].isdigit():
        hold_ms = int(arguments[1])
        arguments = arguments[2:]
    if len(arguments) != 2:
        raise SystemExit("usage: relay.py [--hold-ms N] LISTEN_HOST:PORT TARGET_HOST:PORT")
    listen_host, listen_port = address(arguments[0])
    target_host, target_port = address(arguments[1])
    hold = {"seconds": 0.0}

    async def handle(client_reader, client_writer):
        try:
            target_reader, target_writer = await asyncio.open_connection(target_host, target_port)
        except OSError:
            client_writer.close()
            return
        # asyncio turns Nagle off on TCP transports: small Kafka requests are not held back.
        await asyncio.gather(pump(client_reader, target_writer), pump_held(target_reader, client_writer, hold))

    server = await asyncio.start_server(handle, listen_host, listen_port, reuse_address=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    loop.add_signal_handler(signal.SIGUSR1, lambda: hold.update(seconds=hold_ms / 1000))
    print("ready", flush=True)
    async with server:
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(main())
