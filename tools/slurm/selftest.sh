#!/usr/bin/env bash
# The batch templates on a real (one-node) Slurm cluster, and the Kubernetes manifest
# checked offline.
#
#   tools/slurm/selftest.sh
#
# Installs `slurmctld slurmd slurm-client munge` (apt-get) and `kubernetes-validate` (pip)
# when missing, starts munged, slurmctld and slurmd on 127.0.0.1 with all state in a
# temporary directory, and then, through the project's own tools/slurm/render-array.sh:
#   1. renders a small run as a 4-task array, merges it and compares it byte for byte
#      with the unsharded run;
#   2. refuses a 1-based array (--array=1-4): every task exits 2, naming the variable and
#      the fix, and writes nothing;
#   3. cancels a task of a 2-shard array while it renders, checks that merge refuses the
#      unfinished run, requeues the cancelled task (it resumes from its journal) and
#      compares the merge again; resubmits one task alone (--array=1 --shards 2);
#   4. validates tools/k8s/render-indexed-job.yaml with kubernetes-validate --strict
#      (offline) and runs its container command for every completion index.
# Only the daemons it started are stopped (by PID) on exit. Outside CI a missing
# prerequisite skips the test; with CI=true it fails.
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/../common.sh"
cd "$here/../.."

say() { echo "selftest: $*" >&2; }
fail() {
    say "FAIL: $*"
    exit 1
}
missing() {
    if [ "${CI:-}" = true ]; then
        fail "$* (CI=true: a missing prerequisite is a failure)"
    fi
    say "SKIP: $*"
    exit 0
}

