//! Stand-ins: tiny recording scripts installed only inside lab hosts, in place of programs no lab
//! host can run for real (GitLab's `gitlab-ctl`; `systemctl`, no systemd as PID 1; `shutdown`
//! and `reboot`, which simulate a reboot of the lab host, see `shutdown.sh`). Each appends
//! its arguments to `/var/log/hearth-standin/<name>.log`; a plain one then succeeds, a stateful
//! one (`systemctl`, in `systemctl.sh`) also keeps state in files so that later calls answer
//! consistently. Adding one is one line in `STANDINS`. They never do the real thing and are
//! never installed on the machine.

/// A program replaced by a recording stand-in inside lab hosts.
#[derive(Debug, Clone, Copy)]
pub struct StandIn {
    /// Program name; installed as `<dir>/<name>`.
    pub name: &'static str,
    /// Install directory: `/usr/local/bin` (ahead of /usr/bin in PATH), or `/usr/sbin` (also
    /// `/sbin` on merged-/usr systems) for what callers look up by absolute path, as Ansible's
    /// `reboot` finds `shutdown` in `/sbin` first.
    pub dir: &'static str,
    /// A stateful script of its own (which must record calls in [`StandIn::log`] itself);
    /// `None` for the plain recording script.
    pub stateful: Option<&'static str>,
}

/// Every stand-in, one line each.
pub const STANDINS: &[StandIn] = &[
    StandIn { name: "gitlab-ctl", dir: BIN, stateful: None },
    StandIn { name: "reboot", dir: SBIN, stateful: Some(include_str!("shutdown.sh")) },
    StandIn { name: "shutdown", dir: SBIN, stateful: Some(include_str!("shutdown.sh")) },
    StandIn { name: "systemctl", dir: BIN, stateful: Some(include_str!("systemctl.sh")) },
];

const BIN: &str = "/usr/local/bin";
const SBIN: &str = "/usr/sbin";

/// Where stand-ins record their calls (inside lab hosts).
pub const LOG_DIR: &str = "/var/log/hearth-standin";

impl StandIn {
    /// Install path inside a lab host.
    pub fn path(&self) -> String {
        format!("{}/{}", self.dir, self.name)
    }

    /// Where this stand-in records its calls: one line of arguments per call.
    pub fn log(&self) -> String {
        format!("{LOG_DIR}/{}.log", self.name)
    }

