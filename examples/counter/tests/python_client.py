"""A foreign client of the trait-generated counter server, from the emitted proto tree alone.

usage: python_client.py STUBS_DIR PORT
STUBS_DIR holds what `python -m grpc_tools.protoc -I proto --python_out --grpc_python_out`
made of `proto/counter/v1/counter.proto` and the `proto/kuberpc/v1/options.proto` written
beside it. Calls Add, Get, Watch (server streaming) and Upload (client streaming), and reads
the service's kuberpc options back from the Python descriptors. Exits non-zero on the first
failed check.
"""

import sys

sys.path.insert(0, sys.argv[1])

import grpc  # noqa: E402
from counter.v1 import counter_pb2, counter_pb2_grpc  # noqa: E402
from kuberpc.v1 import options_pb2  # noqa: E402

TIMEOUT = 5


def check(condition, message):
    if not condition:
        sys.exit(f"python client: {message}")


def main():
    port = int(sys.argv[2])
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = counter_pb2_grpc.CounterStub(channel)
        added = stub.Add(counter_pb2.AddRequest(key="py", delta=41), timeout=TIMEOUT)
        check(added.value == 41, f"Add returned {added.value}")
        added = stub.Add(counter_pb2.AddRequest(key="py", delta=1), timeout=TIMEOUT)
        got = stub.Get(counter_pb2.GetRequest(key="py"), timeout=TIMEOUT)
        check(got.value == 42, f"Get returned {got.value}")

        ticks = list(stub.Watch(counter_pb2.WatchRequest(key="py", count=3), timeout=TIMEOUT))
        check([t.seq for t in ticks] == [0, 1, 2], f"Watch sequence {[t.seq for t in ticks]}")
        check(all(t.source == counter_pb2.SOURCE_ADD for t in ticks), "Watch source is not SOURCE_ADD")

        chunks = iter([counter_pb2.Chunk(key="py", deltas=[1, 2]), counter_pb2.Chunk(key="other", deltas=[5])])
        uploaded = stub.Upload(chunks, timeout=TIMEOUT)
        check(uploaded.applied == 3, f"Upload applied {uploaded.applied}")
        check(dict(uploaded.totals) == {"py": 45, "other": 5}, f"Upload totals {dict(uploaded.totals)}")

    service = counter_pb2.DESCRIPTOR.services_by_name["Counter"]
    deployment = service.GetOptions().Extensions[options_pb2.service]
    check(deployment.port == 50051, f"the service's kuberpc port option reads {deployment.port}")
    print("python client: Add, Get, Watch, Upload ok; options readable")


main()
