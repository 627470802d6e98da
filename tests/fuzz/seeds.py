#!/usr/bin/env python3
"""Write the hand-made seeds of the fuzz corpus (tests/fuzz/corpus/NAME/seed-*).

Seeds are small valid inputs and the edge cases next to them, written from the
wire formats in lib/*.h, so that every fuzzer starts from inputs its decoder
accepts. Inputs the fuzzers found (crash-*, regress-*) and corpus entries kept
by `libFuzzer -merge` live beside them and are not touched here.
Run from the repository root: python3 tests/fuzz/seeds.py
"""
import base64
import json
import os
import struct

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
OPS = ["START", "DATA", "PAUSE", "RESUME", "STOP"]
K31 = "abcdefghijklmnopqrstuvwxyz01234"


def put(target, name, data):
    d = os.path.join(ROOT, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("latin-1")
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


# ---------------------------------------------------------------- parse
lines = {
    "data": "k1,DATA,12.5",
    "start": "k1,START,",
    "stop-value": "a.b-c_D9,STOP,-3e-2",
    "point5": "k0001,DATA,.5",
    "exp": "k,DATA,+1.E+3",
    "key31": K31 + ",PAUSE,",
    "key32": K31 + "5,RESUME,",
    "inf": "k,DATA,1e999",
    "tiny": "k,DATA,4.9406564584124654e-324",
    "negzero": "k,DATA,-0",
    "nan": "k,DATA,nan",
    "hex": "k,DATA,0x10",
    "crlf": "k1,DATA,1\r",
    "fields4": "k1,DATA,1,2",
    "lowerop": "k1,data,1",
    "nul": "k1,DATA,1\x002",
    "comment": "# a comment",
    "empty": "",
    "file": "k1,START,\nk1,DATA,1\n\n# c\nk2,STOP,\nbad line\nk1,DATA,2",
    "long-4096": "k," + "DATA," + "1" * (4096 - 7) + "\nk1,DATA,1\n",
    "long-4097": "k," + "DATA," + "1" * (4097 - 7) + "\nk1,DATA,1",
}
for name, text in lines.items():
    put("fuzz_parse", name, text)

# ---------------------------------------------------------------- frame
def frame(body):
    return struct.pack("<I", len(body)) + body


def chunks(stream, sizes):
    """Cut stream into chunks of the given sizes (cycled): the fuzz_frame input."""
    out, pos, i = b"", 0, 0
    while pos < len(stream):
        n = min(sizes[i % len(sizes)], len(stream) - pos, 255)
        out += bytes([n]) + stream[pos:pos + n]
        pos += n
        i += 1
    return out


frames = frame(b"") + frame(b"a") + frame(b"hello, frames") + frame(bytes(range(40)))
put("fuzz_frame", "whole", chunks(frames, [255]))
put("fuzz_frame", "bytewise", chunks(frames, [1]))
put("fuzz_frame", "mixed", chunks(frames, [3, 7, 1, 30]))
put("fuzz_frame", "truncated", chunks(frames[:-5], [5]))
put("fuzz_frame", "oversized", chunks(frame(b"ok") + b"\xff\xff\xff\xff" + b"x" * 8, [6]))
put("fuzz_frame", "max-plus-one", chunks(struct.pack("<I", (16 << 20) + 1), [4]))
put("fuzz_frame", "header-split", chunks(frame(b"xy") * 3, [2]))

# ---------------------------------------------------------------- codecs
MSGS = [
    ("k1", 1, 12.5, 7, b""),
    ("k0000", 0, None, 0, b""),
    (K31, 4, -0.0, 2**64 - 1, b""),
    ("a.b-c_D9", 1, 4.9406564584124654e-324, 2**63, bytes(range(7))),
    ("x", 3, 1.7976931348623157e308, 123456789, b"payload!"),
    ("k2", 2, None, 1, b"\x00"),
    ("k3", 1, 0.1, 2**32, b"ab"),
]


def raw(key, op, value, seq, payload):
    k = key.encode()
    bits = struct.pack("<d", value) if value is not None else b"\0" * 8
    return (bytes([0xC1, op, 1 if value is not None else 0, len(k)]) + k + bits +
            struct.pack("<QI", seq, len(payload)) + payload)


def mp_str(s):
    b = s.encode()
    return bytes([0xA0 | len(b)]) + b


def mp_uint(v):
    if v < 128:
        return bytes([v])
    if v < 256:
        return b"\xcc" + bytes([v])
    if v < 65536:
        return b"\xcd" + struct.pack(">H", v)
    if v < 2**32:
        return b"\xce" + struct.pack(">I", v)
    return b"\xcf" + struct.pack(">Q", v)


def msgpack(key, op, value, seq, payload):
    v = b"\xc0" if value is None else b"\xcb" + struct.pack(">d", value)
    return (b"\x85" + mp_str("k") + mp_str(key) + mp_str("o") + mp_uint(op) + mp_str("v") + v +
            mp_str("s") + mp_uint(seq) + mp_str("p") + b"\xc4" + bytes([len(payload)]) + payload)


def js(key, op, value, seq, payload):
    return json.dumps({"key": key, "op": OPS[op], "value": value, "seq": seq,
                       "payload": base64.b64encode(payload).decode()}, separators=(",", ":"))


for i, m in enumerate(MSGS):
    put("fuzz_codec_raw", "msg%d" % i, raw(*m))
    put("fuzz_codec_msgpack", "msg%d" % i, msgpack(*m))
    if m[3] < 2**63:
        put("fuzz_codec_json", "msg%d" % i, js(*m))

r = raw("k1", 1, 1.0, 1, b"abc")
put("fuzz_codec_raw", "truncated", r[:-1])
put("fuzz_codec_raw", "trailing", r + b"!")
put("fuzz_codec_raw", "bad-magic", b"\xC2" + r[1:])
put("fuzz_codec_raw", "nan", raw("k1", 1, float("nan"), 1, b""))
put("fuzz_codec_raw", "bits-without-flag", r[:2] + b"\x00" + r[3:])
put("fuzz_codec_raw", "payload-huge", r[:-7] + struct.pack("<I", 0xFFFFFFFF))

m = msgpack("k1", 1, 1.0, 1, b"abc")
put("fuzz_codec_msgpack", "array32-huge", b"\xdd\xff\xff\xff\xff\x00")
put("fuzz_codec_msgpack", "map32-huge", b"\xdf\xff\xff\xff\xff")
put("fuzz_codec_msgpack", "trailing", m + b"\xc0")
put("fuzz_codec_msgpack", "float32", m.replace(b"\xcb" + struct.pack(">d", 1.0), b"\xca" + struct.pack(">f", 1.0)))
put("fuzz_codec_msgpack", "dup-key", m.replace(mp_str("o"), mp_str("k"), 1))
put("fuzz_codec_msgpack", "ext", b"\x81\xa1k\xc7\x03\x01abc")
put("fuzz_codec_msgpack", "nested", b"\x85" + b"\x91" * 20 + b"\xc0")

put("fuzz_codec_json", "dup", '{"key":"k1","op":"DATA","value":1,"seq":1,"payload":"","seq":2}')
put("fuzz_codec_json", "int-value", '{"key":"k1","op":"DATA","value":5,"seq":0,"payload":"YQ=="}')
put("fuzz_codec_json", "bad-b64", '{"key":"k1","op":"DATA","value":1.5,"seq":0,"payload":"YR=="}')
put("fuzz_codec_json", "negseq", '{"key":"k1","op":"STOP","value":null,"seq":-1,"payload":""}')
put("fuzz_codec_json", "ws", ' { "key" : "k1" , "op" : "START" , "value" : null , "seq" : 3 , "payload" : "" } \n')
put("fuzz_codec_json", "nul-key", '{"key":"k\\u0000","op":"DATA","value":1,"seq":0,"payload":""}')
put("fuzz_codec_json", "huge-real", '{"key":"k1","op":"DATA","value":1e999,"seq":0,"payload":""}')

# ---------------------------------------------------------------- ctl
ctl = {
    "get": "GET k1", "get-cr": "GET k1\r", "get31": "GET " + K31, "stats": "STATS",
    "shutdown": "SHUTDOWN\r", "get-empty": "GET ", "get-2sp": "GET  k1", "lower": "get k1",
    "nul": "GET k\x00", "ctrl": "\x01\x7f\xff", "long": "GET " + "k" * 509,
    "long-plus": "GET " + "k" * 510, "stats-arg": "STATS now", "empty": "",
}
for name, text in ctl.items():
    put("fuzz_ctl", name, text)

# ---------------------------------------------------------------- dump rows
rows = {
    "idle": "k1,IDLE,0,0,0,,,,0,0",
    "running": "k1,RUNNING,3,2,12.5,-3,15.5,15.5,2.9957322735539909,1",
    "negzero": "k0000,STOPPED,1,1,-0,-0,-0,-0,0.57735026918962573,0",
    "tiny": K31 + ",PAUSED,18446744073709551615,1,4.9406564584124654e-324,"
            "4.9406564584124654e-324,4.9406564584124654e-324,4.9406564584124654e-324,0,0",
    "hex": "k1,IDLE,0,0,0x10,,,,0,0",
    "inf": "k1,RUNNING,1,1,inf,inf,inf,inf,0,0",
    "u64-over": "k1,IDLE,18446744073709551616,0,0,,,,0,0",
    "min-without-data": "k1,IDLE,0,0,0,1,,,0,0",
    "fields11": "k1,IDLE,0,0,0,,,,0,0,0",
    "plus": "k1,IDLE,+1,0,0,,,,0,0",
}
for name, text in rows.items():
    put("fuzz_dump_row", name, text)
