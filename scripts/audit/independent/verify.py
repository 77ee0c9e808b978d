#!/usr/bin/env python3
"""An independent verifier for a MAOS Codex ledger and vault, written from AUDITING.md alone.

Needs Python 3.8+ (standard library only), `openssl` (Ed25519) and `git` (with `ssh-keygen` for signed
vault commits). It shares no code with the project. It opens every input read-only and writes nothing:
the only bytes it hands to `openssl` and `git` are passed through anonymous in-memory files (or, where
the platform has none, a private temporary folder it deletes on exit).

    verify.py --key ledger.vkey --db ledger.db [--vault DIR] [--checkpoint FILE]...

Exit 0: everything verifies. Exit 1: something failed; each failure is printed as `FAIL: <what>: <why>`.
Exit 2: bad usage or a missing tool/file.
"""

import argparse
import base64
import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import urllib.parse

ZERO_HASH = "0" * 64
# SubjectPublicKeyInfo DER prefix for an Ed25519 key (RFC 8410); the 32 key bytes follow.
ED25519_SPKI_PREFIX = bytes.fromhex("302a300506032b6570032100")
SIG_DASH = "\u2014"  # the em dash that starts a signed-note signature line


def sha256(data):
    return hashlib.sha256(data).digest()


def node_hash(left, right):
    return sha256(b"\x01" + left + right)


def leaf_hash(data):
    return sha256(b"\x00" + data)


def mth(leaves):
    """RFC 6962 Merkle Tree Hash over leaf hashes (bytes); split at the largest power of two below n."""
    n = len(leaves)
    if n == 0:
        return sha256(b"")
    if n == 1:
        return leaves[0]
    k = 1
    while k * 2 < n:
        k *= 2
    return node_hash(mth(leaves[:k]), mth(leaves[k:]))


class Roots:
    """Roots of every prefix of the ledger, built once with a frontier of perfect subtrees."""

    def __init__(self, leaves):
        self.roots = {0: sha256(b"")}
        stack = []  # (height, hash) of perfect subtrees, left to right
        for i, leaf in enumerate(leaves):
            stack.append((0, leaf))
            while len(stack) > 1 and stack[-1][0] == stack[-2][0]:
                (h, right), (_, left) = stack.pop(), stack.pop()
                stack.append((h + 1, node_hash(left, right)))
            root = stack[-1][1]
            for _, left in reversed(stack[:-1]):
                root = node_hash(left, root)
            self.roots[i + 1] = root

    def at(self, size):
        return self.roots.get(size)


class Report:
    def __init__(self):
        self.failures = []

    def fail(self, where, why):
        self.failures.append(f"{where}: {why}")
        print(f"FAIL: {where}: {why}")

    def ok(self, what):
        print(f"ok: {what}")


class Files:
    """Hands bytes to a child process as a path, without writing them anywhere on disk."""

    def __init__(self):
        self.fds = []
        self.tmp = None

    def path(self, data):
        if hasattr(os, "memfd_create"):
            fd = os.memfd_create("verify", 0)
            os.write(fd, data)
            self.fds.append(fd)
            return f"/dev/fd/{fd}"
        if self.tmp is None:
            self.tmp = tempfile.mkdtemp(prefix="maos-verify-")
        name = os.path.join(self.tmp, f"f{len(self.fds)}")
        with open(name, "wb") as out:
            out.write(data)
        self.fds.append(-1)
        return name

    def close(self):
        for fd in self.fds:
            if fd >= 0:
                os.close(fd)
        if self.tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def pass_fds(self):
        return [fd for fd in self.fds if fd >= 0]


# --- the public key (AUDITING.md §2) -------------------------------------------------------------


def parse_vkey(text):
    parts = text.strip().split("+", 2)  # the base64 may itself hold "+"
    if len(parts) != 3:
        raise ValueError("a verifier key is <name>+<8 hex key id>+<base64>")
    name, key_id, b64 = parts
    raw = base64.b64decode(b64, validate=True)
    if len(raw) != 33 or raw[0] != 0x01:
        raise ValueError("the key is not 0x01 (Ed25519) followed by 32 bytes")
    expected_id = sha256(name.encode() + b"\n" + raw)[:4]
    if key_id != expected_id.hex():
        raise ValueError(f"key id {key_id} is not {expected_id.hex()} = SHA-256(name \\n 0x01 key)[:4]")
    pem = b"-----BEGIN PUBLIC KEY-----\n" + base64.b64encode(ED25519_SPKI_PREFIX + raw[1:]) + b"\n-----END PUBLIC KEY-----\n"
    return {"text": text.strip(), "name": name, "id": expected_id, "pem": pem}


