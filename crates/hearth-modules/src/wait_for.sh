# hearth wait_for: polls on the host itself, so a whole wait is one round trip.
# Arguments: mode (port|path|sleep) state host port path regex timeout delay sleep connect_timeout.
# Prints "elapsed=N" and exits 0 when the condition holds, 1 on timeout, 3 when it cannot probe;
# for a path with a regex it then prints the file (up to 1 MiB) for the match groups.
mode=$1 state=$2 host=$3 port=$4 path=$5 regex=$6 timeout=$7 delay=$8 pause=$9
shift 9
ct=$1
start=$(date +%s)
if echo x | grep -P x >/dev/null 2>&1; then G=-P; else G=-E; fi
if command -v bash >/dev/null 2>&1; then tcp=bash
elif command -v nc >/dev/null 2>&1; then tcp=nc
else tcp=''; fi
open() {
  case $tcp in
    bash) timeout "$ct" bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$host" "$port" 2>/dev/null ;;
    nc) nc -z -w "$ct" "$host" "$port" 2>/dev/null ;;
    *) echo "wait_for: the host has neither bash nor nc to probe ports" >&2; exit 3 ;;
  esac
}
banner() {
  [ "$tcp" = bash ] || { echo "wait_for: search_regex on a port needs bash on the host" >&2; exit 3; }
  timeout "$ct" bash -c 'exec 3<>"/dev/tcp/$0/$1" && timeout "$2" cat <&3' "$host" "$port" "$ct" 2>/dev/null \
    | head -c 1048576 | grep $G -q -- "$regex"
}
found() { [ -e "$path" ] && { [ -z "$regex" ] || grep $G -q -- "$regex" "$path" 2>/dev/null; }; }
elapsed() { echo "elapsed=$(( $(date +%s) - start ))"; }
[ "$delay" -gt 0 ] && sleep "$delay"
if [ "$mode" = sleep ]; then sleep "$timeout"; elapsed; exit 0; fi
while :; do
  case $mode:$state in
    port:started|port:present) if [ -n "$regex" ]; then banner && break; else open && break; fi ;;
    port:stopped|port:absent) open || break ;;
    path:absent) [ -e "$path" ] || break ;;
    path:*) found && break ;;
  esac
  if [ $(( $(date +%s) - start )) -ge "$timeout" ]; then elapsed; exit 1; fi
  sleep "$pause"
done
elapsed
if [ "$mode" = path ] && [ -n "$regex" ] && [ "$state" != absent ]; then head -c 1048576 "$path"; fi
exit 0
