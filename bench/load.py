#!/usr/bin/env python3
"""Load: one playbook of many tasks on many `hearth lab` hosts, run to completion.

Brings up a lab of --hosts hosts (default 20), writes a playbook of --tasks tasks (default 200:
a rotation of file, copy, lineinfile, template, stat and command tasks, each on its own file),
and runs hearth on it twice: a first run (every task changes) and a no-change re-run. Prints the
wall time, the peak controller RSS (wait4's ru_maxrss of hearth), remote operations per task
from HEARTH_TRACE, and checks the recaps (every host ok, changed = the number of changing tasks,
then changed=0). It asserts nothing about speed. Needs root (the lab). Usage:
  bench/load.py [--hearth PATH] [--hosts 20] [--tasks 200]
"""
import argparse, importlib.util, os, re, shutil, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("bench_ssh", os.path.join(HERE, "ssh.py"))
ssh = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ssh)

ROOT = "/srv/load"


def task(i):
    """Task i of the rotation; every one changes on a first run and not on a re-run."""
    d = f"{ROOT}/d{i // 6}"
    kind = i % 6
    if kind == 0:
        return f"    - file: {{path: {d}, state: directory, mode: '0755'}}\n"
    if kind == 1:
        return f"    - copy: {{dest: {d}/c{i}.conf, content: \"value {i} {{{{ inventory_hostname }}}}\\n\"}}\n"
    if kind == 2:
        return (f"    - lineinfile: {{path: {d}/l{i}.conf, line: \"key{i} = {{{{ {i} * 2 }}}}\", "
                f"create: true}}\n")
    if kind == 3:
        return f"    - template: {{src: t.j2, dest: {d}/t{i}.conf}}\n      vars: {{n: {i}}}\n"
    if kind == 4:
        return f"    - stat: {{path: {d}/c{i - 3}.conf}}\n      register: s{i}\n"
    return f"    - command: touch {d}/done{i}\n      args: {{creates: {d}/done{i}}}\n"


def playbook(n):
    return ("- hosts: lab\n  gather_facts: false\n  tasks:\n"
            + "".join(task(i) for i in range(n)))


def changing(n):
    """Tasks that report changed on a first run (all but `stat`)."""
    return sum(1 for i in range(n) if i % 6 != 4)


def recap(out):
    return [tuple(int(x) for x in m) for m in
            re.findall(r"ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", out)]


def ops(trace, host):
    with open(trace) as f:
        kinds = [l.split("\t")[2] for l in f if l.split("\t")[1] == host]
    return sum(1 for k in kinds if k in ("shell", "channel"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hearth", default=os.path.join(ssh.REPO, "target/release/hearth"))
    ap.add_argument("--hosts", type=int, default=20)
    ap.add_argument("--tasks", type=int, default=200)
    a = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("needs root (hearth lab)")
    work = tempfile.mkdtemp(prefix="hearth-bench-load-")
    lab = ssh.Lab(a.hearth, a.hosts, work)
    try:
        lab.open_masters()
        lab.on_all(f"rm -rf {ROOT}")
        proj = os.path.join(work, "proj")
        os.makedirs(os.path.join(proj, "templates"))
        with open(os.path.join(proj, "site.yml"), "w") as f:
            f.write(playbook(a.tasks))
        with open(os.path.join(proj, "templates", "t.j2"), "w") as f:
            f.write("n = {{ n }}\nhost = {{ inventory_hostname }}\n")
        env = dict(os.environ, NO_COLOR="1")
        cmd = [a.hearth, "apply", "-i", lab.inventory, "site.yml", "-f", str(a.hosts), "--no-progress"]
        rows = []
        for label, want in (("first run", changing(a.tasks)), ("no-change re-run", 0)):
            trace = os.path.join(work, f"trace-{len(rows)}")
            wall, out = ssh.timed(cmd, proj, dict(env, HEARTH_TRACE=trace))
            rss = ssh.LAST_RSS[0] / 1024
            got = recap(out)
            ok = len(got) == a.hosts and all(r == (a.tasks, want, 0, 0) for r in got)
            if not ok:
                sys.exit(f"{label}: unexpected recap {got[:3]}... (want ok={a.tasks} changed={want})")
            per_task = ops(trace, lab.addresses[0]) / a.tasks
            rows.append((label, wall, rss, per_task))
            print(f"{label:18} {wall:6.2f} s  peak RSS {rss:6.1f} MiB  "
                  f"{per_task:.2f} remote operations per task (host 1)", flush=True)
        print(f"\n{a.tasks} tasks x {a.hosts} hosts = {a.tasks * a.hosts} task runs; "
              f"first run {a.tasks * a.hosts / rows[0][1]:.0f} task runs/s, "
              f"re-run {a.tasks * a.hosts / rows[1][1]:.0f} task runs/s")
    finally:
        lab.down()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
