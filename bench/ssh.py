#!/usr/bin/env python3
"""Speed of hearth vs ansible-playbook vs pyinfra over SSH, on `hearth lab` hosts.

For each lab size N it brings up a lab of N throwaway hosts, then times one representative
8-task stack playbook (lineinfile with backup + handler, blockinfile, file directory, copy,
template, stat + register, command with creates): a first run (everything changes, from a fresh
host state) and a no-change re-run, median of --runs each, for
  - hearth (fresh SSH connections every run: it keeps no master between runs),
  - ansible-playbook, tuned: pipelining, ControlMaster=auto + ControlPersist=60s, forks = N,
    gather_facts off, /usr/bin/python3; "warm" keeps the masters between runs (as a user
    re-running within a minute sees), "cold" gives each no-change run a fresh ControlPath dir,
  - pyinfra v3 on an equivalent deploy (paramiko, fresh connections every run),
and the floor: N parallel `ssh host true` over fresh connections and over open ControlMasters,
plus the cost of the remote login shell (root's ~/.bashrc) per command.
It prints a table and writes BENCHMARKS.md. It asserts nothing beyond "the no-change run changed
nothing". Needs root (the lab). Usage:
  bench/ssh.py [--hearth PATH] [--sizes 1,5,20] [--runs 3] [--venv DIR] [--no-pyinfra]
"""
import argparse, json, os, platform, re, shutil, statistics, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
ROOT = "/srv/bench"

PLAYBOOK = """\
# hearth bench/ssh.py: a representative stack playbook (7 tasks + 1 handler).
- name: Bench stack
  hosts: lab
  gather_facts: false
  vars:
    bench_root: /srv/bench
    runner_token: glrt-bench-0123456789abcdef
    app_port: 8080
    workers: [alpha, beta, gamma]
  tasks:
    - name: Set the runner registration token in gitlab.rb
      lineinfile:
        path: "{{ bench_root }}/gitlab/gitlab.rb"
        regexp: "^#?\\\\s*gitlab_rails\\\\['initial_shared_runners_registration_token'\\\\]"
        line: "gitlab_rails['initial_shared_runners_registration_token'] = '{{ runner_token }}'"
        backup: true
      notify: Reconfigure GitLab

    - name: Registry settings block in gitlab.rb
      blockinfile:
        path: "{{ bench_root }}/gitlab/gitlab.rb"
        marker: "# {mark} hearth-bench registry"
        block: |
          registry['enable'] = true
          registry_external_url 'https://registry.lab.example'

    - name: App directory
      file:
        path: "{{ bench_root }}/app"
        state: directory
        mode: "0750"

    - name: Docker daemon.json
      copy:
        dest: "{{ bench_root }}/app/daemon.json"
        content: |
          {
            "log-driver": "json-file",
            "log-opts": {"max-size": "10m", "max-file": "3"},
            "registry-mirrors": ["https://registry.lab.example"]
          }
        mode: "0644"

    - name: App config from a template
      template:
        src: app.conf.j2
        dest: "{{ bench_root }}/app/app.conf"
        mode: "0640"

    - name: Look at the app config
      stat:
        path: "{{ bench_root }}/app/app.conf"
      register: app_conf

    - name: Initialise the app once
      command:
        cmd: touch {{ bench_root }}/app/.initialized
        creates: "{{ bench_root }}/app/.initialized"
      when: app_conf.stat.exists

  handlers:
    - name: Reconfigure GitLab
      command: gitlab-ctl reconfigure
"""

TEMPLATE = """\
# app.conf for {{ inventory_hostname }} (hearth bench)
[server]
port = {{ app_port }}
token_set = {{ runner_token | length > 0 }}
{% for w in workers %}
worker.{{ loop.index }} = {{ w | upper }}
{% endfor %}
"""