def ed25519_verify(key, message, signature):
    files = Files()
    try:
        args = ["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", files.path(key["pem"]), "-rawin"]
        args += ["-in", files.path(message), "-sigfile", files.path(signature)]
        return subprocess.run(args, pass_fds=files.pass_fds(), capture_output=True).returncode == 0
    finally:
        files.close()


# --- checkpoints (AUDITING.md §5) ----------------------------------------------------------------


def parse_note(text):
    """Returns (origin, size, root bytes, signed message bytes, [(name, base64 signature)])."""
    # As C2SP signed-note (and Go's note.Open): body, one blank line, then signature lines, each ending "\n".
    split = text.rfind("\n\n")
    if split < 0:
        raise ValueError("no blank line between the body and the signatures")
    body, sigs = text[:split], text[split + 2 :]
    if not sigs.endswith("\n"):
        raise ValueError("missing or unterminated signature lines (the note must end with one newline)")
    lines = body.split("\n")
    if len(lines) < 3:
        raise ValueError("the body needs an origin, a size and a root line")
    origin, size_text, root_b64 = lines[0], lines[1], lines[2]
    if not size_text.isdigit() or (size_text != "0" and size_text.startswith("0")):
        raise ValueError(f"size line {size_text!r} is not a decimal number")
    root = base64.b64decode(root_b64, validate=True)
    if len(root) != 32:
        raise ValueError("the root line is not 32 bytes of base64")
    signatures = []
    for line in sigs[:-1].split("\n"):
        fields = line.split(" ")
        if len(fields) != 3 or fields[0] != SIG_DASH:
            raise ValueError(f"bad signature line {line!r}")
        signatures.append((fields[1], fields[2]))
    return origin, int(size_text), root, (body + "\n").encode(), signatures


