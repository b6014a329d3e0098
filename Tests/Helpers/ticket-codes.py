#!/usr/bin/env python3
"""An implementation of the signed ticket code (SyncProtocol/ticket-codes.md) apart from the
Swift one, on Python's `cryptography` (Debian's python3-cryptography): checks every vector of
SyncProtocol/vectors/ticket-codes.json, prints one line per vector, exits 1 on any mismatch.

    ticket-codes.py check SyncProtocol/vectors/ticket-codes.json
    ticket-codes.py sign SEED_HEX SERIAL_HEX EVENT_ID     # prints the signed code
"""
import hashlib
import json
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
DOMAIN = b"venue-ticket/1\x00"


def base32(data):
    bits, pending, out = 0, 0, []
    for byte in data:
        bits, pending = (bits << 8) | byte, pending + 8
        while pending >= 5:
            pending -= 5
            out.append((bits >> pending) & 31)
    if pending:
        out.append((bits << (5 - pending)) & 31)
    return out


def unbase32(digits):
    bits, pending, out = 0, 0, bytearray()
    for digit in digits:
        bits, pending = (bits << 5) | digit, pending + 5
        if pending >= 8:
            pending -= 8
            out.append((bits >> pending) & 0xFF)
    return bytes(out)


def luhn32(digits):
    total, factor = 0, 2
    for digit in reversed(digits):
        addend = factor * digit
        total += addend // 32 + addend % 32
        factor = 1 if factor == 2 else 2
    return (32 - total % 32) % 32


def key_id(public_key):
    digest = hashlib.sha256(public_key).digest()
    return digest[0] << 8 | digest[1]


def event_tag(event_id):
    return hashlib.sha256(b"venue-ticket/event\x00" + event_id.encode()).digest()[:3]


def public_bytes(key):
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def sign(seed, serial, event_id):
    key = Ed25519PrivateKey.from_private_bytes(seed)
    kid = key_id(public_bytes(key))
    header = bytes([1, kid >> 8, kid & 0xFF]) + serial + event_tag(event_id)
    digits = base32(header + key.sign(DOMAIN + header))
    return "".join(ALPHABET[d] for d in digits + [luhn32(digits)])


def short_code(serial):
    text = "".join(ALPHABET[d] for d in base32(serial))
    return "-".join(text[i:i + 4] for i in range(0, 16, 4))


def read(text, keys, events):
    """The verdict on `text` given public keys {key_id: [bytes]} and the known event ids."""
    values = []
    for ch in text.upper():
        if ch in "- ":
            continue
        ch = {"O": "0", "I": "1", "L": "1"}.get(ch, ch)
        if ch not in ALPHABET:
            return "not_a_code", None
        values.append(ALPHABET.index(ch))
    if len(values) == 16:
        return "short", short_code(unbase32(values))
    if len(values) != 129:
        return "not_a_code", None
    if luhn32(values[:-1]) != values[-1]:
        return "mistyped", None
    data = unbase32(values[:-1])
    if len(data) != 80 or data[0] != 1:
        return "unknown_format", None
    kid, serial, tag, signature = data[1] << 8 | data[2], data[3:13], data[13:16], data[16:]
    candidates = keys.get(kid, [])
    if not candidates:
        return "unknown_key", None
    for public_key in candidates:
        try:
            Ed25519PublicKey.from_public_bytes(public_key).verify(signature, DOMAIN + data[:16])
            break
        except InvalidSignature:
            continue
    else:
        return "forged", None
    named = [event for event in events if event_tag(event) == tag]
    if not named:
        return "unknown_event", None
    return "valid", (short_code(serial), named[0])


def check(path):
    with open(path) as file:
        vectors = json.load(file)
    keys = {}
    for key in vectors["keys"]:
        public_key = public_bytes(Ed25519PrivateKey.from_private_bytes(bytes.fromhex(key["seed"])))
        assert public_key.hex() == key["public_key"], key
        assert key_id(public_key) == key["key_id"], key
        keys.setdefault(key["key_id"], []).append(public_key)
    events = vectors["events"]
    failures = 0
    for vector in vectors["vectors"]:
        expected = vector["verdict"]
        if "seed" in vector:
            made = sign(bytes.fromhex(vector["seed"]), bytes.fromhex(vector["serial"]), vector["event_id"])
            if made != vector["text"].replace("-", ""):
                print(f"FAIL {vector['name']}: signs as {made}")
                failures += 1
                continue
        verdict, found = read(vector["text"], keys, events)
        ok = verdict == expected
        if ok and verdict == "valid":
            ok = found == (vector["short_code"], vector["event_id"])
        if ok and verdict == "short":
            ok = found == vector["short_code"]
        print(f"{'ok  ' if ok else 'FAIL'} {vector['name']}: {verdict}")
        failures += 0 if ok else 1
    return failures


if __name__ == "__main__":
    if sys.argv[1:2] == ["check"] and len(sys.argv) == 3:
        sys.exit(1 if check(sys.argv[2]) else 0)
    if sys.argv[1:2] == ["sign"] and len(sys.argv) == 5:
        print(sign(bytes.fromhex(sys.argv[2]), bytes.fromhex(sys.argv[3]), sys.argv[4]))
        sys.exit(0)
    print(__doc__, file=sys.stderr)
    sys.exit(2)