# The same deploy for pyinfra v3 (files.line/block/directory/put/template, server.shell).
PYINFRA_DEPLOY = """\
from io import StringIO
from pyinfra import host
from pyinfra.facts.files import File
from pyinfra.operations import files, server

root = "/srv/bench"
token = "glrt-bench-0123456789abcdef"
token_op = files.line(
    name="Set the runner registration token in gitlab.rb",
    path=f"{root}/gitlab/gitlab.rb",
    line=r"^#?\\s*gitlab_rails\\['initial_shared_runners_registration_token'\\]",
    replace=f"gitlab_rails['initial_shared_runners_registration_token'] = '{token}'",
    extended_regex=True,
    backup=True,
)
files.block(
    name="Registry settings block in gitlab.rb",
    path=f"{root}/gitlab/gitlab.rb",
    marker="# {mark} hearth-bench registry",
    content="registry['enable'] = true\\nregistry_external_url 'https://registry.lab.example'",
)
files.directory(name="App directory", path=f"{root}/app", mode="750")
files.put(
    name="Docker daemon.json",
    src=StringIO(DAEMON_JSON),
    dest=f"{root}/app/daemon.json",
    mode="644",
)
files.template(
    name="App config from a template",
    src="templates/app.conf.j2",
    dest=f"{root}/app/app.conf",
    mode="640",
    inventory_hostname=host.name,
    app_port=8080,
    runner_token=token,
    workers=["alpha", "beta", "gamma"],
)
# stat + register: a fact read; command with creates: an operation only when the file is absent.
app_conf = host.get_fact(File, path=f"{root}/app/app.conf")
if host.get_fact(File, path=f"{root}/app/.initialized") is None:
    server.shell(name="Initialise the app once", commands=[f"touch {root}/app/.initialized"])
server.shell(
    name="Reconfigure GitLab", commands=["gitlab-ctl reconfigure"], _if=token_op.did_change
)
"""

DAEMON_JSON = """{
  "log-driver": "json-file",
  "log-opts": {"max-size": "10m", "max-file": "3"},
  "registry-mirrors": ["https://registry.lab.example"]
}
"""

# The host state a first run starts from: a gitlab.rb with the token line commented out.
GITLAB_RB = """external_url 'https://gitlab.lab.example'
# gitlab_rails['initial_shared_runners_registration_token'] = "token"
gitlab_rails['time_zone'] = 'UTC'
"""
RESET = (f"rm -rf {ROOT} /var/log/hearth-standin && mkdir -p {ROOT}/gitlab && "
         f"cat > {ROOT}/gitlab/gitlab.rb")
# What a run leaves behind (backups excluded: their names hold timestamps).
FINGERPRINT = (f"cd {ROOT} && find . -type f ! -name 'gitlab.rb.*' | sort | xargs md5sum; "
               f"stat -c '%n %a' app app/daemon.json app/app.conf; "
               f"ls gitlab | grep -c '^gitlab.rb.' ; cat /var/log/hearth-standin/gitlab-ctl.log")


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, text=True, stdout=subprocess.PIPE, **kw).stdout


# Peak resident set size (KiB) of the last command `timed` ran: the largest of the process and
# the children it waited for (wait4's rusage), i.e. the controller's footprint.
LAST_RSS = [0]


def timed(cmd, cwd=None, env=None):
    start = time.perf_counter()
    p = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True)
    out = p.stdout.read()
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - start
    p.returncode = os.waitstatus_to_exitcode(status)
    LAST_RSS[0] = usage.ru_maxrss
    if p.returncode != 0:
        sys.exit(f"command failed ({p.returncode}): {' '.join(cmd)}\n{out[-4000:]}")
    return wall, out


def changed_total(output):
    """Sum of changed=K over the play recap (hearth and ansible print the same recap)."""
    return sum(int(k) for k in re.findall(r"\bchanged=(\d+)", output))


def ensure_venv(venv):
    py = os.path.join(venv, "bin", "python")
    if not os.path.exists(py):
        # /usr/bin/python3, not a pyenv shim: the venv must not depend on the login shell.
        sh(["/usr/bin/python3", "-m", "venv", venv])
    want = ["ansible-core>=2.18,<2.19", "pyinfra>=3,<4"]
    check = subprocess.run([py, "-c", "import ansible, pyinfra"], capture_output=True)
    if check.returncode != 0:
        sh([py, "-m", "pip", "install", "-q", *want])
    versions = sh([py, "-m", "pip", "list", "--format=json"])
    found = {p["name"].lower(): p["version"] for p in json.loads(versions)}
    return {k: found.get(k, "?") for k in ("ansible-core", "pyinfra", "paramiko")}


