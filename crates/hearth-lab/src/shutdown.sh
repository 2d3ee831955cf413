#!/bin/sh
# hearth lab stand-in for shutdown and reboot: records its arguments in /var/log/hearth-standin/<name>.log and simulates a reboot of this lab host; NOT the real shutdown.
# A lab host cannot reboot (PID 1 is the machine's). For `shutdown -r [TIME]` and `reboot`, a
# detached job waits a moment (TIME minutes, as with `shutdown +N`, plus one second), stops this
# host's sshd — the listener and every session, found by sshd's name among the processes of this
# host's own network namespace — so open SSH connections and ControlMasters really drop, gives
# the host a new boot id (a file bind-mounted over /proc/sys/kernel/random/boot_id inside this
# host's private mount namespace: the machine and other hosts keep theirs), and starts sshd again
# about 1.5 s later. The restarted sshd is not the one `hearth lab` started (`hearth lab status`
# then shows no sshd PID; `hearth lab up` restarts such a host). Other calls (`shutdown -c`,
# `-h`) are only recorded. HEARTH_STANDIN_ROOT prefixes the log path (for tests).
name=$(basename "$0")
R=${HEARTH_STANDIN_ROOT:-}
mkdir -p "$R/var/log/hearth-standin"
printf '%s\n' "$*" >> "$R/var/log/hearth-standin/$name.log"

reboot=0 minutes=0 when=''
[ "$name" = reboot ] && reboot=1
for a; do
  case $a in
    --version) echo "$name (hearth lab stand-in, records calls in /var/log/hearth-standin/$name.log)"; exit 0 ;;
    -r|--reboot) reboot=1 ;;
    -c) exit 0 ;;
    -*) ;;
    *) [ -n "$when" ] || when=${a#+} ;;
  esac
done
# TIME is the first argument after the options: now, +M or M (minutes); hh:mm counts as now.
case $when in '' | *[!0-9]*) ;; *) minutes=$when ;; esac
[ "$reboot" = 1 ] || exit 0
if [ "$(id -u)" != 0 ]; then
  echo "$name: must be root (hearth lab stand-in)" >&2
  exit 1
fi

delay=$((minutes * 60 + 1))
# Detached (its own session), with no stdio of the caller's, so the SSH command that started
# us returns at once. We wait until it runs in its session: a caller on a pty (Ansible's
# `ssh -tt`) that ends first would hang up the terminal and kill a job not yet detached.
ready=/run/hearth-standin-reboot.$$
setsid sh -c '
  : > "$2"
  sleep "$1"
  me=$(readlink /proc/self/ns/net)
  sshds() {
    for p in /proc/[0-9]*; do
      [ "$(readlink "$p/ns/net" 2>/dev/null)" = "$me" ] || continue
      case $(cat "$p/comm" 2>/dev/null) in sshd*) echo "${p#/proc/}" ;; esac
    done
  }
  kill -TERM $(sshds) 2>/dev/null
  i=0
  while [ -n "$(sshds)" ] && [ $i -lt 30 ]; do sleep 0.1; i=$((i + 1)); done
  kill -KILL $(sshds) 2>/dev/null
  id=/var/lib/hearth-standin/boot_id
  mkdir -p /var/lib/hearth-standin
  cat /proc/sys/kernel/random/uuid > "$id"
  target=/proc/sys/kernel/random/boot_id
  grep -q " $target " /proc/self/mountinfo || mount --bind "$id" "$target"
  sleep 1.5
  env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    /usr/sbin/sshd -D -e -f /etc/ssh/hearth-lab/sshd_config >> /var/log/hearth-standin/sshd.log 2>&1 &
' hearth-reboot "$delay" "$ready" < /dev/null > /dev/null 2>&1 &
i=0
while [ ! -e "$ready" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
rm -f "$ready"
exit 0
