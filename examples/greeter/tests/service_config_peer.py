"""A Python grpcio client of the greeter configured only by the generated gRPC service config
(the `grpc.service_config` channel option), as a Python service calling a kuberpc service
would be. Two calls without a deadline of their own; prints how each ended and when, and the
Rust test judges (and counts the attempts on the server).

usage: service_config_peer.py <service-config.json> <host:port> <retried-name> <slow-name>

With PEER_TLS_DIR set it speaks mutual TLS as a Python service in a kuberpc system would: the
certificate cert-manager's Secret holds (tls.crt, tls.key in that directory), the server's
checked against its ca.crt for the name PEER_SERVER_NAME (default: the target's host).
"""

import os
import sys
import time

import grpc


def hello_request(name):
    """greeter.v1.HelloRequest{name}: field 1, length-delimited (no generated code needed)."""
    encoded = name.encode()
    return b"\x0a" + bytes([len(encoded)]) + encoded


def timed(say_hello, name):
    """The call's outcome (a status code name) and how long it took, in ms."""
    started = time.monotonic()
    try:
        say_hello(name)
        code = "OK"
    except grpc.RpcError as error:
        code = error.code().name
    return code, int((time.monotonic() - started) * 1000)


def channel_to(target, options):
    """A plaintext channel, or a mutual-TLS one with the certificate in PEER_TLS_DIR."""
    directory = os.environ.get("PEER_TLS_DIR")
    if not directory:
        return grpc.insecure_channel(target, options=options)

    def read(name):
        with open(os.path.join(directory, name), "rb") as file:
            return file.read()

    credentials = grpc.ssl_channel_credentials(
        root_certificates=read("ca.crt"), private_key=read("tls.key"), certificate_chain=read("tls.crt")
    )
    name = os.environ.get("PEER_SERVER_NAME", target.rsplit(":", 1)[0])
    options = options + [("grpc.ssl_target_name_override", name)]
    return grpc.secure_channel(target, credentials, options=options)


def main():
    config_path, target, retried, slow = sys.argv[1:5]
    with open(config_path, encoding="utf-8") as file:
        config = file.read()
    options = [("grpc.service_config", config), ("grpc.enable_retries", 1)]
    with channel_to(target, options) as channel:
        say_hello = channel.unary_unary(
            "/greeter.v1.Greeter/SayHello",
            request_serializer=hello_request,
            response_deserializer=lambda data: data,
        )
        retried_code, retried_ms = timed(say_hello, retried)
        slow_code, slow_ms = timed(say_hello, slow)
    print(f"retried {retried_code} after {retried_ms} ms; slow {slow_code} after {slow_ms} ms")


if __name__ == "__main__":
    main()
