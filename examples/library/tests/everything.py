"""The wkt.v1.Everything messages the echo test sends: every well-known type and JSON special
case (json_format.py writes them as JSON and as their binary encoding). Imported by
json_format.py once it has compiled echo.proto."""

import math
import random
import struct

from google.protobuf import any_pb2, duration_pb2, empty_pb2, struct_pb2, timestamp_pb2, wrappers_pb2
from wkt.v1 import echo_pb2 as pb

NAN, INF = float("nan"), float("inf")


def samples():
    """(name, message) pairs: a rich one, edge cases, Anys of well-known types, doubles and
    floats of random bits, an empty one."""
    anys = [("any-" + name, any_of(value)) for name, value in wkt_values()]
    numbers = ("random-doubles-and-floats", random_numbers())
    return [("rich", rich()), ("edges", edges()), *anys, numbers, ("empty", pb.Everything())]


def spelled():
    """Floats kuberpc writes in fewer digits than json_format (which writes at least 6
    significant digits): different JSON numbers, the same float."""
    return [("denormal-floats", pb.Everything(singles=[1e-45, -1.0388e-41, 2.8e-45, 1.1754942e-38]))]


def known():
    """The cases where kuberpc's JSON is known to differ from json_format's (tests/echo.rs)."""
    return [
        ("double-value-infinite", pb.Everything(double_value=wrappers_pb2.DoubleValue(value=-INF))),
        ("double-value-nan", pb.Everything(double_value=wrappers_pb2.DoubleValue(value=NAN))),
        ("float-value-infinite", pb.Everything(float_value=wrappers_pb2.FloatValue(value=INF))),
        ("any-empty", any_of(empty_pb2.Empty())),
        ("negative-zero", negative_zero()),
    ]


def negative_zero():
    """-0.0 in fields without presence and in wrappers (in a repeated field it survives)."""
    msg = pb.Everything(ratio=-0.0, single=-0.0, ratios=[-0.0], singles=[-0.0])
    msg.double_value.value = -0.0
    msg.float_value.value = -0.0
    return msg


def random_numbers(count=2000):
    """Doubles and floats of random bits (seeded): every exponent, every digit count."""
    rng = random.Random(7)
    doubles = (struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))[0] for _ in range(2 * count))
    floats = (struct.unpack("<f", rng.getrandbits(32).to_bytes(4, "little"))[0] for _ in range(2 * count))
    msg = pb.Everything(ratios=[d for d in doubles if math.isfinite(d)][:count])
    msg.singles.extend([f for f in floats if math.isfinite(f) and abs(f) < 3.4028234663852886e38][:count])
    return msg


def packed(message):
    any_message = any_pb2.Any()
    any_message.Pack(message)
    return any_message


def rich():
    msg = pb.Everything(
        at=timestamp_pb2.Timestamp(seconds=1_795_000_000, nanos=123_456_789),
        took=duration_pb2.Duration(seconds=-3, nanos=-500_000_000),
        nothing=empty_pb2.Empty(),
        detail=packed(pb.Inner(label="packed", took=duration_pb2.Duration(seconds=1, nanos=500_000_000))),
        null_value=struct_pb2.NULL_VALUE,
        double_value=wrappers_pb2.DoubleValue(value=-1.5e300),
        float_value=wrappers_pb2.FloatValue(value=0.1),
        int64_value=wrappers_pb2.Int64Value(value=-9_007_199_254_740_993),
        uint64_value=wrappers_pb2.UInt64Value(value=2**64 - 1),
        int32_value=wrappers_pb2.Int32Value(value=-5),
        uint32_value=wrappers_pb2.UInt32Value(value=2**32 - 1),
        bool_value=wrappers_pb2.BoolValue(value=False),
        string_value=wrappers_pb2.StringValue(value=""),
        bytes_value=wrappers_pb2.BytesValue(value=b"\x00\xff"),
        big=-(2**63),
        big_unsigned=2**64 - 1,
        fixed=2**63,
        signed_fixed=-1,
        zigzag=-(2**62),
        small=-(2**31),
        ratio=NAN,
        single=0.1,
        blob=bytes([0xFB, 0xFF, 0x00, 0x61]),
        flag=True,
        text='h\u00e9llo \u2603 "quoted"\n\ttab \U0001d11e',
        mood=pb.MOOD_GRUMPY,
        ratios=[1.0, -0.0, INF, -INF, NAN, 1e-300, 5e-324, 0.1],
        singles=[1.0, -0.0, INF, -INF, NAN, 1.1754944e-38, 0.1, 16777217.0],
        moods=[pb.MOOD_HAPPY, pb.MOOD_UNSPECIFIED, 7],
        totals={"a": 1, "big": -(2**63), "": 0},
        by_flag={True: "yes", False: "no"},
        maybe=0,
        word="",
        display_name="shown as label",
    )
    msg.mask.paths.extend(["book.title", "book.read", "shelf_name", "update_mask.paths"])
    msg.doc.update({"zone": "eu-1", "none": None, "nested": {"depth": 2, "list": [1, "two", True, None, {"k": []}]}})
    msg.value.list_value.extend([2.5, "x", {"y": False}])
    msg.list.extend(["a", 2.5, False, None, {"x": 1}])
    msg.by_id[-1].label = "negative"
    msg.by_id[7].children.add(label="kid")
    msg.inner.label = "outer"
    msg.inner.children.add(label="c1", took=duration_pb2.Duration(nanos=1000))
    msg.inner.children.add()
    msg.times.extend(times())
    return msg


def times():
    """0, the first and the last second JSON can write, milli-, micro- and nanosecond fractions."""
    return [
        timestamp_pb2.Timestamp(seconds=0),
        timestamp_pb2.Timestamp(seconds=-62_135_596_800),
        timestamp_pb2.Timestamp(seconds=253_402_300_799, nanos=999_999_999),
        timestamp_pb2.Timestamp(seconds=-1, nanos=1_000_000),
        timestamp_pb2.Timestamp(seconds=1, nanos=1000),
    ]


def edges():
    """The other oneof member (an empty message), a null Value, durations below a second and
    at the limit, and nothing optional set."""
    msg = pb.Everything(
        picked=pb.Inner(),
        took=duration_pb2.Duration(seconds=0, nanos=-500_000_000),
        double_value=wrappers_pb2.DoubleValue(value=5e-324),
        float_value=wrappers_pb2.FloatValue(value=3.4028232635611926e38),
        int64_value=wrappers_pb2.Int64Value(value=0),
        ratio=-INF,
        single=-1.5,
        mood=5,
    )
    msg.value.null_value = struct_pb2.NULL_VALUE
    msg.doc.Clear()
    msg.inner.took.seconds = 315_576_000_000
    msg.mask.SetInParent()
    msg.list.SetInParent()
    return msg


def wkt_values():
    """Well-known types whose JSON inside an Any is {"@type", "value"}."""
    struct = struct_pb2.Struct()
    struct.update({"a": [1, None]})
    return [
        ("duration", duration_pb2.Duration(seconds=-1, nanos=-1)),
        ("timestamp", timestamp_pb2.Timestamp(seconds=1, nanos=10)),
        ("struct", struct),
        ("value", struct_pb2.Value(string_value="v")),
        ("int64", wrappers_pb2.Int64Value(value=5)),
        ("any", packed(pb.Inner(label="twice packed"))),
    ]


def any_of(value):
    return pb.Everything(detail=packed(value), text="any")
