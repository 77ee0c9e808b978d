#!/usr/bin/env bash
# verify.sh: an independent verifier of a MAOS Codex ledger and vault, written from AUDITING.md alone.
# It shares no code with src/ and needs only bash and coreutils plus sqlite3, sha256sum, openssl (with
# Ed25519) and git. It never writes to the files it checks: the database is opened read-only
# (immutable when no -wal file sits beside it), git only reads (GIT_OPTIONAL_LOCKS=0), and scratch
# files go to a temporary folder that is removed on exit.
#
#   scripts/audit/verify.sh --key ledger.vkey --db ledger.db [--vault DIR] [--checkpoint FILE]
#   scripts/audit/verify.sh --key KEY.vkey --note FILE     (one signed note: its signature by KEY)
#
# Exit 0: everything verifies. 1: something failed (every failure is printed as "FAIL: ..."). 2: bad
# usage or a missing tool.
set -u
export LC_ALL=C GIT_OPTIONAL_LOCKS=0 GIT_TERMINAL_PROMPT=0
unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE GIT_OBJECT_DIRECTORY GIT_ALTERNATE_OBJECT_DIRECTORIES

KEY="" DB="" VAULT="" CHECKPOINT="" NOTE=""
while [ $# -gt 0 ]; do
  case "$1" in
    --key) KEY="${2:-}"; shift 2 ;;
    --db) DB="${2:-}"; shift 2 ;;
    --vault) VAULT="${2:-}"; shift 2 ;;
    --checkpoint) CHECKPOINT="${2:-}"; shift 2 ;;
    --note) NOTE="${2:-}"; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "verify.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ -n "$KEY" ] && { [ -n "$DB" ] || [ -n "$NOTE" ]; } || { echo "verify.sh: --key FILE and --db FILE (or --note FILE) are required" >&2; exit 2; }
for tool in sqlite3 sha256sum openssl git base64 od; do
  command -v "$tool" >/dev/null 2>&1 || { echo "verify.sh: $tool is not installed" >&2; exit 2; }
done
[ -f "$KEY" ] || { echo "verify.sh: no key file $KEY" >&2; exit 2; }
[ -n "$NOTE" ] || [ -f "$DB" ] || { echo "verify.sh: no ledger file $DB" >&2; exit 2; }
[ -z "$VAULT" ] || [ -d "$VAULT/.git" ] || { echo "verify.sh: $VAULT is not a git repository" >&2; exit 2; }

T=$(mktemp -d "${TMPDIR:-/tmp}/maos-audit.XXXXXX") || exit 2
trap 'rm -rf "$T"' EXIT
FAILS=0
fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
ok() { echo "ok: $*"; }

# The database, read-only. A copy made with `sqlite3 ledger.db ".backup copy.db"` has no -wal file and
# is opened immutable (nothing is created beside it); a live database's -wal is read as well.
if [ -e "$DB-wal" ]; then DBURI="file:$(cd "$(dirname "$DB")" && pwd)/$(basename "$DB")?mode=ro"
else DBURI="file:$(cd "$(dirname "$DB")" && pwd)/$(basename "$DB")?immutable=1"; fi
q() { sqlite3 -batch -noheader "$DBURI" "$@"; }

