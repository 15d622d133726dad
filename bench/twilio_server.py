"""The loopback Twilio-speaking server for the dispatcher benchmarks, in a process of its own.

Prints its base URL on the first line of stdout; then answers each "count" line on stdin with
the number of messages it has accepted. Ends when stdin closes. The server itself is the test
suite's FakeTwilio (tests/notify/conftest.py), answering as Twilio's Messages API does.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


async def main() -> None:
    from tests.notify.conftest import FakeTwilio

    twilio = FakeTwilio()
    await twilio.start()
    print(twilio.url, flush=True)
    loop = asyncio.get_running_loop()
    try:
        while line := await loop.run_in_executor(None, sys.stdin.readline):
            if line.strip() == "count":
                print(len(twilio.messages), flush=True)
    finally:
        await twilio.stop()


if __name__ == "__main__":
    asyncio.run(main())
