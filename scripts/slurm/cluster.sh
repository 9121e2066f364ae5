#!/usr/bin/env bash
# A one-node Slurm cluster for tests and CI, without systemd (facts in the shared Slurm notes the
# test docs point to): munged, slurmctld and slurmd in the foreground of background jobs, every PID
# recorded, all state in one folder.
#
#   scripts/slurm/cluster.sh start [DIR]   start it (DIR default /tmp/bnas-slurm); prints the line
#                                          `export SLURM_CONF=DIR/slurm.conf` the clients need
#   scripts/slurm/cluster.sh stop [DIR]    cancel every job, wait for them to end, shut Slurm down and
#                                          stop every process start recorded
#
# Needs root and Debian's packages: apt-get install -y --no-install-recommends slurmctld slurmd slurm-client munge
# munged gets its own socket in DIR, so a munged the machine may already run is left alone.
set -euo pipefail

cmd=${1:-}
dir=${2:-/tmp/bnas-slurm}
conf=$dir/slurm.conf
pids=$dir/pids
export SLURM_CONF=$conf

die() { echo "cluster.sh: $*" >&2; exit 1; }

# Waits up to $1 seconds for the command in the remaining arguments to succeed.
wait_for() {
  local limit=$1; shift
  local end=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < end)) || return 1
    sleep 0.2
  done
}

# Starts a daemon in the background of this script, its output in DIR/log/NAME.log; records its PID.
# setsid keeps it out of the caller's process group (a Ctrl-C of the caller must not stop the
# cluster half way); run from a script without job control it execs in place, so $! is the daemon.
start_daemon() {
  local name=$1; shift
  setsid "$@" >"$dir/log/$name.log" 2>&1 </dev/null &
  echo "$name $!" >>"$pids"
}

node_idle() { [[ $(sinfo -h -o %t 2>/dev/null) == idle ]]; }
no_jobs() { [[ -z $(squeue -h 2>/dev/null) ]]; }
# The recorded process is still this daemon: running (not a zombie) under the recorded name, so a
# PID reused by another process is never signalled.
alive() {
  local stat
  stat=$(cat "/proc/$2/stat" 2>/dev/null) || return 1
  [[ $(cat "/proc/$2/comm" 2>/dev/null) == "$1" && ! $stat =~ ^[0-9]+\ \(.*\)\ Z ]]
}
dead() { ! alive "$@"; }
munge_ok() { munge -S "$dir/munge/munge.socket" -n | unmunge -S "$dir/munge/munge.socket"; }

start() {
  [[ $(id -u) == 0 ]] || die "start needs root (the daemons run as root and munge)"
  for bin in munged slurmctld slurmd sinfo; do command -v "$bin" >/dev/null || die "$bin not found: apt-get install -y --no-install-recommends slurmctld slurmd slurm-client munge"; done
  [[ ! -s $pids ]] || die "$dir already holds a started cluster ($pids); stop it first"
  mkdir -p "$dir"/{state,spool,log,munge}
  # munged runs as munge and must reach its socket folder: DIR's parents must be traversable too.
  chmod 0755 "$dir"
  : >"$pids"

  # munge: the key owned by munge with mode 0400; its socket, pid and seed in DIR/munge.
  [[ -s /etc/munge/munge.key ]] || mungekey --create --force
  chown munge:munge /etc/munge/munge.key && chmod 0400 /etc/munge/munge.key
  chown munge:munge "$dir/munge" && chmod 0755 "$dir/munge"
  # setpriv, unlike runuser, leaves no wrapper process: the recorded PID is munged's own.
  start_daemon munged setpriv --reuid=munge --regid=munge --clear-groups munged -F \
    --socket="$dir/munge/munge.socket" --pid-file="$dir/munge/munged.pid" \
    --seed-file="$dir/munge/munged.seed" --log-file="$dir/munge/munged.log"
  wait_for 10 munge_ok || die "munged did not answer (see $dir/log/munged.log)"

  local host mem
  host=$(hostname -s)
  mem=$(awk '/MemTotal/ { printf "%d", $2 / 1024 * 0.9 }' /proc/meminfo)
  # CPUs=8 with config_overrides lets several one-CPU tasks run at once on a small machine (for
  # testing concurrency, not speed); batch_sched_delay=0 schedules each submission at once.
  cat >"$conf" <<EOF
ClusterName=bnas-test
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld-file.log
SlurmdLogFile=$dir/log/slurmd-file.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
MailProg=/bin/true
ReturnToService=2
SchedulerParameters=batch_sched_delay=0
SlurmdParameters=config_overrides
NodeName=$host NodeAddr=127.0.0.1 CPUs=8 RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
  start_daemon slurmctld slurmctld -D -f "$conf"
  start_daemon slurmd slurmd -D -f "$conf"
  wait_for 60 node_idle || { stop; die "the node did not become idle (logs in $dir/log)"; }
  echo "export SLURM_CONF=$conf"
}

stop() {
  if [[ -s $conf ]] && [[ -s $pids ]]; then
    # Cancel first: shutting down while jobs run would orphan slurmstepd and the job processes.
    scancel --user=root >/dev/null 2>&1 || true
    wait_for 90 no_jobs || echo "cluster.sh: jobs still listed after 90 s; stopping anyway" >&2
    scontrol shutdown >/dev/null 2>&1 || true
  fi
  [[ -f $pids ]] || return 0
  local name pid
  # Newest first: slurmd, slurmctld, then munged, which they need until they exit.
  while read -r name pid; do
    if alive "$name" "$pid"; then
      kill -TERM "$pid" 2>/dev/null || true
      wait_for 20 dead "$name" "$pid" || { echo "cluster.sh: $name ($pid) ignored SIGTERM; killing it" >&2; kill -KILL "$pid" 2>/dev/null || true; }
    fi
  done < <(tac "$pids")
  rm -f "$pids"
}

case $cmd in
  start) start ;;
  stop) stop ;;
  *) die "usage: cluster.sh start|stop [DIR]" ;;
esac