class Checker:
    def __init__(self, key, report, files):
        self.key, self.report, self.files = key, report, files
        self.rows = []  # (seq, entries' parsed JSON, entry_hash)
        self.roots = None
        self.origin = None

    # --- the ledger (§3, §4) ---

    def check_ledger(self, db):
        leaves, prev, expected = [], ZERO_HASH, 0
        for seq, canonical, entry_hash in db.execute("SELECT seq, canonical, entry_hash FROM ledger ORDER BY seq"):
            where = f"ledger seq {seq}"
            if seq != expected:
                self.report.fail(where, f"gap: expected seq {expected} (a row was deleted)")
                prev = None  # no chain link to check across the gap
            expected = seq + 1
            data = canonical.encode("utf-8")
            if leaf_hash(data).hex() != entry_hash:
                self.report.fail(where, "row edited: entry_hash is not SHA-256(0x00 || canonical)")
            try:
                entry = json.loads(canonical)
            except ValueError:
                self.report.fail(where, "canonical is not JSON")
                entry = {}
            if entry.get("seq") != seq:
                self.report.fail(where, f"canonical names seq {entry.get('seq')}")
            if prev is not None and entry.get("prev_hash") != prev:
                self.report.fail(where, "chain broken: prev_hash is not the previous entry_hash")
            leaves.append(bytes.fromhex(entry_hash) if len(entry_hash) == 64 else leaf_hash(data))
            self.rows.append((seq, entry, entry_hash))
            prev = entry_hash
        if not self.rows:
            self.report.fail("ledger", "no entries (not even the genesis)")
            return
        genesis = self.rows[0][1]
        payload = genesis.get("payload") or {}
        if self.rows[0][0] != 0 or genesis.get("event_type") != "GENESIS":
            self.report.fail("ledger seq 0", "the first entry is not the GENESIS")
        elif payload.get("publicKey") != self.key["text"]:
            self.report.fail("ledger seq 0", "the genesis names another public key than --key")
        self.origin = payload.get("origin")
        self.roots = Roots(leaves)
        self.report.ok(f"{len(self.rows)} entries, hashes and chain links")

    # --- checkpoints (§5) ---

    def check_note(self, text, where, expect_size=None, expect_root=None):
        """Verifies a signed checkpoint note against the key and the ledger; returns its size or None."""
        try:
            origin, size, root, message, signatures = parse_note(text)
        except ValueError as e:
            self.report.fail(where, f"not a checkpoint note: {e}")
            return None
        good = False
        for name, b64 in signatures:
            raw = base64.b64decode(b64)
            if name == self.key["name"] and raw[:4] == self.key["id"]:
                if not ed25519_verify(self.key, message, raw[4:]):
                    self.report.fail(where, f"the signature by {name} does not verify")
                    return None
                good = True
        if not good:
            self.report.fail(where, f"no signature by {self.key['name']}+{self.key['id'].hex()}")
            return None
        if self.origin is not None and origin != self.origin:
            self.report.fail(where, f"origin {origin!r} is not the genesis's {self.origin!r}")
        if expect_size is not None and (size != expect_size or root.hex() != expect_root):
            self.report.fail(where, "the size/root columns are not the note's")
        ledger_size = len(self.rows)
        if size > ledger_size:
            self.report.fail(where, f"truncated or rolled back: the checkpoint covers {size} entries but the ledger holds {ledger_size}")
        elif self.roots.at(size) != root:
            self.report.fail(where, f"root mismatch at size {size}: the ledger is not an append-only extension of this checkpoint")
        return size

    def check_checkpoint_table(self, db):
        sizes = set()
        rows = list(db.execute("SELECT id, size, root, note FROM checkpoints ORDER BY id"))
        expected = 1
        for cid, size, root, note in rows:
            if cid != expected:
                self.report.fail(f"checkpoints id {expected}", f"checkpoint rows deleted: ids {expected}..{cid - 1} are missing")
            expected = cid + 1
            if self.check_note(note, f"checkpoints id {cid}", size, root) is not None:
                sizes.add(size)
        # Entries that name the checkpoint signed with them must still find it (the newest rows too).
        for seq, entry, _ in self.rows:
            payload = entry.get("payload") or {}
            named = None
            if entry.get("event_type") == "RUN_SEALED":
                named = payload.get("checkpointSize")
            elif entry.get("event_type") == "LEDGER_CHECKPOINT":
                named = payload.get("size")
            if isinstance(named, int) and named not in sizes:
                self.report.fail(f"ledger seq {seq}", f"checkpoint rows deleted: it names the signed checkpoint at size {named}, which the table lacks")
        self.report.ok(f"{len(rows)} table checkpoints")

    # --- the vault (§7) ---

    def check_vault(self, vault):
        def git(*args, check=True):
            env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0"}  # git may not even refresh the index
            done = subprocess.run(["git", "-C", vault, *args], capture_output=True, env=env, pass_fds=self.files.pass_fds())
            if check and done.returncode != 0:
                raise RuntimeError(done.stderr.decode(errors="replace").strip())
            return done

        def blob(spec):
            done = git("cat-file", "blob", spec, check=False)
            return done.stdout if done.returncode == 0 else None

        if git("rev-parse", "--verify", "-q", "HEAD", check=False).returncode != 0:
            self.report.fail("vault", "not a git repository with a HEAD commit")
            return
        sealed = [(seq, e["payload"]) for seq, e, _ in self.rows if e.get("event_type") == "RUN_SEALED"]
        for seq, p in sealed:
            self.check_sealed_run(git, blob, seq, p)
        # Every checkpoint the vault holds must fit the ledger (a larger one means a truncated ledger),
        # including those in the SEAL.json of runs the ledger no longer names (a rolled-back ledger).
        listed = git("ls-tree", "-r", "-z", "--name-only", "HEAD", "--", "runs/").stdout.decode().split("\0")
        for name in [n for n in listed if n.endswith("/SEAL.json")]:
            self.check_seal_ledger(json.loads(blob(f"HEAD:{name}")), f"vault HEAD:{name}")
        names = git("ls-tree", "--name-only", "HEAD", "checkpoints/", check=False).stdout.decode().split()
        for name in names:
            text = blob(f"HEAD:{name}")
            if text is not None:
                self.check_note(text.decode(), f"vault HEAD:{name}")
            on_disk = os.path.join(vault, name)
            if os.path.isfile(on_disk):
                with open(on_disk, "rb") as f:
                    self.check_note(f.read().decode(), f"vault working tree {name}")
        self.check_signatures(git, sealed)
        self.report.ok(f"vault: {len(sealed)} sealed runs")

    def check_sealed_run(self, git, blob, seq, p):
        where = f"vault run {p.get('runId')} (RUN_SEALED seq {seq})"
        path, commit = p.get("vaultPath"), p.get("commit")
        in_history = git("merge-base", "--is-ancestor", commit, "HEAD", check=False).returncode == 0
        if not in_history:
            self.report.fail(where, f"history rewritten: seal commit {commit} is not in HEAD's history")
        head_tree = git("rev-parse", "-q", "--verify", f"HEAD:{path}", check=False)
        if head_tree.returncode != 0:
            self.report.fail(where, f"sealed run missing from the vault: {path} is not in HEAD")
            return
        sealed_tree = git("rev-parse", "-q", "--verify", f"{commit}:{path}", check=False).stdout
        if in_history and sealed_tree != head_tree.stdout:
            self.report.fail(where, f"sealed run rewritten: {path} in HEAD is not the tree committed at {commit}")
        raw = blob(f"HEAD:{path}/SEAL.json")
        if raw is None:
            self.report.fail(where, "SEAL.json missing")
            return
        seal = json.loads(raw)
        if seal.get("runId") != p.get("runId"):
            self.report.fail(where, f"SEAL.json names run {seal.get('runId')}")
        if seal.get("root") != p.get("sealRoot"):
            self.report.fail(where, f"SEAL.json root {seal.get('root')} is not RUN_SEALED's sealRoot {p.get('sealRoot')}")
        files = seal.get("files") or []
        paths = [f["path"] for f in files]
        if paths != sorted(paths, key=lambda s: s.encode("utf-8")):
            self.report.fail(where, "SEAL.json files are not sorted by the UTF-8 bytes of their paths")
        leaves = [leaf_hash(f"{f['path']}\n{f['sha256']}".encode("utf-8")) for f in files]
        if mth(leaves).hex() != seal.get("root"):
            self.report.fail(where, "SEAL.json root is not the RFC 6962 root over its files")
        listed = git("ls-tree", "-r", "-z", "--name-only", "HEAD", "--", f"{path}/").stdout.decode()
        committed = {n[len(path) + 1 :] for n in listed.split("\0") if n} - {"SEAL.json"}
        for name in sorted(committed - set(paths)):
            self.report.fail(where, f"extra file {name} not in SEAL.json")
        for f in files:
            data = blob(f"HEAD:{path}/{f['path']}")
            if data is None:
                self.report.fail(where, f"file {f['path']} missing")
            elif hashlib.sha256(data).hexdigest() != f["sha256"] or len(data) != f["bytes"]:
                self.report.fail(where, f"file {f['path']} does not hash to its SEAL.json entry")

    def check_seal_ledger(self, seal, where):
        """SEAL.json's `ledger`: the checkpoint signed just before RUN_SEALED, with its size, head and root."""
        ledger = seal.get("ledger") or {}
        if ledger.get("checkpoint"):
            size = self.check_note(ledger["checkpoint"], f"{where} ledger.checkpoint")
            if size is not None and size != ledger.get("size"):
                self.report.fail(where, "ledger.size is not its checkpoint's size")
        size = ledger.get("size")
        if isinstance(size, int) and 0 < size <= len(self.rows):
            if self.rows[size - 1][2] != ledger.get("head") or self.roots.at(size).hex() != ledger.get("root"):
                self.report.fail(where, f"ledger.head/root are not the ledger's at size {size}")

    def check_signatures(self, git, sealed):
        records = [(seq, e["payload"].get("publicKey")) for seq, e, _ in self.rows if e.get("event_type") == "VAULT_SIGNING_KEY"]
        signing = [(seq, e["payload"]) for seq, e, _ in self.rows if e.get("event_type") == "VAULT_SIGNING_KEY" and e["payload"].get("publicKey")]
        if not signing:
            return
        later_seals = [p["commit"] for seq, p in sealed if seq > signing[0][0]]
        if not later_seals:
            return
        allowed = "".join(p["allowedSigners"].strip() + "\n" for _, p in signing).encode()
        log_args = ["-c", f"gpg.ssh.allowedSignersFile={self.files.path(allowed)}", "log", "--topo-order", "--format=%H %G?"]
        log = git(*log_args, f"{later_seals[0]}~1..HEAD", check=False)
        if log.returncode != 0:  # the first seal commit is the root commit
            log = git(*log_args, "HEAD")
        walk = [line.split(" ") for line in log.stdout.decode().split("\n") if line]
        # A record with publicKey null turns signing off from then on (AUDITING.md §7): a seal commit follows
        # the key in force at its RUN_SEALED; another commit may be unsigned when the key in force at the
        # nearest seal on either side of it (after the newest seal: the newest record) is null.
        seal_seq = {p["commit"]: seq for seq, p in sealed}

        def off(sha):
            if sha not in seal_seq:
                return None
            before = [key for seq, key in records if seq < seal_seq[sha]]
            return bool(before) and before[-1] is None

        newer, state = [], records[-1][1] is None
        for sha, _ in walk:
            state = off(sha) if off(sha) is not None else state
            newer.append(state)
        older = newer[-1] if newer else False
        for i in range(len(walk) - 1, -1, -1):
            sha, status = walk[i]
            own = off(sha)
            older = own if own is not None else older
            may_be_unsigned = own if own is not None else (older or newer[i])
            if status != "G" and not (status == "N" and may_be_unsigned):
                self.report.fail(f"vault commit {sha}", f"not signed by a vault key the ledger recorded (%G? = {status})")