# hex of a file's bytes / bytes of a hex string
hexof() { od -An -v -tx1 "$1" | tr -d ' \n'; }
unhex() { local h="$1" out=""; local i; for ((i = 0; i < ${#h}; i += 2)); do out+="\\x${h:i:2}"; done; printf '%b' "$out"; }
sha() { local h; h=$(sha256sum); printf '%s' "${h%% *}"; }

# --- the key: <name>+<8 hex key id>+<base64 of 0x01 || 32-byte Ed25519 public key> ---------------------
VKEY=$(tr -d '\r\n' < "$KEY")
KNAME=${VKEY%%+*}; REST=${VKEY#*+}; KID=${REST%%+*}; KB64=${REST#*+}
printf '%s' "$KB64" | base64 -d > "$T/key.bin" 2>/dev/null || { fail "key: $KEY is not base64 after name+id+"; exit 1; }
KHEX=$(hexof "$T/key.bin")
[ ${#KHEX} -eq 66 ] && [ "${KHEX:0:2}" = "01" ] || { fail "key: not an Ed25519 note key (0x01 + 32 bytes)"; exit 1; }
WANT_ID=$( { printf '%s\n' "$KNAME"; unhex "$KHEX"; } | sha | cut -c1-8)
[ "$WANT_ID" = "$KID" ] || { fail "key: key id $KID is not SHA-256(name || \\n || key)[0:4] = $WANT_ID"; exit 1; }
# SubjectPublicKeyInfo for Ed25519 = 302a300506032b6570032100 || public key
{ echo "-----BEGIN PUBLIC KEY-----"; unhex "302a300506032b6570032100${KHEX:2}" | base64; echo "-----END PUBLIC KEY-----"; } > "$T/pub.pem"
ok "key $KNAME+$KID (Ed25519)"

# Checks one signed note in file $1: the Ed25519 signature by the key, then prints "size roothex origin".
SIGNED_SIZE="" SIGNED_ROOT="" SIGNED_ORIGIN=""
check_note() {
  local file="$1" what="$2" content body sigs line name b64 found=0
  content=$(cat "$file"; printf x); content=${content%x}
  case "$content" in *$'\n\n'*) ;; *) fail "$what: not a signed note (no blank line)"; return 1 ;; esac
  body=${content%%$'\n\n'*}$'\n'
  sigs=${content#*$'\n\n'}
  printf '%s' "$body" > "$T/body"
  while IFS= read -r line; do
    [ -z "$line" ] && continue
    case "$line" in "— "*) ;; *) fail "$what: malformed signature line"; return 1 ;; esac
    line=${line#— }; name=${line%% *}; b64=${line#* }
    [ "$name" = "$KNAME" ] || continue
    printf '%s' "$b64" | base64 -d > "$T/sig.raw" 2>/dev/null || { fail "$what: signature is not base64"; return 1; }
    local sighex; sighex=$(hexof "$T/sig.raw")
    [ "${sighex:0:8}" = "$KID" ] || continue
    unhex "${sighex:8}" > "$T/sig.bin"
    if openssl pkeyutl -verify -pubin -inkey "$T/pub.pem" -rawin -in "$T/body" -sigfile "$T/sig.bin" >/dev/null 2>&1; then
      found=1
    else
      fail "$what: bad signature"; return 1
    fi
  done <<< "$sigs"
  [ $found -eq 1 ] || { fail "$what: not signed by $KNAME+$KID"; return 1; }
  local origin size root
  { IFS= read -r origin; IFS= read -r size; IFS= read -r root; } <<< "$body"
  if [ -n "$NOTE" ] && ! [[ "$size" =~ ^(0|[1-9][0-9]*)$ ]]; then SIGNED_SIZE=""; SIGNED_ROOT=""; return 0; fi
  [[ "$size" =~ ^(0|[1-9][0-9]*)$ ]] || { fail "$what: bad size line"; return 1; }
  SIGNED_ORIGIN=$origin SIGNED_SIZE=$size
  SIGNED_ROOT=$(printf '%s' "$root" | base64 -d 2>/dev/null | od -An -v -tx1 | tr -d ' \n')
  [ -n "$NOTE" ] || [ ${#SIGNED_ROOT} -eq 64 ] || { fail "$what: root is not a base64 32-byte hash"; return 1; }
  return 0
}

# --- one signed note on its own (e.g. the C2SP and Go sumdb/note vectors) ------------------------------
if [ -n "$NOTE" ]; then
  [ -f "$NOTE" ] || { echo "verify.sh: no note file $NOTE" >&2; exit 2; }
  if check_note "$NOTE" "note $NOTE"; then
    ok "note $NOTE is signed by $KNAME+$KID"
    [[ "$SIGNED_SIZE" =~ ^[0-9]+$ ]] && [ ${#SIGNED_ROOT} -eq 64 ] && ok "checkpoint body: origin $SIGNED_ORIGIN, size $SIGNED_SIZE, root $SIGNED_ROOT"
  fi
  if [ $FAILS -eq 0 ]; then echo "VERIFIED"; exit 0; fi
  echo "BROKEN ($FAILS failures)"; exit 1
fi

# --- entries: entry_hash = SHA-256(0x00 || canonical), seq and prev_hash inside canonical ---------------
mkdir -p "$T/leaf"
q "SELECT count(writefile(printf('%s/leaf/%012d', '$T', seq), x'00' || CAST(canonical AS BLOB))) FROM ledger" >/dev/null
q "SELECT seq, entry_hash, json_extract(canonical, '\$.seq'), json_extract(canonical, '\$.prev_hash') FROM ledger ORDER BY seq" > "$T/rows"
( cd "$T/leaf" && sha256sum -- * 2>/dev/null ) | cut -c1-64 > "$T/leafhashes"
declare -a LEAF
N=0 PREV=$(printf '0%.0s' {1..64}) FIRST_BAD=""
exec 3< "$T/leafhashes"
while IFS='|' read -r seq stored jseq jprev; do
  IFS= read -r computed <&3
  if [ "$seq" != "$N" ]; then [ -z "$FIRST_BAD" ] && FIRST_BAD="seq $N: gap: expected seq $N, found $seq (rows deleted)"; fi
  if [ "$computed" != "$stored" ]; then [ -z "$FIRST_BAD" ] && FIRST_BAD="seq $seq: row edited: entry_hash is not SHA-256(0x00 || canonical)"; fi
  if [ "$jseq" != "$seq" ]; then [ -z "$FIRST_BAD" ] && FIRST_BAD="seq $seq: reordered: canonical says seq $jseq"; fi
  if [ "$jprev" != "$PREV" ]; then [ -z "$FIRST_BAD" ] && FIRST_BAD="seq $seq: chain broken: prev_hash is not the previous entry_hash"; fi
  LEAF[N]=$computed; PREV=$computed; N=$((N + 1))
done < "$T/rows"
exec 3<&-
SIZE=$N
[ -z "$FIRST_BAD" ] && ok "$SIZE entries: every entry_hash and prev_hash link" || fail "ledger: $FIRST_BAD"

# --- genesis ---------------------------------------------------------------------------------------------
IFS='|' read -r g_type g_key g_origin <<< "$(q "SELECT json_extract(canonical,'\$.event_type'), json_extract(canonical,'\$.payload.publicKey'), json_extract(canonical,'\$.payload.origin') FROM ledger WHERE seq = 0")"
if [ "$g_type" != "GENESIS" ]; then fail "ledger: seq 0: genesis missing"
elif [ "$g_key" != "$VKEY" ]; then fail "ledger: seq 0: genesis names another public key than $KEY"
else ok "genesis names this key, origin $g_origin"; fi

# --- RFC 6962 Merkle tree hash: leaves are the entry hashes; node = SHA-256(0x01 || left || right) -----
declare -A MEMO
node() { local h; h=$({ printf '\x01'; unhex "$1$2"; } | sha256sum); printf '%s' "${h%% *}"; }
# mth START N: root of leaves START..START+N-1 of array $TREE, in REPLY
mth() {
  local s=$1 n=$2 k=1 l
  if [ "$n" -eq 1 ]; then eval "REPLY=\${$TREE[$s]}"; return; fi
  local key="$TREE:$s:$n"
  if [ -n "${MEMO[$key]:-}" ]; then REPLY=${MEMO[$key]}; return; fi
  while [ $((k * 2)) -lt "$n" ]; do k=$((k * 2)); done
  mth "$s" "$k"; l=$REPLY
  mth $((s + k)) $((n - k))
  REPLY=$(node "$l" "$REPLY")
  MEMO[$key]=$REPLY
}
# The ledger's tree, level by level (one sha256sum per level): LV_j[i] is the root of the perfect
# subtree of 2^j leaves starting at leaf i * 2^j.
LEVELS=0
build_levels() {
  local n=$SIZE i pairs name
  LV_0=("${LEAF[@]}")
  while [ "$n" -ge 2 ]; do
    local -n cur="LV_$LEVELS"
    pairs=$((n / 2))
    rm -rf "$T/lv"; mkdir -p "$T/lv"
    for ((i = 0; i < pairs; i++)); do
      printf -v name '%012d' "$i"
      { printf '\x01'; unhex "${cur[2 * i]}${cur[2 * i + 1]}"; } > "$T/lv/$name"
    done
    mapfile -t hs < <(cd "$T/lv" && sha256sum -- * | cut -c1-64)
    LEVELS=$((LEVELS + 1))
    eval "LV_$LEVELS=(\"\${hs[@]}\")"
    n=$pairs
  done
}
# root_at N: RFC 6962 root of the first N leaves: the perfect subtrees of N's binary decomposition,
# largest first, folded right to left.
declare -A ROOTS
root_at() {
  local n=$1 start=0 k nodes=() r i
  if [ "$n" -eq 0 ]; then REPLY=$(printf '' | sha); return; fi
  if [ -n "${ROOTS[$n]:-}" ]; then REPLY=${ROOTS[$n]}; return; fi
  for ((k = LEVELS; k >= 0; k--)); do
    if [ $(((n >> k) & 1)) -eq 1 ]; then
      local -n lv="LV_$k"
      nodes+=("${lv[start >> k]}")
      start=$((start + (1 << k)))
    fi
  done
  r=${nodes[${#nodes[@]} - 1]}
  for ((i = ${#nodes[@]} - 2; i >= 0; i--)); do r=$(node "${nodes[i]}" "$r"); done
  ROOTS[$n]=$r; REPLY=$r
}
build_levels
root_at "$SIZE"; ok "Merkle root at size $SIZE: $REPLY"

# One signed checkpoint note against the rows: signature, origin, and the root rebuilt at its size.
ATTESTED=0
check_checkpoint() {
  local file="$1" what="$2"
  check_note "$file" "$what" || return 1
  [ "$SIGNED_ORIGIN" = "$g_origin" ] || { fail "$what: origin $SIGNED_ORIGIN is not the ledger's $g_origin"; return 1; }
  if [ "$SIGNED_SIZE" -gt "$SIZE" ]; then
    fail "$what: truncated: it covers $SIGNED_SIZE entries but the ledger holds $SIZE (entries $SIZE..$((SIGNED_SIZE - 1)) are gone)"
    return 1
  fi
  root_at "$SIGNED_SIZE"
  [ "$REPLY" = "$SIGNED_ROOT" ] || { fail "$what: root mismatch at size $SIGNED_SIZE: an entry in seq 0..$((SIGNED_SIZE - 1)) differs from what was signed"; return 1; }
  [ "$SIGNED_SIZE" -gt "$ATTESTED" ] && ATTESTED=$SIGNED_SIZE
  return 0
}

# --- the checkpoints table: id, size, root (hex), note, created_utc; ids run 1, 2, 3, ... ----------------
mkdir -p "$T/cp"
q "SELECT count(writefile(printf('%s/cp/%012d', '$T', id), note)) FROM checkpoints" >/dev/null
EXPECT=1 CPS=0 CP_BAD=0 LAST=0
declare -A SIGNED_SIZES
while IFS='|' read -r id size root; do
  [ -z "$id" ] && continue
  [ "$id" -eq "$EXPECT" ] || { fail "checkpoints: checkpoint rows deleted: id $EXPECT missing"; CP_BAD=1; }
  EXPECT=$((id + 1)); CPS=$((CPS + 1))
  if check_checkpoint "$T/cp/$(printf '%012d' "$id")" "checkpoint id $id"; then
    [ "$size" = "$SIGNED_SIZE" ] && [ "$root" = "$SIGNED_ROOT" ] || { fail "checkpoint id $id: row edited: size/root columns differ from the signed note"; CP_BAD=1; }
    [ "$SIGNED_SIZE" -ge "$LAST" ] || { fail "checkpoint id $id: order: size $SIGNED_SIZE after $LAST"; CP_BAD=1; }
    LAST=$SIGNED_SIZE; SIGNED_SIZES[$SIGNED_SIZE]=1
  else CP_BAD=1; fi
done <<< "$(q "SELECT id, size, root FROM checkpoints ORDER BY id")"
# Entries that name the checkpoint they were written with must still find it.
while IFS='|' read -r seq size; do
  [ -z "$seq" ] || [ -z "$size" ] && continue
  [ -n "${SIGNED_SIZES[$size]:-}" ] || { fail "checkpoints: checkpoint rows deleted: seq $seq names the checkpoint at size $size, which the table no longer holds"; CP_BAD=1; break; }
done <<< "$(q "SELECT seq, CASE json_extract(canonical,'\$.event_type') WHEN 'RUN_SEALED' THEN json_extract(canonical,'\$.payload.checkpointSize') ELSE json_extract(canonical,'\$.payload.size') END FROM ledger WHERE json_extract(canonical,'\$.event_type') IN ('RUN_SEALED','LEDGER_CHECKPOINT') ORDER BY seq")"
[ $CP_BAD -eq 0 ] && ok "$CPS signed checkpoints in the table verify"

# --- a checkpoint received out of band -------------------------------------------------------------------
if [ -n "$CHECKPOINT" ]; then
  tr -d '\r' < "$CHECKPOINT" > "$T/oob"
  [ -n "$(tail -c1 "$T/oob")" ] && echo >> "$T/oob"
  check_checkpoint "$T/oob" "checkpoint $CHECKPOINT" && ok "the ledger extends the checkpoint in $CHECKPOINT (size $SIGNED_SIZE)"
fi

# --- the vault -------------------------------------------------------------------------------------------
if [ -n "$VAULT" ]; then
  G() { git -C "$VAULT" "$@"; }
  HEAD=$(G rev-parse --verify --quiet 'HEAD^{commit}') || HEAD=""
  G rev-list HEAD 2>/dev/null | sort > "$T/history"
  # HEAD's tree checked out into the scratch folder through a temporary index: the vault is not touched.
  if [ -n "$HEAD" ]; then
    GIT_INDEX_FILE="$T/index" G read-tree HEAD && GIT_INDEX_FILE="$T/index" G checkout-index -a -f --prefix="$T/head/"
  fi
  RUNS=0 VBAD=0; declare -A NAMED=()
  while IFS='|' read -r seq runid vpath commit sroot; do
    [ -z "$seq" ] && continue
    RUNS=$((RUNS + 1)); at="(RUN_SEALED at seq $seq)"; NAMED["$vpath"]=1
    grep -qx "$commit" "$T/history" || { fail "vault: $vpath: history rewritten: seal commit ${commit:0:12} $at is not in HEAD's history"; VBAD=1; }
    headtree=$(G rev-parse --verify --quiet "HEAD:$vpath") || { fail "vault: $vpath: sealed run missing from the vault $at"; VBAD=1; continue; }
    committree=$(G rev-parse --verify --quiet "$commit:$vpath" 2>/dev/null) || committree=""
    [ -z "$committree" ] || [ "$committree" = "$headtree" ] || { fail "vault: $vpath: sealed run rewritten: differs from the folder committed at ${commit:0:12} $at"; VBAD=1; }
    G show "HEAD:$vpath/SEAL.json" > "$T/seal.json" 2>/dev/null || { fail "vault: $vpath: SEAL.json missing $at"; VBAD=1; continue; }
    IFS='|' read -r jroot jrun jcp <<< "$(sqlite3 :memory: "SELECT json_extract(j,'\$.root'), json_extract(j,'\$.runId'), length(json_extract(j,'\$.ledger.checkpoint')) > 0 FROM (SELECT readfile('$T/seal.json') AS j)")"
    [ "$jroot" = "$sroot" ] || { fail "vault: $vpath: SEAL.json root ${jroot:0:16}... is not the seal root ${sroot:0:16}... $at"; VBAD=1; }
    [ "$jrun" = "$runid" ] || { fail "vault: $vpath: SEAL.json names run $jrun, not $runid $at"; VBAD=1; }
    # HEAD's files of this run, re-hashed from the checkout in $T/head (one sha256sum for the folder).
    declare -A HASHED=(); declare -A SIZES=()
    if [ -d "$T/head/$vpath" ]; then
      while read -r h f; do HASHED[${f#./}]=$h; done < <(cd "$T/head/$vpath" && find . -type f -print0 | xargs -0 -r sha256sum)
      while read -r sz f; do [ "$f" = total ] || SIZES[${f#./}]=$sz; done < <(cd "$T/head/$vpath" && find . -type f -print0 | xargs -0 -r wc -c)
    fi
    # Seal root: RFC 6962 root over leaves "<path>\n<sha256 hex>", in SEAL.json's order (byte order of paths).
    declare -a SLEAF=(); declare -A LISTED=(); i=0; prevpath=""
    while IFS='|' read -r fpath fsha fbytes; do
      [ -z "$fpath" ] && continue
      if [ $i -gt 0 ] && [[ ! "$prevpath" < "$fpath" ]]; then fail "vault: $vpath: SEAL.json files are not in byte order of path"; VBAD=1; fi
      prevpath=$fpath; LISTED[$fpath]=1
      [ "${HASHED[$fpath]:-}" = "$fsha" ] && [ "${SIZES[$fpath]:-}" = "$fbytes" ] || { fail "vault: $vpath/$fpath does not hash to its SEAL.json entry $at"; VBAD=1; }
      SLEAF[i]=$( { printf '\x00'; printf '%s\n%s' "$fpath" "$fsha"; } | sha); i=$((i + 1))
    done <<< "$(sqlite3 :memory: "SELECT json_extract(value,'\$.path'), json_extract(value,'\$.sha256'), json_extract(value,'\$.bytes') FROM json_each(readfile('$T/seal.json'), '\$.files')")"
    if [ $i -eq 0 ]; then REPLY=$(printf '' | sha); else TREE=SLEAF; mth 0 $i; fi
    [ "$REPLY" = "$jroot" ] || { fail "vault: $vpath: SEAL.json root is not the Merkle root of its files $at"; VBAD=1; }
    for f in "${!HASHED[@]}"; do
      [ "$f" = "SEAL.json" ] || [ -n "${LISTED[$f]:-}" ] || { fail "vault: $vpath/$f is committed but not in SEAL.json $at"; VBAD=1; }
    done
    for k in "${!MEMO[@]}"; do [[ "$k" == SLEAF:* ]] && unset "MEMO[$k]"; done
    if [ "$jcp" = "1" ]; then
      sqlite3 :memory: "SELECT json_extract(readfile('$T/seal.json'),'\$.ledger.checkpoint')" > "$T/sealcp"
      check_checkpoint "$T/sealcp" "vault: $vpath SEAL.json checkpoint" || VBAD=1
    fi
  done <<< "$(q "SELECT seq, json_extract(canonical,'\$.payload.runId'), json_extract(canonical,'\$.payload.vaultPath'), json_extract(canonical,'\$.payload.commit'), json_extract(canonical,'\$.payload.sealRoot') FROM ledger WHERE json_extract(canonical,'\$.event_type') = 'RUN_SEALED' ORDER BY seq")"
  # The checkpoint in the SEAL.json of a run no RUN_SEALED names: a rolled-back ledger no longer names the
  # runs sealed after it, but their seals still hold a checkpoint larger than the ledger.
  for f in $(G ls-tree -r --name-only HEAD -- runs/ 2>/dev/null | grep '/SEAL\.json$'); do
    [ -n "${NAMED[${f%/SEAL.json}]:-}" ] && continue
    G show "HEAD:$f" > "$T/seal.json"
    if [ "$(sqlite3 :memory: "SELECT length(json_extract(readfile('$T/seal.json'),'\$.ledger.checkpoint')) > 0")" = "1" ]; then
      sqlite3 :memory: "SELECT json_extract(readfile('$T/seal.json'),'\$.ledger.checkpoint')" > "$T/sealcp"
      check_checkpoint "$T/sealcp" "vault: ${f%/SEAL.json} SEAL.json checkpoint (a run the ledger does not name)" || VBAD=1
    fi
  done
  # Checkpoint copies under checkpoints/: committed in HEAD, and in the working tree.
  for f in $(G ls-tree -r --name-only HEAD -- checkpoints/ 2>/dev/null); do
    G show "HEAD:$f" > "$T/vcp"; check_checkpoint "$T/vcp" "vault: $f (HEAD)" || VBAD=1
  done
  for f in "$VAULT"/checkpoints/*; do
    [ -f "$f" ] || continue
    check_checkpoint "$f" "vault: ${f#"$VAULT"/}" || VBAD=1
  done
  # Signatures: keys recorded by VAULT_SIGNING_KEY entries; every commit from the first seal made after
  # the first record up to HEAD must be good (%G? = G) against them.
  q "SELECT json_extract(canonical,'\$.payload.publicKey') FROM ledger WHERE json_extract(canonical,'\$.event_type') = 'VAULT_SIGNING_KEY' AND json_extract(canonical,'\$.payload.publicKey') IS NOT NULL" | sort -u | sed 's/^/maos-codex@localhost namespaces="git" /' > "$T/signers"
  KSEQ=$(q "SELECT min(seq) FROM ledger WHERE json_extract(canonical,'\$.event_type') = 'VAULT_SIGNING_KEY' AND json_extract(canonical,'\$.payload.publicKey') IS NOT NULL")
  SIGNED=0
  if [ -n "$KSEQ" ] && [ -s "$T/signers" ]; then
    FIRST=$(q "SELECT json_extract(canonical,'\$.payload.commit') FROM ledger WHERE json_extract(canonical,'\$.event_type') = 'RUN_SEALED' AND seq > $KSEQ ORDER BY seq LIMIT 1")
    if [ -n "$FIRST" ]; then
      WC=() WS=()
      while read -r c st; do
        WC+=("$c"); WS+=("$st")
        [ "$c" = "$FIRST" ] && break
      done <<< "$(G -c gpg.ssh.allowedSignersFile="$T/signers" log --topo-order --format='%H %G?' HEAD)"
      # A record with publicKey null turns signing off from then on: a seal commit follows the key in
      # force at its RUN_SEALED (OFF 1); another commit may be unsigned when the key in force at the
      # nearest seal on either side of it (after the newest seal: the newest record) is null.
      declare -A OFF=()
      while IFS='|' read -r c off; do [ -n "$c" ] && OFF["$c"]="${off:-0}"; done <<< "$(q "SELECT json_extract(r.canonical,'\$.payload.commit'), (SELECT json_extract(k.canonical,'\$.payload.publicKey') IS NULL FROM ledger k WHERE json_extract(k.canonical,'\$.event_type') = 'VAULT_SIGNING_KEY' AND k.seq < r.seq ORDER BY k.seq DESC LIMIT 1) FROM ledger r WHERE json_extract(r.canonical,'\$.event_type') = 'RUN_SEALED'")"
      state=$(q "SELECT json_extract(canonical,'\$.payload.publicKey') IS NULL FROM ledger WHERE json_extract(canonical,'\$.event_type') = 'VAULT_SIGNING_KEY' ORDER BY seq DESC LIMIT 1")
      NEWER=()
      for i in "${!WC[@]}"; do state="${OFF[${WC[$i]}]:-$state}"; NEWER[i]=$state; done
      older="${NEWER[${#WC[@]}-1]}"
      for ((i = ${#WC[@]} - 1; i >= 0; i--)); do
        c="${WC[$i]}" st="${WS[$i]}"; SIGNED=$((SIGNED + 1))
        if [ -n "${OFF[$c]:-}" ]; then older="${OFF[$c]}"; may="${OFF[$c]}"
        elif [ "$older" = 1 ] || [ "${NEWER[$i]}" = 1 ]; then may=1; else may=0; fi
        [ "$st" = "G" ] || { [ "$st" = "N" ] && [ "$may" = 1 ]; } || { fail "vault: commit ${c:0:12} is not signed by a vault key the ledger recorded (%G? = $st)"; VBAD=1; }
      done
    fi
  fi
  [ $VBAD -eq 0 ] && ok "vault: $RUNS sealed runs match RUN_SEALED (HEAD ${HEAD:0:12}; $SIGNED signed commits checked)"
fi

[ "$ATTESTED" -lt "$SIZE" ] && echo "note: the $((SIZE - ATTESTED)) newest entries are not covered by a signed checkpoint"
if [ $FAILS -eq 0 ]; then echo "VERIFIED"; exit 0; fi
echo "BROKEN ($FAILS failures)"; exit 1