class Lab:
    """A `hearth lab` of N hosts, with the script's own ControlMasters for resets and checks."""

    def __init__(self, hearth, n, work):
        self.hearth, self.n, self.name = hearth, n, f"bench{n}"
        subprocess.run([hearth, "lab", "down", "--name", self.name], capture_output=True)
        sh([hearth, "lab", "up", str(n), "--name", self.name, "--owner-pid", str(os.getpid())])
        status = json.loads(sh([hearth, "lab", "status", "--json", "--name", self.name]))
        self.state = status
        self.inventory = os.path.join(work, f"inventory-{n}.yml")
        with open(self.inventory, "w") as f:
            f.write(sh([hearth, "lab", "inventory", "--name", self.name]))
        self.key, self.known_hosts = status["client_key"], status["known_hosts"]
        self.addresses = [h["address"] for h in status["hosts"]]
        self.names = [h["name"] for h in status["hosts"]]
        self.cp = tempfile.mkdtemp(prefix="bench-cp-")
        self.masters = False

    def ssh_base(self):
        return ["ssh", "-i", self.key, "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
                "-o", f"UserKnownHostsFile={self.known_hosts}", "-o", "StrictHostKeyChecking=yes",
                "-l", "root"]

    def sock(self, addr):
        return os.path.join(self.cp, addr)

    def open_masters(self):
        procs = [subprocess.Popen(self.ssh_base() + ["-M", "-S", self.sock(a), "-o",
                                                     "ControlPersist=yes", "-fN", a])
                 for a in self.addresses]
        for p in procs:
            if p.wait() != 0:
                sys.exit("cannot open a ControlMaster to a lab host")
        self.masters = True

    def close_masters(self):
        for a in self.addresses:
            subprocess.run(self.ssh_base() + ["-S", self.sock(a), "-O", "exit", a],
                           capture_output=True)
        self.masters = False

    def on_all(self, command, stdin=None, master=True):
        """Runs `command` on every host in parallel; returns the outputs; fails on any error."""
        def argv(a):
            extra = ["-S", self.sock(a)] if master else ["-o", "ControlMaster=no", "-o",
                                                         "ControlPath=none"]
            return self.ssh_base() + extra + [a, command]
        procs = [subprocess.Popen(argv(a), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True) for a in self.addresses]
        outs = [p.communicate(stdin)[0] for p in procs]
        if any(p.returncode != 0 for p in procs):
            sys.exit(f"remote command failed: {command}\n{outs}")
        return outs

    def reset(self):
        self.on_all(RESET, stdin=GITLAB_RB)

    def fingerprint(self):
        return self.on_all(FINGERPRINT)[0]

    def down(self):
        if self.masters:
            self.close_masters()
        shutil.rmtree(self.cp, ignore_errors=True)
        subprocess.run([self.hearth, "lab", "down", "--name", self.name], capture_output=True)


def floor(lab, rounds):
    """Wall time of N parallel `ssh host true`: fresh connections, then over open masters."""
    fresh, mux = [], []
    for _ in range(rounds):
        t = time.perf_counter(); lab.on_all("true", master=False); fresh.append(time.perf_counter() - t)
    for _ in range(rounds):
        t = time.perf_counter(); lab.on_all("true"); mux.append(time.perf_counter() - t)
    return statistics.median(fresh), statistics.median(mux)


def login_shell_cost(lab, rounds=10):
    """One `ssh host true` on an open master, with root's stock ~/.bashrc and without its pyenv
    lines (edited in host 1's overlay only, then restored)."""
    a = lab.addresses[0]
    base = lab.ssh_base() + ["-S", lab.sock(a), a]

    def each():
        ts = []
        for _ in range(rounds):
            t = time.perf_counter(); sh(base + ["true"]); ts.append(time.perf_counter() - t)
        return statistics.median(ts)
    stock = each()
    sh(base + ["cp -p /root/.bashrc /root/.bashrc.bench && sed -i '/pyenv/d' /root/.bashrc"])
    try:
        plain = each()
    finally:
        sh(base + ["mv /root/.bashrc.bench /root/.bashrc"])
    return stock, plain