    /// The script: says it is a stand-in (first comment line, `--version`), records, succeeds.
    pub fn script(&self) -> String {
        if let Some(own) = self.stateful {
            return own.to_string();
        }
        let (name, log) = (self.name, self.log());
        format!(
            "#!/bin/sh\n\
             # hearth lab stand-in for {name}: records its arguments in {log}; NOT the real {name}.\n\
             mkdir -p {LOG_DIR}\n\
             printf '%s\\n' \"$*\" >> {log}\n\
             if [ \"$1\" = --version ]; then echo '{name} (hearth lab stand-in, records calls in {log})'; fi\n\
             exit 0\n"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_names_itself_a_stand_in_and_records() {
        let s = StandIn { name: "gitlab-ctl", dir: BIN, stateful: None }.script();
        let second = s.lines().nth(1).unwrap();
        assert!(second.starts_with("# hearth lab stand-in for gitlab-ctl"), "{second}");
        assert!(s.contains(">> /var/log/hearth-standin/gitlab-ctl.log"));
        assert!(s.contains("stand-in, records calls"));
    }

    #[test]
    fn script_runs_and_records_arguments() {
        let dir = tempfile::tempdir().unwrap();
        let script = StandIn { name: "x", dir: BIN, stateful: None }
            .script()
            .replace(LOG_DIR, &dir.path().display().to_string());
        let out =
            std::process::Command::new("sh").args(["-c", &script, "x", "--version", "a b"]).output().unwrap();
        assert!(String::from_utf8_lossy(&out.stdout).contains("stand-in"));
        assert_eq!(std::fs::read_to_string(dir.path().join("x.log")).unwrap(), "--version a b\n");
    }

    #[test]
    fn shutdown_stand_in_records_and_only_reboots_for_reboot_calls() {
        let root = tempfile::tempdir().unwrap();
        let script = STANDINS.iter().find(|s| s.name == "shutdown").unwrap().script();
        // Never `-r` here: that would simulate a reboot of the machine's network namespace.
        for args in [&["-c"][..], &["-h", "now"], &["--version"]] {
            let out = std::process::Command::new("sh")
                .args(["-c", &script, "shutdown"])
                .args(args)
                .env("HEARTH_STANDIN_ROOT", root.path())
                .output()
                .unwrap();
            assert!(out.status.success(), "{args:?}");
        }
        let log = std::fs::read_to_string(root.path().join("var/log/hearth-standin/shutdown.log")).unwrap();
        assert_eq!(log, "-c\n-h now\n--version\n");
        assert!(script.lines().nth(1).unwrap().starts_with("# hearth lab stand-in for shutdown and reboot"));
    }

    /// Runs the systemctl stand-in under a temp root: (rc, stdout, stderr).
    fn systemctl(root: &std::path::Path, args: &[&str]) -> (i32, String, String) {
        let script = STANDINS.iter().find(|s| s.name == "systemctl").unwrap().script();
        let out = std::process::Command::new("sh")
            .args(["-c", &script, "systemctl"])
            .args(args)
            .env("HEARTH_STANDIN_ROOT", root)
            .output()
            .unwrap();
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        (out.status.code().unwrap_or(-1), text(&out.stdout), text(&out.stderr))
    }

    #[test]
    fn systemctl_stand_in_keeps_unit_state_like_systemctl() {
        let root = tempfile::tempdir().unwrap();
        let r = root.path();
        let (rc, _, err) = systemctl(r, &["start", "demo"]);
        assert_eq!((rc, err.trim()), (5, "Failed to start demo.service: Unit demo.service not found."));
        assert!(systemctl(r, &["show", "demo"]).1.contains("LoadState=not-found\n"));
        std::fs::create_dir_all(r.join("lib/systemd/system")).unwrap();
        std::fs::write(r.join("lib/systemd/system/demo.service"), "[Service]\n[Install]\n").unwrap();
        let show = |args: &[&str]| systemctl(r, args).1;
        assert_eq!(
            show(&["show", "-p", "ActiveState,UnitFileState", "demo"]),
            "ActiveState=inactive\nUnitFileState=disabled\n"
        );
        assert_eq!(systemctl(r, &["is-active", "demo.service"]).0, 3);
        assert_eq!(systemctl(r, &["--no-block", "start", "demo"]).0, 0);
        assert_eq!(systemctl(r, &["enable", "demo"]).0, 0);
        assert_eq!(
            show(&["show", "--property=ActiveState", "--property=UnitFileState", "--value", "demo"]),
            "active\nenabled\n"
        );
        assert_eq!(systemctl(r, &["is-enabled", "demo"]), (0, "enabled\n".into(), String::new()));
        assert_eq!(systemctl(r, &["mask", "demo"]).0, 0);
        assert!(show(&["show", "demo"]).contains("LoadState=masked\n"));
        assert_eq!(systemctl(r, &["start", "demo"]).0, 1);
        assert_eq!(systemctl(r, &["unmask", "demo"]).0, 0);
        assert_eq!(systemctl(r, &["stop", "demo"]).0, 0);
        assert_eq!(show(&["is-active", "demo"]), "inactive\n");
        assert!(show(&["list-unit-files", "demo*"]).contains("demo.service enabled"));
        assert_eq!(
            show(&["list-units", "--type=service", "--all"]),
            "demo.service loaded inactive dead hearth lab stand-in unit\n"
        );
        assert!(show(&["--version"]).contains("stand-in"));
        let log = std::fs::read_to_string(r.join("var/log/hearth-standin/systemctl.log")).unwrap();
        assert_eq!(log.lines().next(), Some("start demo"));
        assert!(log.contains("--no-block start demo\n"));
    }
}
