#!/usr/bin/env python3
"""Writes passlib-vectors.txt: pbkdf2_sha512 hashes exactly as passlib formats them.

passlib cannot be installed on the build machines, so this reproduces its
pbkdf2_sha512 output with the standard library: hashlib.pbkdf2_hmac("sha512", ...)
with a 64-byte derived key, salt and checksum in passlib's "ab64" encoding
(standard base64, "." instead of "+", padding stripped), and the string
"$pbkdf2-sha512$<rounds>$<ab64 salt>$<ab64 checksum>".

Run once: python3 make_passlib_vectors.py > passlib-vectors.txt
Each line is: <password as hex> <tab> <hash string>. Salts are fixed so the
file is reproducible.
"""
import base64
import hashlib


def ab64(data: bytes) -> str:
    return base64.b64encode(data).decode().replace("+", ".").rstrip("=")


def passlib_pbkdf2_sha512(password: str, salt: bytes, rounds: int) -> str:
    checksum = hashlib.pbkdf2_hmac("sha512", password.encode("utf-8"), salt, rounds, 64)
    return "$pbkdf2-sha512$%d$%s$%s" % (rounds, ab64(salt), ab64(checksum))


VECTORS = [
    # (password, salt, rounds)
    ("correct horse battery staple", bytes(range(16)), 25000),
    ("correct horse battery staple", bytes.fromhex("f3a1c2d4e5b60718293a4b5c6d7e8f90"), 600000),
    ("pâssw0rd-ünïcode", bytes.fromhex("fbfbfbfbfbfbfbfbfbfbfbfbfbfbfbfb"), 25000),
]

for password, salt, rounds in VECTORS:
    print("%s\t%s" % (password.encode("utf-8").hex(), passlib_pbkdf2_sha512(password, salt, rounds)))