def project_dir(work):
    d = os.path.join(work, "project")
    os.makedirs(os.path.join(d, "templates"), exist_ok=True)
    with open(os.path.join(d, "site.yml"), "w") as f:
        f.write(PLAYBOOK)
    with open(os.path.join(d, "templates", "app.conf.j2"), "w") as f:
        f.write(TEMPLATE)
    with open(os.path.join(d, "ansible.cfg"), "w") as f:
        f.write("[defaults]\n")  # no other ansible.cfg (cwd, ~, /etc) applies
    with open(os.path.join(d, "deploy.py"), "w") as f:
        f.write(f"DAEMON_JSON = {DAEMON_JSON!r}\n" + PYINFRA_DEPLOY)
    return d


def pyinfra_inventory(lab, path):
    hosts = [(name, {"ssh_hostname": a, "ssh_user": "root", "ssh_key": lab.key,
                     "ssh_known_hosts_file": lab.known_hosts,
                     "ssh_strict_host_key_checking": "yes"})
             for name, a in zip(lab.names, lab.addresses)]
    with open(path, "w") as f:
        f.write(f"lab = {hosts!r}\n")


def measure(lab, runs, first_cmd, again_cmd, cwd, env, label, check_changes=True):
    """Median wall time of first runs (from a reset host state) and of no-change re-runs, the
    host state after the last first run, and the peak RSS (KiB) over all runs."""
    first, again, prints, rss = [], [], None, 0
    for _ in range(runs):
        lab.reset()
        t, out = timed(first_cmd(), cwd, env)
        first.append(t)
        rss = max(rss, LAST_RSS[0])
        prints = lab.fingerprint()
        t, out = timed(again_cmd(), cwd, env)
        again.append(t)
        rss = max(rss, LAST_RSS[0])
        if check_changes and changed_total(out) != 0:
            sys.exit(f"{label}: the no-change run changed something:\n{out[-3000:]}")
    print(f"  {label:18} first {statistics.median(first):7.2f}s  "
          f"no-change {statistics.median(again):7.2f}s  peak RSS {rss / 1024:.1f} MiB", flush=True)
    return statistics.median(first), statistics.median(again), prints, rss


def round_trips(lab, cmd, cwd, env, work):
    """hearth's own count (HEARTH_TRACE) for host 1 in one first run and one no-change run:
    (connections, operations on the kept shell, operations on channels) each."""
    a = lab.addresses[0]
    counts = []
    lab.reset()
    for run in ("first", "again"):
        path = os.path.join(work, f"trace-{run}.tsv")
        timed(cmd(), cwd, dict(env, HEARTH_TRACE=path))
        with open(path) as f:
            whats = [line.split("\t")[2] for line in f if line.split("\t")[1] == a]
        counts.append(tuple(whats.count(w) for w in ("connect", "shell", "channel")))
    return tuple(counts)


def close_persisted(cache):
    """Ends the masters `hearth --ssh-persist` left under the XDG_CACHE_HOME `cache`."""
    d = os.path.join(cache, "hearth", "ssh")
    for name in os.listdir(d) if os.path.isdir(d) else []:
        subprocess.run(["ssh", "-O", "exit", "-S", os.path.join(d, name), "x"],
                       capture_output=True)


LOG_LINE = 'echo x >> /tmp/bench-cmds.log'


def count_commands(lab, first_cmd, again_cmd, cwd, env):
    """Remote commands host 1 ran in one first run and one no-change run (untimed): a line in
    root's ~/.bashrc (overlay) logs each command sshd starts."""
    a = lab.addresses[0]
    base = lab.ssh_base() + ["-S", lab.sock(a), a]
    sh(base + [f"cp -p /root/.bashrc /root/.bashrc.count && sed -i '1i {LOG_LINE}' /root/.bashrc"])
    counts = []
    try:
        lab.reset()
        for cmd in (first_cmd(), again_cmd()):
            sh(base + ["rm -f /tmp/bench-cmds.log"])
            timed(cmd, cwd, env)
            # -1: the `wc` itself is logged first.
            counts.append(int(sh(base + ["wc -l < /tmp/bench-cmds.log"]).strip()) - 1)
    finally:
        sh(base + ["mv /root/.bashrc.count /root/.bashrc"])
    return tuple(counts)