# --- prerequisites -------------------------------------------------------------------
[ "$(id -u)" -eq 0 ] || missing "needs root to run slurmd"
need_pkgs=()
for pkg in slurmctld slurmd slurm-client munge; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need_pkgs+=("$pkg")
done
if [ ${#need_pkgs[@]} -gt 0 ]; then
    command -v apt-get >/dev/null || missing "apt-get not found to install ${need_pkgs[*]}"
    say "installing ${need_pkgs[*]}"
    apt_log="$(mktemp)"
    if ! (apt-get update -qq &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}") >"$apt_log" 2>&1; then
        cat "$apt_log" >&2
        missing "apt-get could not install ${need_pkgs[*]}"
    fi
    rm -f "$apt_log"
fi
for tool in munged mungekey slurmctld slurmd sbatch squeue scontrol scancel sinfo; do
    command -v "$tool" >/dev/null || missing "$tool not found after installing the Slurm packages"
done
command -v python3 >/dev/null || missing "python3 not found (for kubernetes-validate)"
if ! python3 -c "import kubernetes_validate, yaml" 2>/dev/null; then
    say "installing kubernetes-validate"
    python3 -m pip install --quiet --disable-pip-version-check kubernetes-validate >&2 ||
        missing "pip could not install kubernetes-validate"
fi
python3 -c "import kubernetes_validate, yaml" 2>/dev/null || missing "kubernetes-validate does not import after pip install"
ensure_system_packages
cargo build -p drivegen --locked --quiet || fail "cargo build -p drivegen"

# --- a one-node cluster ----------------------------------------------------------------
started_at=$(date +%s)
tmp="$(mktemp -d "${TMPDIR:-/tmp}/drivegen-slurm.XXXXXX")"
chmod 755 "$tmp" # munged wants a socket directory everyone can traverse
mkdir -m 700 "$tmp/munge"
mkdir -m 755 "$tmp/run"
mkdir -p "$tmp/ctld" "$tmp/spool" "$tmp/log" "$tmp/jobs" "$tmp/bin"
# A copy: the shared build directory may be rebuilt while the jobs run.
cp "$CARGO_TARGET_DIR/debug/drivegen" "$tmp/bin/drivegen"
export DRIVEGEN="$tmp/bin/drivegen"
daemons=()
jobs_submitted=()
cleanup() {
    local rc=$?
    set +e
    if [ ${#jobs_submitted[@]} -gt 0 ] && [ -n "${SLURM_CONF:-}" ]; then
        scancel "${jobs_submitted[@]}" 2>/dev/null
    fi
    for pid in "${daemons[@]}"; do kill "$pid" 2>/dev/null; done
    for pid in "${daemons[@]}"; do
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
        kill -9 "$pid" 2>/dev/null
    done
    if [ $rc -ne 0 ]; then
        say "logs kept in $tmp"
        for f in "$tmp"/log/*.log; do echo "--- $f" >&2; tail -n 15 "$f" >&2; done
    else
        rm -rf "$tmp"
    fi
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
ctld_port=$(free_port)
d_port=$(free_port)
[ "$ctld_port" != "$d_port" ] || d_port=$((ctld_port + 1))
mungekey --create --keyfile="$tmp/munge/munge.key" >&2
munged --foreground --key-file="$tmp/munge/munge.key" --socket="$tmp/run/munge.socket" \
    --pid-file="$tmp/run/munged.pid" --seed-file="$tmp/munge/munged.seed" \
    --log-file="$tmp/log/munged.log" 2>>"$tmp/log/munged.stderr" &
daemons+=($!)
export SLURM_CONF="$tmp/slurm.conf"
cat >"$SLURM_CONF" <<EOF
ClusterName=drivegen-selftest
SlurmctldHost=$(hostname -s)(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$d_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
# cred_expire is also how long a requeued job waits before it may start again.
AuthInfo=socket=$tmp/run/munge.socket,cred_expire=10
StateSaveLocation=$tmp/ctld
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/run/slurmctld.pid
SlurmdPidFile=$tmp/run/slurmd.pid
SlurmctldLogFile=$tmp/log/slurmctld.log
SlurmdLogFile=$tmp/log/slurmd.log
ProctrackType=proctrack/pgid
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
MailProg=/bin/true
SchedulerType=sched/backfill
# Look at pending (and requeued) jobs every second or two rather than every minute.
SchedulerParameters=bf_interval=1,sched_interval=2
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
MinJobAge=600
NodeName=selftest NodeAddr=127.0.0.1 CPUs=2 RealMemory=4000 State=UNKNOWN
PartitionName=selftest Nodes=selftest Default=YES MaxTime=INFINITE State=UP
EOF
for _ in $(seq 50); do [ -S "$tmp/run/munge.socket" ] && break; sleep 0.1; done
slurmctld -D -i -f "$SLURM_CONF" >>"$tmp/log/slurmctld.stderr" 2>&1 &
daemons+=($!)
slurmd -D -N selftest -f "$SLURM_CONF" >>"$tmp/log/slurmd.stderr" 2>&1 &
daemons+=($!)
for _ in $(seq 150); do
    [ "$(sinfo -h -n selftest -o %T 2>/dev/null)" = idle ] && break
    sleep 0.2
done
[ "$(sinfo -h -n selftest -o %T 2>/dev/null)" = idle ] || fail "the one-node cluster did not come up"
say "cluster up: slurmctld :$ctld_port, slurmd :$d_port, state in $tmp ($(($(date +%s) - started_at)) s)"

# --- helpers ----------------------------------------------------------------------------
# Small and quick: labels only, a few frames, a small image.
small=(--frames 6 --no-rgb --width 160 --height 96)
submit() { # ARRAY ARGS... -> job id
    local array=$1
    shift
    local id
    id=$(sbatch --parsable --array="$array" --cpus-per-task=1 --mem=1G \
        --output="$tmp/jobs/%A_%a.log" tools/slurm/render-array.sh "$@") || fail "sbatch --array=$array"
    id=${id%%;*}
    jobs_submitted+=("$id")
    echo "$id"
}
wait_job() { # JOB [SECONDS]
    local deadline=$(($(date +%s) + ${2:-300}))
    while [ -n "$(squeue -h -j "$1" -o %i 2>/dev/null)" ]; do
        [ "$(date +%s)" -lt "$deadline" ] || fail "job $1 still queued after ${2:-300} s"
        sleep 0.5
    done
}
# "TASK STATE EXIT" per array task of JOB.
task_states() {
    scontrol -o show job "$1" | awk '{
        t = s = e = ""
        for (i = 1; i <= NF; i++) {
            if ($i ~ /^ArrayTaskId=/) t = substr($i, 13)
            if ($i ~ /^JobState=/) s = substr($i, 10)
            if ($i ~ /^ExitCode=/) e = substr($i, 10)
        }
        print t, s, e }' | sort -n
}
same_dataset() { # A B: every file equal, the journals equal as sets of lines
    diff -r -q -x journal.jsonl "$1" "$2" >&2 || return 1
    cmp -s <(sort "$1/journal.jsonl") <(sort "$2/journal.jsonl") || {
        say "journals of $1 and $2 differ"
        return 1
    }
    [ -f "$2/manifest.json" ] && [ -n "$(ls "$2"/v000/*/labels/ 2>/dev/null)" ]
}

# --- 1. a 4-task array, merged, equals the unsharded run --------------------------------
t0=$(date +%s)
"$DRIVEGEN" render --quiet --out "$tmp/whole" "${small[@]}" || fail "unsharded render"
job=$(submit 0-3 --out "$tmp/out" "${small[@]}")
wait_job "$job"
states=$(task_states "$job")
[ "$(echo "$states" | grep -c ' COMPLETED 0:0$')" = 4 ] || fail "array $job: $states"
"$DRIVEGEN" merge --quiet "$tmp/merged" "$tmp/out"/shard-*-of-4 || fail "merge of the 4 shards"
same_dataset "$tmp/whole" "$tmp/merged" || fail "merged 4-task array differs from the unsharded run"
say "ok: sbatch --array=0-3 (4 tasks), merged = unsharded, byte for byte ($(($(date +%s) - t0)) s)"

# --- 2. a 1-based array is refused by every task, nothing written -----------------------
t0=$(date +%s)
job=$(submit 1-4 --out "$tmp/one-based" "${small[@]}")
wait_job "$job"
states=$(task_states "$job")
[ "$(echo "$states" | grep -c ' FAILED 2:0$')" = 4 ] || fail "1-based array $job should fail with exit 2: $states"
grep -q 'SLURM_ARRAY_TASK_MIN is 1' "$tmp/jobs/${job}_1.log" && grep -q -- '--array=0-3' "$tmp/jobs/${job}_4.log" ||
    fail "1-based array: the error does not name the variable and the fix: $(cat "$tmp/jobs/${job}_1.log")"
[ ! -e "$tmp/one-based" ] || fail "1-based array wrote $(find "$tmp/one-based" | head -5)"
say "ok: sbatch --array=1-4 refused by all 4 tasks (exit 2, nothing written): $(grep -m1 SLURM_ARRAY "$tmp/jobs/${job}_1.log")"

# --- 3. a cancelled task, requeued, resumes; the merge is still identical ---------------
t0=$(date +%s)
long=(--frames 200 --no-rgb --width 320 --height 192)
"$DRIVEGEN" render --quiet --out "$tmp/whole-long" "${long[@]}" || fail "unsharded render (long)"
job=$(submit 0-1 --out "$tmp/long" "${long[@]}")
journal="$tmp/long/shard-1-of-2/journal.jsonl"
deadline=$(($(date +%s) + 120))
until [ "$(wc -l 2>/dev/null <"$journal" || echo 0)" -ge 20 ]; do
    [ "$(date +%s)" -lt "$deadline" ] || fail "task 1 of $job journalled nothing in 120 s"
    sleep 0.05
done
scancel "${job}_1"
for _ in $(seq 100); do
    task_states "$job" | grep -q '^1 CANCELLED' && break
    sleep 0.1
done
task_states "$job" | grep -q '^1 CANCELLED' || fail "task 1 of $job was not cancelled: $(task_states "$job")"
for _ in $(seq 100); do squeue -h -j "${job}_0" -o %i | grep -q . || break; sleep 0.2; done
journalled=$(wc -l <"$journal")
expected=$((2 * 200)) # 2 variants x 200 frames, one camera
[ "$journalled" -lt "$expected" ] || fail "task 1 finished before it was cancelled ($journalled frames)"
wait_job "$job"
if "$DRIVEGEN" merge --quiet "$tmp/refused" "$tmp/long"/shard-*-of-2 2>"$tmp/refused.err"; then
    fail "merge accepted an unfinished shard"
fi
grep -q 'shard-1-of-2 .* is unfinished' "$tmp/refused.err" || fail "merge did not name the unfinished shard: $(cat "$tmp/refused.err")"
[ ! -e "$tmp/refused" ] || fail "a refused merge wrote $tmp/refused"
scontrol requeue "${job}_1" || fail "scontrol requeue ${job}_1"
wait_job "$job" 300
states=$(task_states "$job")
[ "$(echo "$states" | grep -c ' COMPLETED 0:0$')" = 2 ] || fail "requeued array $job: $states"
grep -q 'restart 1' "$tmp/jobs/${job}_1.log" || fail "task 1 of $job did not restart: $(cat "$tmp/jobs/${job}_1.log")"
"$DRIVEGEN" merge --quiet "$tmp/merged-long" "$tmp/long"/shard-*-of-2 || fail "merge after requeue"
same_dataset "$tmp/whole-long" "$tmp/merged-long" || fail "merge after a cancelled and requeued task differs from the unsharded run"
say "ok: task 1 cancelled after $journalled of $expected frames, merge refused it, requeued, resumed; merged = unsharded ($(($(date +%s) - t0)) s)"

# A resubmission of one task alone gives its count explicitly and resumes what is there.
rm -rf "$tmp/long/shard-0-of-2" "$tmp/merged-long"
job=$(submit 0 --shards 2 --out "$tmp/long" "${long[@]}")
wait_job "$job"
[ "$(task_states "$job")" = "0 COMPLETED 0:0" ] || fail "resubmitted task: $(task_states "$job")"
job=$(submit 1 --out "$tmp/long" "${long[@]}")
wait_job "$job"
[ "$(task_states "$job")" = "1 COMPLETED 0:0" ] && fail "--array=1 without --shards must not guess the count"
grep -q 'pass --shards' "$tmp/jobs/${job}_1.log" || fail "--array=1 without --shards: $(cat "$tmp/jobs/${job}_1.log")"
"$DRIVEGEN" merge --quiet "$tmp/merged-long" "$tmp/long"/shard-*-of-2 || fail "merge after resubmission"
same_dataset "$tmp/whole-long" "$tmp/merged-long" || fail "merge after resubmitting a task differs"
say "ok: sbatch --array=0 --shards 2 resubmission merged = unsharded; --array=1 without --shards refused"

# --- 4. the Kubernetes manifest ----------------------------------------------------------
manifest=tools/k8s/render-indexed-job.yaml
# Offline: in a network namespace of its own where the kernel allows one.
offline=()
if command -v unshare >/dev/null && unshare -n true 2>/dev/null; then offline=(unshare -n); fi
for version in 1.28 1.37; do
    "${offline[@]}" python3 -m kubernetes_validate --strict -k "$version" "$manifest" >&2 ||
        fail "kubernetes-validate $manifest (Kubernetes $version)"
done
# The container's command line, with /data/out moved here and a small run appended.
mapfile -t k8s < <(python3 - "$manifest" <<'EOF'
import sys, yaml
job = yaml.safe_load(open(sys.argv[1]))
c = job["spec"]["template"]["spec"]["containers"][0]
cmd = c["command"] + c.get("args", [])
n = int(cmd[cmd.index("--shards") + 1])
assert job["spec"]["completions"] == n, f"completions {job['spec']['completions']} != --shards {n}"
print(n)
for a in cmd[1:]:
    print(a)
EOF
) || fail "$manifest: completions and --shards disagree"
n=${k8s[0]}
k8s_args=("${k8s[@]:1}")
k8s_args=("${k8s_args[@]//\/data\/out/$tmp/k8s}")
for i in $(seq 0 $((n - 1))); do
    JOB_COMPLETION_INDEX=$i "$DRIVEGEN" "${k8s_args[@]}" --quiet "${small[@]}" || fail "k8s index $i: drivegen ${k8s_args[*]}"
done
if JOB_COMPLETION_INDEX=$n "$DRIVEGEN" "${k8s_args[@]}" --quiet "${small[@]}" 2>"$tmp/k8s.err"; then
    fail "JOB_COMPLETION_INDEX=$n of $n was accepted"
fi
grep -q "JOB_COMPLETION_INDEX is $n" "$tmp/k8s.err" || fail "index $n: $(cat "$tmp/k8s.err")"
"$DRIVEGEN" merge --quiet "$tmp/k8s-merged" "$tmp/k8s"/shard-*-of-"$n" || fail "merge of the k8s shards"
same_dataset "$tmp/whole" "$tmp/k8s-merged" || fail "merged k8s shards differ from the unsharded run"
say "ok: $manifest valid (Kubernetes 1.28, 1.37, strict, offline); its command for indices 0..$((n - 1)) merged = unsharded"

say "passed in $(($(date +%s) - started_at)) s"