def pasted_note(text):
    """A note saved from chat may have \r\n, blank lines around it, or no final newline (AUDITING.md §1)."""
    return re.sub(r"^\s*\n", "", text.replace("\r\n", "\n"), count=1).rstrip() + "\n"


def open_db(path):
    """Opens the ledger read-only: immutable when it is a plain copy (so SQLite creates no -wal/-shm)."""
    if not os.path.isfile(path):
        raise FileNotFoundError(path)
    live = os.path.exists(path + "-wal")
    uri = "file:" + urllib.parse.quote(os.path.abspath(path)) + ("?mode=ro" if live else "?immutable=1")
    return sqlite3.connect(uri, uri=True)


def main(argv):
    ap = argparse.ArgumentParser(description="Verify a MAOS Codex ledger (and vault) from the public key alone.")
    ap.add_argument("--key", required=True, help="ledger.vkey, obtained out of band")
    ap.add_argument("--db", required=True, help="a copy of ledger.db")
    ap.add_argument("--vault", help="a copy of the vault (a git repository)")
    ap.add_argument("--checkpoint", action="append", default=[], help="a checkpoint note received out of band")
    args = ap.parse_args(argv)
    for tool in ["openssl"] + (["git"] if args.vault else []):
        if shutil.which(tool) is None:
            print(f"needs {tool} on PATH", file=sys.stderr)
            return 2
    try:
        with open(args.key, encoding="utf-8") as f:
            key = parse_vkey(f.read())
        db = open_db(args.db)
    except (OSError, ValueError) as e:
        print(f"cannot start: {e}", file=sys.stderr)
        return 2
    report, files = Report(), Files()
    try:
        checker = Checker(key, report, files)
        checker.check_ledger(db)
        if checker.rows:
            checker.check_checkpoint_table(db)
            for name in args.checkpoint:
                with open(name, encoding="utf-8", newline="") as f:
                    checker.check_note(pasted_note(f.read()), f"--checkpoint {name}")
            if args.vault:
                checker.check_vault(args.vault)
    except (sqlite3.Error, RuntimeError, OSError, KeyError, ValueError) as e:
        report.fail("verify", str(e))
    finally:
        db.close()
        files.close()
    if report.failures:
        print(f"BROKEN: {len(report.failures)} failure(s)")
        return 1
    print("INTACT")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