def bench_mode(a, lab, n, mode, proj, work, venv_bin):
    """All tools on one lab, with root's ~/.bashrc as it is (`stock`) or without pyenv (`plain`)."""
    row = {"n": n, "mode": mode}
    print(f"== {n} host(s), {mode} ~/.bashrc", flush=True)
    row["floor_fresh"], row["floor_mux"] = floor(lab, 5)
    print(f"  floor: {n} x ssh true fresh {row['floor_fresh']:.3f}s, "
          f"on open masters {row['floor_mux']:.3f}s", flush=True)
    counting = mode == a.bashrc[-1] and n == a.sizes[0]

    env = dict(os.environ, NO_COLOR="1")
    hcmd = lambda: [a.hearth, "apply", "-i", lab.inventory, "site.yml", "-f", str(n),
                    "--no-progress"]
    h = measure(lab, a.runs, hcmd, hcmd, proj, env, "hearth")
    row["hearth"] = h[:2]
    row["rss_hearth"] = h[3]
    if counting:
        row["cmds_hearth"] = count_commands(lab, hcmd, hcmd, proj, env)
        row["trips_hearth"] = round_trips(lab, hcmd, proj, env, work)

    # --ssh-persist: masters kept between runs (opened by one untimed run first).
    # A short directory: ssh's control socket path must fit in 107 bytes.
    cache = tempfile.mkdtemp(prefix="hc-", dir="/tmp")
    penv_h = dict(env, XDG_CACHE_HOME=cache)
    pcmd_h = lambda: hcmd() + ["--ssh-persist", "120"]
    try:
        timed(pcmd_h(), proj, penv_h)
        hp = measure(lab, a.runs, pcmd_h, pcmd_h, proj, penv_h, "hearth (persist)")
        row["hearth_persist"] = hp[:2]
    finally:
        close_persisted(cache)
        shutil.rmtree(cache, ignore_errors=True)

    cpdir = tempfile.mkdtemp(prefix="bench-ansible-cp-", dir=work)
    aenv = dict(env, PATH=f"{venv_bin}:{os.environ['PATH']}", ANSIBLE_PIPELINING="1",
                ANSIBLE_SSH_ARGS="-C -o ControlMaster=auto -o ControlPersist=60s",
                ANSIBLE_SSH_CONTROL_PATH_DIR=cpdir, ANSIBLE_FORKS=str(n),
                ANSIBLE_NOCOLOR="1", ANSIBLE_RETRY_FILES_ENABLED="0",
                ANSIBLE_CONFIG=os.path.join(proj, "ansible.cfg"),
                ANSIBLE_PYTHON_INTERPRETER="/usr/bin/python3",
                ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_DEPRECATION_WARNINGS="0")
    acmd = [os.path.join(venv_bin, "ansible-playbook"), "-i", lab.inventory, "site.yml",
            "-f", str(n), "-e", "ansible_python_interpreter=/usr/bin/python3"]
    # Warm the masters first (untimed), as a user re-running within ControlPersist sees.
    timed([os.path.join(venv_bin, "ansible"), "-i", lab.inventory, "lab", "-m", "raw",
           "-a", "true", "-f", str(n)], proj, aenv)
    an = measure(lab, a.runs, lambda: acmd, lambda: acmd, proj, aenv, "ansible (warm)")
    row["ansible"] = an[:2]
    row["rss_ansible"] = an[3]
    row["same_state"] = an[2] == h[2]
    if an[2] != h[2]:
        print(f"  note: host state after ansible differs from hearth's:\n--- hearth\n{h[2]}"
              f"--- ansible\n{an[2]}", flush=True)
    if counting:
        row["cmds_ansible"] = count_commands(lab, lambda: acmd, lambda: acmd, proj, aenv)

    def cold():
        d = tempfile.mkdtemp(prefix="bench-ansible-cp-", dir=work)
        return dict(aenv, ANSIBLE_SSH_CONTROL_PATH_DIR=d)
    cold_times = [timed(acmd, proj, cold())[0] for _ in range(a.runs)]
    row["ansible_cold"] = (None, statistics.median(cold_times))
    print(f"  {'ansible (cold)':18} no-change {row['ansible_cold'][1]:7.2f}s", flush=True)
    close_ansible_masters(work)

    if not a.no_pyinfra:
        inv = os.path.join(work, f"pyinfra-{n}.py")
        pyinfra_inventory(lab, inv)
        pcmd = lambda: [os.path.join(venv_bin, "pyinfra"), "-y", "--parallel", str(n),
                        inv, "deploy.py"]
        penv = dict(env, PATH=f"{venv_bin}:{env['PATH']}")
        p = measure(lab, a.runs, pcmd, pcmd, proj, penv, "pyinfra", check_changes=False)
        row["pyinfra"] = p[:2]
        row["rss_pyinfra"] = p[3]
        if counting:
            row["cmds_pyinfra"] = count_commands(lab, pcmd, pcmd, proj, penv)
    return row


