"""pydifact on the benchmark's EDIFACT interchange.

pydifact does syntax only (tokenise, segments, envelope): there is no
mapping to documents and no message validation here. To make it not a
no-op, every message is walked and every element and component touched.

usage: pydifact_bench.py FILE [REPS]   prints "RESULT pydifact MB/s segments"
"""
import statistics
import sys
import time

from pydifact.segmentcollection import Interchange


def touch(element):
    if isinstance(element, list):
        return sum(len(c) if c else 0 for c in element)
    return len(element) if element else 0


def one_pass(data: bytes):
    text = data.decode("utf-8")
    interchange = Interchange.from_str(text)
    messages = segments = chars = 0
    for message in interchange.get_messages():
        messages += 1
        for segment in message.segments:
            segments += 1
            chars += len(segment.tag)
            for element in segment.elements:
                chars += touch(element)
    return messages, segments, chars


def main():
    path = sys.argv[1]
    reps = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    data = open(path, "rb").read()
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        messages, segments, _ = one_pass(data)
        times.append(time.perf_counter() - start)
    med = statistics.median(times)
    mbps = len(data) / med / 1e6
    print(f"pydifact: {len(data)} bytes, {messages} messages, {segments} segments, "
          f"median {med:.2f} s of {reps}: {mbps:.2f} MB/s, {messages / med:.0f} messages/s",
          file=sys.stderr)
    print(f"RESULT pydifact {mbps:.3f} {messages / med:.0f}")


if __name__ == "__main__":
    main()
