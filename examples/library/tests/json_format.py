"""The proto3 JSON mapping as Python's protobuf implements it (google.protobuf.json_format),
for comparison with kuberpc's REST answers.

Compiles examples/library's protos (library.proto, wkt/v1/echo.proto) with grpc_tools.protoc
into Python modules in a temporary directory; the google/api imports come from the
googleapis-common-protos package (the version the copied files come from).

usage:
  json_format.py to-json < lines "TYPE HEX"     one line of JSON per message
  json_format.py reparse < lines "TYPE JSON"    each parsed (json_format.Parse), written again
  json_format.py to-binary < lines "TYPE JSON"  each parsed, as a JSON string: the hex of its
                                                encoding, map entries sorted
  json_format.py samples [known|spelled]        a JSON array of tests/everything.py's samples,
                                                {"name", "hex" (as to-binary), "json", "sparse"}

JSON is MessageToJson(msg, always_print_fields_with_no_presence=True) on one line ("sparse":
without that option). A message json_format refuses gives {"json_format.ParseError": "…"};
anything else that fails exits non-zero with a message.
"""

import importlib
import json
import os
import sys
import tempfile

sys.dont_write_bytecode = True  # no __pycache__ beside the tests

from google.protobuf import json_format, symbol_database  # noqa: E402
from grpc_tools import protoc  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
PROTO = os.path.join(HERE, "..", "proto")
# kuberpc's embedded google/api/annotations.proto and http.proto (not copied into the example).
KUBERPC_PROTO = os.path.join(HERE, "..", "..", "..", "proto")
FILES = ["google/example/library/v1/library.proto", "wkt/v1/echo.proto"]
MODULES = ["google.example.library.v1.library_pb2", "wkt.v1.echo_pb2"]


def compile_modules(out):
    """Writes the Python modules of FILES into `out` and imports them."""
    include = os.path.join(os.path.dirname(protoc.__file__), "_proto")
    args = ["protoc", f"-I{PROTO}", f"-I{KUBERPC_PROTO}", f"-I{include}", f"--python_out={out}", *FILES]
    if protoc.main(args) != 0:
        sys.exit("json_format.py: protoc failed on " + " ".join(FILES))
    sys.path.insert(0, out)
    for module in MODULES:
        importlib.import_module(module)


def message(type_name):
    return symbol_database.Default().GetSymbol(type_name)()


def to_json(msg, sparse=False):
    return json_format.MessageToJson(msg, always_print_fields_with_no_presence=not sparse, indent=None)


def each_line(convert, write):
    """Reads lines "TYPE DATA", writes one line per message (a JSON object naming the error if
    json_format refuses it)."""
    for line in sys.stdin:
        if line.strip():
            type_name, _, data = line.rstrip("\n").partition(" ")
            try:
                print(write(convert(message(type_name), data)), flush=True)
            except json_format.ParseError as e:
                print(json.dumps({"json_format.ParseError": str(e)}), flush=True)


def from_hex(msg, data):
    msg.ParseFromString(bytes.fromhex(data))
    return msg


def from_json(msg, data):
    return json_format.Parse(data, msg)


def to_hex(msg):
    """The encoding, map entries in key order: equal messages, equal encodings."""
    return json.dumps(msg.SerializeToString(deterministic=True).hex())


def main():
    with tempfile.TemporaryDirectory() as out:
        compile_modules(out)
        command = sys.argv[1] if len(sys.argv) > 1 else ""
        if command == "to-json":
            each_line(from_hex, to_json)
        elif command == "reparse":
            each_line(from_json, to_json)
        elif command == "to-binary":
            each_line(from_json, to_hex)
        elif command == "samples":
            import everything  # beside this script; imported once the modules are compiled

            groups = {"known": everything.known, "spelled": everything.spelled}
            chosen = groups.get("".join(sys.argv[2:]), everything.samples)()
            print(json.dumps([sample(name, msg) for name, msg in chosen]))
        else:
            sys.exit(__doc__)


def sample(name, msg):
    return {"name": name, "hex": json.loads(to_hex(msg)), "json": to_json(msg), "sparse": to_json(msg, True)}


main()