def close_ansible_masters(work):
    for x in os.listdir(work):
        d = os.path.join(work, x)
        if x.startswith("bench-ansible-cp-") and os.path.isdir(d):
            for s in os.listdir(d):
                subprocess.run(["ssh", "-S", os.path.join(d, s), "-O", "exit", "x"],
                               capture_output=True)
            shutil.rmtree(d, ignore_errors=True)


def bench_size(a, n, work, proj, venv_bin, results):
    lab = Lab(a.hearth, n, work)
    try:
        lab.open_masters()
        for mode in a.bashrc:
            if mode == "plain":
                lab.on_all("sed -i '/pyenv/d' /root/.bashrc")
            elif n == a.sizes[0]:
                stock, plain = login_shell_cost(lab)
                results.append({"n": n, "mode": "shell", "shell_stock": stock, "shell_plain": plain})
                print(f"  one ssh true on a master: {stock * 1000:.0f} ms with root's .bashrc, "
                      f"{plain * 1000:.0f} ms without its pyenv lines", flush=True)
            results.append(bench_mode(a, lab, n, mode, proj, work, venv_bin))
    finally:
        close_ansible_masters(work)
        lab.down()


def machine():
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    ssh_v = subprocess.run(["ssh", "-V"], capture_output=True, text=True).stderr.strip()
    return {"nproc": os.cpu_count(), "cpu": cpu, "kernel": platform.release(), "ssh": ssh_v}


def fmt(x):
    return "-" if x is None else f"{x:.2f}"


def ratio(x, h):
    return "-" if x is None or h is None else f"{x / h:.1f}x"


def table(results, mode):
    rows = ["| N | tool | first run (s) | no-change (s) | first / hearth | no-change / hearth |",
            "|---:|---|---:|---:|---:|---:|"]
    for r in results:
        if r["mode"] != mode:
            continue
        hf, hn = r["hearth"]
        for key, label in (("hearth", "hearth (fresh connections)"),
                           ("hearth_persist", "hearth (`--ssh-persist`, warm masters)"),
                           ("ansible", "ansible-playbook (warm ControlPersist)"),
                           ("ansible_cold", "ansible-playbook (cold masters)"),
                           ("pyinfra", "pyinfra (fresh connections)")):
            if key in r:
                f, n = r[key]
                rows.append(f"| {r['n']} | {label} | {fmt(f)} | {fmt(n)} | {ratio(f, hf)} | "
                            f"{ratio(n, hn)} |")
    return "\n".join(rows)


def floor_table(results):
    rows = ["| N | ~/.bashrc | N x `ssh host true`, fresh connections (s) | same, on open "
            "ControlMasters (s) |", "|---:|---|---:|---:|"]
    for r in results:
        if "floor_fresh" in r:
            rows.append(f"| {r['n']} | {r['mode']} | {r['floor_fresh']:.3f} | "
                        f"{r['floor_mux']:.3f} |")
    return "\n".join(rows)


def commands_table(results):
    rows = ["| tool | first run | no-change run |", "|---|---:|---:|"]
    for r in results:
        for key, label in (("cmds_hearth", "hearth"), ("cmds_ansible", "ansible-playbook"),
                           ("cmds_pyinfra", "pyinfra")):
            if key in r:
                rows.append(f"| {label} | {r[key][0]} | {r[key][1]} |")
    return "\n".join(rows)


def trips_table(results):
    rows = ["| run | SSH connections | operations on the kept shell | operations on new channels |",
            "|---|---:|---:|---:|"]
    for r in results:
        if "trips_hearth" in r:
            for label, (c, k, ch) in zip(("first run", "no-change run"), r["trips_hearth"]):
                rows.append(f"| {label} | {c} | {k} | {ch} |")
    return "\n".join(rows)


