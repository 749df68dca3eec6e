"""Builds the scan benchmark's tree (scripts/bench-scan.sh): about 500 MB in about 24,000
text files of source-like lines (words, identifiers, hex digests, base64, URLs, a few
20 look-alike tokens with bad checksums), and 5 valid tokens planted in 5 files.

The tokens are checksummed as every test makes them (tests/gen/token_vectors.py: CRC-32
in base62) and then checked by the core itself (clouddigit.is_token), so a wrong one
fails here rather than as a missing finding. Deterministic for a given seed.

usage: make_tree.py DIR [--mb 500] [--files 24000] [--seed 21]
"""

import argparse
import base64
import json
import os
import random
import zlib

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
WORDS = (
    "the of and to in is for on with as by at from this that be are it an or not config value "
    "server request response client token project account policy bucket object region error "
    "return const let var def class import export async await function self none true false "
    "string number list map index key data user name path file line column buffer stream"
).split()


def checksum(random_part: str) -> str:
    n = zlib.crc32(random_part.encode())
    out = ""
    for _ in range(6):
        out = ALPHABET[n % 62] + out
        n //= 62
    return out


def token(rng: random.Random) -> str:
    r = "".join(rng.choice(ALPHABET) for _ in range(36))
    return "cd_" + r + checksum(r)


def line_pool(rng: random.Random, n: int) -> list:
    pool = []
    for i in range(n):
        kind = i % 8
        ident = "_".join(rng.choice(WORDS) for _ in range(rng.randint(1, 3)))
        words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 14)))
        if kind == 0:
            s = f"    {ident} = {rng.choice(WORDS)}({ident}, {rng.randint(0, 99999)})  # {words}"
        elif kind == 1:
            s = f"sha256:{rng.randbytes(32).hex()}  {ident}.tar.gz"
        elif kind == 2:
            s = base64.b64encode(rng.randbytes(rng.randint(30, 70))).decode()
        elif kind == 3:
            s = f"    \"{ident}\": \"{rng.randbytes(8).hex()}\",  // {words}"
        elif kind == 4:
            s = f"GET https://api.example.com/v1/{ident}/{rng.randint(1, 10**9)}?page={rng.randint(1, 99)} 200"
        elif kind == 5:
            s = f"{words.capitalize()}."
        elif kind == 6:
            s = f"    if {ident} is not None and len({ident}) > {rng.randint(0, 64)}: raise ValueError({words!r})"
        else:
            s = f"INFO {rng.randint(10**9, 2 * 10**9)} {ident} took {rng.random():.3f}s ({words})"
        pool.append(s + "\n")
    return pool


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--mb", type=int, default=500)
    ap.add_argument("--files", type=int, default=24000)
    ap.add_argument("--seed", type=int, default=21)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    pool = line_pool(rng, 40000)
    chunks = ["".join(rng.choices(pool, k=64)) for _ in range(4000)]
    mean = a.mb * 1_000_000 // a.files
    tokens = [token(rng) for _ in range(5)]
    import clouddigit  # the core checks the planted tokens

    assert all(clouddigit.is_token(t) for t in tokens), "a planted token is not valid"
    planted = {}
    while len(planted) < 5:
        planted[rng.randrange(a.files)] = tokens[len(planted)]
    # 20 look-alikes (the shape, a wrong checksum): rg's pattern matches them, the core not.
    fakes = {rng.randrange(a.files): "cd_" + "".join(rng.choice(ALPHABET) for _ in range(42)) for _ in range(20)}
    exts = [".py", ".js", ".ts", ".go", ".rs", ".json", ".yaml", ".md", ".txt", ".log", ".env", ".toml"]
    total = 0
    answer = []
    for i in range(a.files):
        d = os.path.join(a.dir, f"pkg{i % 40:02d}", f"mod{(i // 40) % 15:02d}")
        os.makedirs(d, exist_ok=True)
        size = max(200, int(rng.expovariate(1 / mean)))
        parts, n = [], 0
        while n < size:
            c = rng.choice(chunks)
            parts.append(c)
            n += len(c)
        text = "".join(parts)[:size]
        text = text[: text.rfind("\n") + 1] or text
        path = os.path.join(d, f"file{i:05d}{exts[i % len(exts)]}")
        if i in fakes:
            text += f"FAKE_TOKEN={fakes[i]}\n"
        if i in planted:
            lines = text.splitlines(keepends=True)
            at = rng.randrange(len(lines) + 1)
            lines.insert(at, f"CD_API_TOKEN={planted[i]}\n")
            text = "".join(lines)
            answer.append({"file": path, "line": at + 1, "prefix": planted[i][:9]})
        with open(path, "w") as f:
            f.write(text)
        total += len(text)
    with open(os.path.join(a.dir, "..", "planted.json"), "w") as f:
        json.dump(sorted(answer, key=lambda x: x["file"]), f, indent=1)
    print(f"{a.files} files, {total / 1e6:.0f} MB, {len(answer)} tokens planted")


if __name__ == "__main__":
    main()
