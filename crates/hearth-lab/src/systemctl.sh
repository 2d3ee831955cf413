#!/bin/sh
# hearth lab stand-in for systemctl: records its arguments in /var/log/hearth-standin/systemctl.log and keeps unit state in files; NOT the real systemctl.
# Lab hosts have no systemd as PID 1. This script answers like systemctl for the calls the
# service/systemd modules (hearth's and Ansible's) make, from state kept under
# /var/lib/hearth-standin/systemd: <unit>.active (running), <unit>.enabled (enabled at boot).
# A unit exists (LoadState=loaded) when its file is in /etc/systemd/system, /lib/systemd/system
# or /usr/lib/systemd/system; a mask is a /etc/systemd/system/<unit> -> /dev/null link, as with
# the real systemctl. It starts no process. HEARTH_STANDIN_ROOT prefixes every path (for tests).
R=${HEARTH_STANDIN_ROOT:-}
LOG=$R/var/log/hearth-standin/systemctl.log
ST=$R/var/lib/hearth-standin/systemd
mkdir -p "$R/var/log/hearth-standin" "$ST"
printf '%s\n' "$*" >> "$LOG"

props='' value=0 verb='' units=''
while [ $# -gt 0 ]; do
  case $1 in
    --version) echo 'systemd 252 (hearth lab stand-in, records calls in /var/log/hearth-standin/systemctl.log)'; exit 0 ;;
    -p|--property) props="$props,$2"; shift ;;
    --property=*) props="$props,${1#--property=}" ;;
    -p*) props="$props,${1#-p}" ;;
    --value) value=1 ;;
    --) ;;
    -*) ;;
    *) if [ -z "$verb" ]; then verb=$1; else units="$units $1"; fi ;;
  esac
  shift
done

unit() { case $1 in *.*) echo "$1" ;; *) echo "$1.service" ;; esac; }
file() {
  for d in /etc/systemd/system /run/systemd/system /lib/systemd/system /usr/lib/systemd/system; do
    if [ -f "$R$d/$1" ] || [ -L "$R$d/$1" ]; then echo "$R$d/$1"; return 0; fi
  done
  return 1
}
masked() { [ "$(readlink "$R/etc/systemd/system/$1" 2>/dev/null)" = /dev/null ]; }
load() { if masked "$1"; then echo masked; elif file "$1" >/dev/null; then echo loaded; else echo not-found; fi; }
active() { [ -e "$ST/$1.active" ]; }
ufstate() {
  if masked "$1"; then echo masked; return; fi
  f=$(file "$1") || { echo; return; }
  if [ -e "$ST/$1.enabled" ] || ls "$R"/etc/systemd/system/*.wants/"$1" >/dev/null 2>&1; then echo enabled
  elif grep -q '^\[Install\]' "$f" 2>/dev/null; then echo disabled
  else echo static; fi
}

show() {
  u=$1 l=$(load "$1")
  if active "$u"; then a=active s=running; else a=inactive s=dead; fi
  f=$(file "$u" 2>/dev/null) || f=''
  for kv in "Id=$u" "Names=$u" "LoadState=$l" "ActiveState=$a" "SubState=$s" \
    "FragmentPath=${f#"$R"}" "UnitFileState=$(ufstate "$u")" "CanReload=yes" "NeedDaemonReload=no"; do
    k=${kv%%=*}
    if [ -n "$props" ]; then case ",$props," in *",$k,"*) ;; *) continue ;; esac; fi
    if [ $value = 1 ]; then echo "${kv#*=}"; else echo "$kv"; fi
  done
}

rc=0
case $verb in
  daemon-reload|daemon-reexec) exit 0 ;;
  list-units)
    # Every service unit file counts as loaded: UNIT LOAD ACTIVE SUB DESCRIPTION, like --plain.
    for d in /etc/systemd/system /lib/systemd/system /usr/lib/systemd/system; do
      for f in "$R$d"/*.service; do
        [ -f "$f" ] || [ -L "$f" ] || continue
        echo "${f##*/}"
      done
    done | sort -u | while read -r n; do
      if active "$n"; then a=active s=running; else a=inactive s=dead; fi
      echo "$n $(load "$n") $a $s hearth lab stand-in unit"
    done
    exit 0 ;;
  list-unit-files)
    echo 'UNIT FILE STATE'
    for d in /etc/systemd/system /lib/systemd/system /usr/lib/systemd/system; do
      for f in "$R$d"/*; do
        [ -f "$f" ] || [ -L "$f" ] || continue
        n=${f##*/}
        if [ -n "$units" ]; then ok=0; for p in $units; do case $n in $p) ok=1 ;; esac; done; [ $ok = 1 ] || continue; fi
        echo "$n $(ufstate "$n")"
      done
    done | sort -u
    exit 0 ;;
esac
[ -n "$units" ] || { echo "Too few arguments." >&2; exit 1; }
for raw in $units; do
  u=$(unit "$raw") l=$(load "$u")
  case $verb in
    show) show "$u" ;;
    is-active) if active "$u"; then echo active; else echo inactive; rc=3; fi ;;
    is-enabled)
      s=$(ufstate "$u")
      if [ -z "$s" ]; then echo "Failed to get unit file state for $u: No such file or directory" >&2; rc=1
      else echo "$s"; case $s in enabled|static) ;; *) rc=1 ;; esac; fi ;;
    start|restart|reload-or-restart|try-restart|reload|stop)
      if [ "$l" = masked ] && [ "$verb" != stop ]; then echo "Failed to $verb $u: Unit $u is masked." >&2; rc=1; continue; fi
      if [ "$l" = not-found ]; then echo "Failed to $verb $u: Unit $u not found." >&2; rc=5; continue; fi
      case $verb in
        stop) rm -f "$ST/$u.active" ;;
        reload) if active "$u"; then :; else echo "Failed to reload $u: Unit $u is not active." >&2; rc=1; fi ;;
        try-restart) ;;
        *) : > "$ST/$u.active" ;;
      esac ;;
    enable|disable)
      if [ "$l" = not-found ]; then echo "Failed to $verb unit: Unit file $u does not exist." >&2; rc=1; continue; fi
      if [ "$l" = masked ]; then echo "Failed to $verb unit: Unit file $R/etc/systemd/system/$u is masked." >&2; rc=1; continue; fi
      if [ "$verb" = enable ]; then : > "$ST/$u.enabled"; else rm -f "$ST/$u.enabled" "$R"/etc/systemd/system/*.wants/"$u"; fi ;;
    mask)
      m=$R/etc/systemd/system/$u
      if [ -f "$m" ] && ! masked "$u"; then echo "Failed to mask unit: File $m already exists." >&2; rc=1; continue; fi
      mkdir -p "$R/etc/systemd/system"; ln -sf /dev/null "$m" ;;
    unmask) if masked "$u"; then rm -f "$R/etc/systemd/system/$u"; fi ;;
    *) echo "Unknown command verb $verb." >&2; exit 1 ;;
  esac
done
exit $rc