def rss_table(results, mode):
    rows = ["| N | hearth (MiB) | ansible-playbook (MiB) | pyinfra (MiB) |", "|---:|---:|---:|---:|"]
    mib = lambda r, k: "-" if k not in r else f"{r[k] / 1024:.1f}"
    for r in results:
        if r["mode"] == mode and "rss_hearth" in r:
            rows.append(f"| {r['n']} | {mib(r, 'rss_hearth')} | {mib(r, 'rss_ansible')} | "
                        f"{mib(r, 'rss_pyinfra')} |")
    return "\n".join(rows)


def all_tables(results, modes):
    out = []
    for mode in modes:
        what = ("root's ~/.bashrc as it is on this machine (pyenv init in every remote command)"
                if mode == "stock" else "pyenv lines removed from root's ~/.bashrc in the lab hosts")
        out.append(f"### {mode}: {what}\n\n{table(results, mode)}")
    out.append(f"### Floor\n\n{floor_table(results)}")
    out.append("### Remote commands per run on one host (sshd sessions, counted through "
               f"~/.bashrc)\n\n{commands_table(results)}")
    out.append("### hearth's round trips on one host (`HEARTH_TRACE`)\n\n"
               f"{trips_table(results)}")
    out.append("### Peak controller memory (RSS of the tool's process and the children it "
               f"waited for, {modes[-1]})\n\n{rss_table(results, modes[-1])}")
    return "\n\n".join(out)


def kept_findings(path):
    """The hand-written findings of the previous report (between the markers), kept as they are:
    they interpret figures, which the reader should compare with the new ones."""
    start, end = "<!-- findings -->", "<!-- /findings -->"
    try:
        old = open(path).read()
    except OSError:
        old = ""
    if start in old and end in old:
        return old[old.index(start):old.index(end) + len(end)]
    return f"{start}\n## Findings\n\n(none written yet)\n{end}"


def write_report(path, a, results, info, versions, load_before, load_after, commit):
    shell = next((r for r in results if "shell_stock" in r), None)
    shell_line = ""
    if shell:
        shell_line = (f"Measured here, one `ssh host true` on an open master: "
                      f"**{shell['shell_stock'] * 1000:.0f} ms** with root's stock `~/.bashrc`, "
                      f"**{shell['shell_plain'] * 1000:.0f} ms** with its pyenv lines removed (in "
                      f"one lab host's overlay only).")
    same = [r["same_state"] for r in results if "same_state" in r]
    state_line = ("After every first run the script compares the host state (md5 of every file, "
                  "modes, backup count, handler calls) left by hearth and by ansible-playbook: "
                  + ("identical in every measurement." if same and all(same) else
                     "**they differed** (see the script's output)."))
    text = f"""# Benchmarks: hearth over SSH

Generated by `bench/ssh.py` on {time.strftime("%Y-%m-%d %H:%M %Z")}, hearth built from commit `{commit}`.

{kept_findings(path)}

## Machine

- {info['nproc']} CPUs: {info['cpu']}; kernel {info['kernel']}; {info['ssh']}
- ansible-core {versions['ansible-core']}, pyinfra {versions['pyinfra']} (paramiko {versions['paramiko']})
- load average (1, 5, 15 min) before: {load_before}; after: {load_after}. The figures are noisy
  on this shared 2-core machine: the ratios, measured in one sitting, are more telling than the
  seconds.

## What is measured

One playbook (`site.yml`, written by the script): lineinfile of a gitlab.rb token line with
`backup: true` notifying a handler (`gitlab-ctl reconfigure`, a lab stand-in), blockinfile,
file (directory with mode), copy of a `daemon.json`, template of a config, stat + register,
command with `creates` (when the stat says the config exists). Hosts are `hearth lab` hosts
(network namespaces with an overlay of `/` and their own sshd) on this machine; every lab size N
gets its own lab. Every first run starts from the same reset host state (a gitlab.rb with the
token line commented out); each figure is the median of {a.runs} runs. {state_line}
The no-change run must report `changed=0` (hearth and ansible-playbook; checked).

- **hearth**: `hearth apply -f N`; one ControlMaster per host per run, opened at the start and
  closed at the end, with one kept `sh` on it that runs every operation as a framed script.
  *`--ssh-persist`*: `--ssh-persist 120`, masters opened by one untimed run first and reused by
  every timed run (Ansible's ControlPersist); the kept shell is still started once per run.
  Round trips come from hearth's own trace (`HEARTH_TRACE=<file>`, one line per connection and
  per remote operation) for host 1.
- **ansible-playbook**: pipelining on, `ControlMaster=auto ControlPersist=60s`, forks = N,
  `gather_facts: false`, `ansible_python_interpreter=/usr/bin/python3`. *warm*: masters kept
  from the previous run (opened once, untimed, before the first timed run); *cold*: a fresh
  ControlPath dir for each no-change run, so it pays the handshakes as hearth does.
- **pyinfra** v3: the same deploy with `files.line/block/directory/put/template` and
  `server.shell` (the handler is `_if=op.did_change`, `creates` is a fact check); paramiko,
  fresh connections each run, `--parallel N`.
- **floor**: N parallel `ssh host true`, over fresh connections and over already-open
  ControlMasters (`ssh -M -S`), median of 5.

## Results

{all_tables(results, a.bashrc)}

## The login shell costs every tool on this machine

sshd runs every remote command through the user's login shell (`bash -c '...'`), and bash
started by sshd reads `~/.bashrc`. Root's `~/.bashrc` on this machine runs `pyenv init` and
`pyenv virtualenv-init`, and the lab hosts share the machine's `/` (overlay), so every remote
command on every host, for every tool and for the floor, pays it. {shell_line}
A tool's cost scales with its number of remote commands: hearth runs about one per task per
host, ansible-playbook with pipelining one per task per host plus its Python start, pyinfra one
per fact and per operation command.

## Reproduce

```sh
sudo bench/ssh.py                      # builds hearth (cargo build --release), N = 1, 5, 20
sudo bench/ssh.py --sizes 1,5 --runs 3 --hearth target/release/hearth
```

The script creates (or reuses) a virtualenv at `{a.venv}` with `ansible-core>=2.18,<2.19` and
`pyinfra>=3,<4` from PyPI, brings labs `bench<N>` up and down (`hearth lab`, needs root), and
rewrites this file.
"""
    with open(path, "w") as f:
        f.write(text)


