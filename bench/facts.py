#!/usr/bin/env python3
"""Fact gathering: hearth vs ansible-playbook over SSH, on `hearth lab` hosts.

For each lab size N it brings up a lab of N hosts and times a play that gathers facts (the
default `gather_facts: true`) and prints three of them, median of --runs each, for hearth
(fresh SSH connections every run) and for ansible-playbook tuned as in bench/ssh.py
(pipelining, warm ControlPersist masters, forks = N, /usr/bin/python3 on the hosts). It also
checks that both tools report the same values for the facts printed. It prints a table with
the ratios and asserts nothing else. Needs root (the lab). Usage:
  bench/facts.py [--hearth PATH] [--sizes 1,5,20] [--runs 3] [--venv DIR]
"""
import argparse, os, re, statistics, sys, tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ssh import Lab, close_ansible_masters, ensure_venv, sh, timed  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

PLAYBOOK = """\
- name: Facts
  hosts: lab
  tasks:
    - debug:
        msg: "{{ ansible_distribution }} {{ ansible_distribution_release }} {{ ansible_architecture }}"
"""


def facts_seen(output):
    """The debug messages, one per host, sorted."""
    return sorted(re.findall(r'"msg": "([^"]*)"', output))


def bench(a, n, work, venv_bin):
    lab = Lab(a.hearth, n, work)
    try:
        env = dict(os.environ, NO_COLOR="1")
        hcmd = [a.hearth, "apply", "-i", lab.inventory, "site.yml", "-f", str(n), "--no-progress"]
        h = [timed(hcmd, work, env) for _ in range(a.runs)]
        aenv = dict(env, PATH=f"{venv_bin}:{os.environ['PATH']}", ANSIBLE_PIPELINING="1",
                    ANSIBLE_SSH_ARGS="-C -o ControlMaster=auto -o ControlPersist=60s",
                    ANSIBLE_SSH_CONTROL_PATH_DIR=tempfile.mkdtemp(prefix="bench-ansible-cp-", dir=work),
                    ANSIBLE_FORKS=str(n), ANSIBLE_NOCOLOR="1", ANSIBLE_CONFIG=os.path.join(work, "ansible.cfg"),
                    ANSIBLE_PYTHON_INTERPRETER="/usr/bin/python3")
        acmd = [os.path.join(venv_bin, "ansible-playbook"), "-i", lab.inventory, "site.yml", "-f", str(n)]
        timed([os.path.join(venv_bin, "ansible"), "-i", lab.inventory, "lab", "-m", "raw", "-a", "true",
               "-f", str(n)], work, aenv)  # warm the masters, untimed
        an = [timed(acmd, work, aenv) for _ in range(a.runs)]
        same = facts_seen(h[-1][1]) == facts_seen(an[-1][1])
        ht, at = statistics.median(t for t, _ in h), statistics.median(t for t, _ in an)
        print(f"{n:>5}  {ht:9.2f}s  {at:9.2f}s  {at / ht:6.1f}x  {'yes' if same else 'NO'}", flush=True)
        if not same:
            print(f"hearth: {facts_seen(h[-1][1])}\nansible: {facts_seen(an[-1][1])}")
    finally:
        close_ansible_masters(work)
        lab.down()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hearth", help="hearth binary (default: cargo build --release)")
    ap.add_argument("--sizes", default="1,5,20")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--venv", default="/var/cache/hearth-bench/venv")
    a = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("hearth lab needs root")
    if not a.hearth:
        sh(["cargo", "build", "--release", "--quiet"], cwd=REPO)
        a.hearth = os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(REPO, "target")),
                                "release", "hearth")
    a.hearth = os.path.abspath(a.hearth)
    ensure_venv(a.venv)
    work = tempfile.mkdtemp(prefix="hearth-bench-facts-")
    with open(os.path.join(work, "site.yml"), "w") as f:
        f.write(PLAYBOOK)
    with open(os.path.join(work, "ansible.cfg"), "w") as f:
        f.write("[defaults]\n")
    print("hosts     hearth    ansible   ratio  same facts")
    for n in [int(s) for s in a.sizes.split(",")]:
        bench(a, n, work, os.path.join(a.venv, "bin"))


if __name__ == "__main__":
    main()
