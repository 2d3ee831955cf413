#!/usr/bin/env python3
"""Speed and memory of hearth vs ansible-playbook on the control node (connection: local).

Generates one playbook with file edits, templates, copies and commands, then times, for each
tool, a first run (everything changes) and a second run (nothing changes), N times each, and
prints median wall time, peak RSS and the hearth/ansible ratios. It asserts nothing: it prints
figures. Usage: bench/local.py [--hearth PATH] [--ansible PATH] [--tasks N] [--runs N]
"""
import argparse, os, resource, shutil, statistics, subprocess, sys, tempfile, time

def playbook(n):
    tasks = []
    for i in range(n):
        tasks.append(f"""    - name: line {i}
      lineinfile: {{path: "{{{{ root }}}}/conf{i % 10}.txt", regexp: '^key{i} =', line: "key{i} = {{{{ value }}}}", create: true}}
    - name: block {i}
      blockinfile: {{path: "{{{{ root }}}}/block{i % 10}.txt", create: true, marker: "# {{mark}} {i}", block: "v={{{{ value }}}}"}}
    - name: copy {i}
      copy: {{dest: "{{{{ root }}}}/copy{i}.txt", content: "{{{{ value }}}} {i}\\n", mode: "0640"}}
    - name: template {i}
      template: {{src: t.j2, dest: "{{{{ root }}}}/tpl{i}.txt"}}
    - name: dir {i}
      file: {{path: "{{{{ root }}}}/d{i}", state: directory, mode: "0755"}}
""")
    return "- hosts: localhost\n  gather_facts: false\n  vars:\n    value: hello\n  tasks:\n" + "".join(tasks)

def run(cmd, cwd, env):
    start = time.perf_counter()
    p = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    wall = time.perf_counter() - start
    if p.returncode != 0:
        sys.exit(f"command failed ({p.returncode}): {' '.join(cmd)}\n{p.stdout[-3000:]}")
    return wall, p.stdout

def peak_rss_mb(cmd, cwd, env):
    """Peak RSS of the child (and its children) via wait4's rusage, in MiB."""
    pid = os.fork()
    if pid == 0:
        os.chdir(cwd)
        fd = os.open(os.devnull, os.O_WRONLY)
        os.dup2(fd, 1); os.dup2(fd, 2)
        os.execvpe(cmd[0], cmd, env)
    _, status, ru = os.wait4(pid, 0)
    return ru.ru_maxrss / 1024.0

def measure(name, cmd_for, n_runs, pb_text, template):
    first, second, rss = [], [], []
    for _ in range(n_runs):
        d = tempfile.mkdtemp(prefix=f"bench-{name}-")
        open(os.path.join(d, "site.yml"), "w").write(pb_text)
        os.makedirs(os.path.join(d, "templates"))
        open(os.path.join(d, "templates", "t.j2"), "w").write(template)
        cmd = cmd_for(d)
        env = dict(os.environ, ANSIBLE_NOCOLOR="1")
        first.append(run(cmd, d, env)[0])
        second.append(run(cmd, d, env)[0])
        rss.append(peak_rss_mb(cmd, d, env))
        shutil.rmtree(d)
    return statistics.median(first), statistics.median(second), max(rss)

def main():
    ap = argparse.ArgumentParser()
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--hearth", default=os.path.join(here, "..", "target", "release", "hearth"))
    ap.add_argument("--ansible", default=os.environ.get("HEARTH_ANSIBLE_PLAYBOOK", "ansible-playbook"))
    ap.add_argument("--tasks", type=int, default=20, help="groups of 5 tasks")
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    pb = playbook(a.tasks)
    tpl = "{% for i in range(3) %}line {{ i }} {{ value | upper }} {{ true }}\n{% endfor %}"
    py = os.path.join(os.path.dirname(a.ansible), "python")
    hearth = measure("hearth", lambda d: [a.hearth, "apply", "site.yml", "-e", f"root={d}"], a.runs, pb, tpl)
    ansible = measure("ansible", lambda d: [a.ansible, "-i", "localhost,", "-c", "local", "site.yml",
                                            "-e", f"root={d}", "-e", f"ansible_python_interpreter={py}"],
                      a.runs, pb, tpl)
    n = a.tasks * 5
    print(f"playbook: {n} tasks on localhost, median of {a.runs} runs")
    print(f"{'':24}{'hearth':>12}{'ansible':>12}{'ratio':>10}")
    for label, i, unit in (("first run (changes)", 0, "s"), ("second run (no change)", 1, "s"), ("peak RSS", 2, "MiB")):
        h, an = hearth[i], ansible[i]
        print(f"{label:24}{h:>11.3f}{unit[0]}{an:>11.3f}{unit[0]}{an / h:>9.1f}x")

if __name__ == "__main__":
    main()
