"""A foreign gRPC client (Python grpcio) checking the greeter server the way a cluster and
other-language clients see it.

usage: foreign_client.py serving PORT   -> health SERVING (service and ""), a call through reflection
       foreign_client.py draining PORT  -> health NOT_SERVING (the server got SIGTERM)
Exits non-zero with a message on the first failed check.
"""

import sys

import grpc
from google.protobuf import descriptor_pool, message_factory
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase

SERVICE = "greeter.v1.Greeter"
TIMEOUT = 5


def health(channel, service):
    stub = health_pb2_grpc.HealthStub(channel)
    response = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=TIMEOUT)
    return health_pb2.HealthCheckResponse.ServingStatus.Name(response.status)


def pool_from_reflection(channel):
    """Python's own reflection client (v1alpha): it asks for the service's file and then for
    each missing dependency by name, as grpcurl does."""
    database = ProtoReflectionDescriptorDatabase(channel)
    services = database.get_services()
    for expected in (SERVICE, "grpc.health.v1.Health"):
        if expected not in services:
            raise SystemExit(f"reflection lists {services}, not {expected}")
    return descriptor_pool.DescriptorPool(database)


def call_through_reflection(channel):
    pool = pool_from_reflection(channel)
    pool.FindServiceByName(SERVICE)
    request_type = message_factory.GetMessageClass(pool.FindMessageTypeByName("greeter.v1.HelloRequest"))
    reply_type = message_factory.GetMessageClass(pool.FindMessageTypeByName("greeter.v1.HelloReply"))
    say_hello = channel.unary_unary(
        f"/{SERVICE}/SayHello",
        request_serializer=lambda m: m.SerializeToString(),
        response_deserializer=reply_type.FromString,
    )
    reply = say_hello(request_type(name="python"), timeout=TIMEOUT)
    if reply.message != "Hello python!":
        raise SystemExit(f"unexpected reply {reply.message!r}")


def main():
    mode, port = sys.argv[1], sys.argv[2]
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        if mode == "serving":
            for service in (SERVICE, ""):
                status = health(channel, service)
                if status != "SERVING":
                    raise SystemExit(f"health of {service!r} is {status}, not SERVING")
            call_through_reflection(channel)
        elif mode == "draining":
            status = health(channel, SERVICE)
            if status != "NOT_SERVING":
                raise SystemExit(f"health during drain is {status}, not NOT_SERVING")
        else:
            raise SystemExit(f"unknown mode {mode}")
    print(f"{mode}: ok")


if __name__ == "__main__":
    main()