def loadavg():
    with open("/proc/loadavg") as f:
        return ", ".join(f.read().split()[:3])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hearth", help="hearth binary (default: cargo build --release)")
    ap.add_argument("--sizes", default="1,5,20", help="lab sizes, comma-separated")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--venv", default="/var/cache/hearth-bench/venv")
    ap.add_argument("--no-pyinfra", action="store_true")
    ap.add_argument("--bashrc", default="stock,plain",
                    help="stock (root's ~/.bashrc as is), plain (its pyenv lines removed inside "
                         "the lab hosts' overlay), or both, in order")
    ap.add_argument("--report", default=os.path.join(REPO, "BENCHMARKS.md"))
    a = ap.parse_args()
    a.sizes = [int(s) for s in a.sizes.split(",")]
    a.bashrc = a.bashrc.split(",")
    if os.geteuid() != 0:
        sys.exit("hearth lab needs root")
    if not a.hearth:
        sh(["cargo", "build", "--release", "--quiet"], cwd=REPO)
        target = os.environ.get("CARGO_TARGET_DIR", os.path.join(REPO, "target"))
        a.hearth = os.path.join(target, "release", "hearth")
    a.hearth = os.path.abspath(a.hearth)
    versions = ensure_venv(a.venv)
    venv_bin = os.path.join(a.venv, "bin")
    load_before = loadavg()
    work = tempfile.mkdtemp(prefix="hearth-bench-ssh-")
    proj = project_dir(work)
    results = []
    try:
        for n in a.sizes:
            bench_size(a, n, work, proj, venv_bin, results)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print()
    print(all_tables(results, a.bashrc))
    # The last commit that changed what the binary is built from (bench commits don't).
    commit = subprocess.run(["git", "-C", REPO, "log", "-1", "--format=%h", "--", "src", "crates",
                             "Cargo.toml", "Cargo.lock"],
                            capture_output=True, text=True).stdout.strip()
    write_report(a.report, a, results, machine(), versions, load_before, loadavg(), commit)
    print(f"\nwrote {a.report}")


if __name__ == "__main__":
    main()
