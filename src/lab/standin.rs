//! Stand-ins: tiny recording scripts installed only inside lab hosts, in place of programs no lab
//! host can run for real (GitLab's `gitlab-ctl`; later `systemctl`, no systemd as PID 1). Each
//! appends its arguments to `/var/log/hearth-standin/<name>.log` and succeeds. Adding one is one
//! line in `STANDINS`. They never do the real thing and are never installed on the machine.

/// A program replaced by a recording stand-in inside lab hosts.
#[derive(Debug, Clone, Copy)]
pub struct StandIn {
    /// Program name; installed as `/usr/local/bin/<name>` (ahead of /usr/bin in PATH).
    pub name: &'static str,
}

/// Every stand-in, one line each.
pub const STANDINS: &[StandIn] = &[StandIn { name: "gitlab-ctl" }];

/// Where stand-ins record their calls (inside lab hosts).
pub const LOG_DIR: &str = "/var/log/hearth-standin";

impl StandIn {
    /// Install path inside a lab host.
    pub fn path(&self) -> String {
        format!("/usr/local/bin/{}", self.name)
    }

    /// Where this stand-in records its calls: one line of arguments per call.
    pub fn log(&self) -> String {
        format!("{LOG_DIR}/{}.log", self.name)
    }

    /// The script: says it is a stand-in (first comment line, `--version`), records, succeeds.
    pub fn script(&self) -> String {
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
        let s = StandIn { name: "gitlab-ctl" }.script();
        let second = s.lines().nth(1).unwrap();
        assert!(second.starts_with("# hearth lab stand-in for gitlab-ctl"), "{second}");
        assert!(s.contains(">> /var/log/hearth-standin/gitlab-ctl.log"));
        assert!(s.contains("stand-in, records calls"));
    }

    #[test]
    fn script_runs_and_records_arguments() {
        let dir = tempfile::tempdir().unwrap();
        let script = StandIn { name: "x" }.script().replace(LOG_DIR, &dir.path().display().to_string());
        let out =
            std::process::Command::new("sh").args(["-c", &script, "x", "--version", "a b"]).output().unwrap();
        assert!(String::from_utf8_lossy(&out.stdout).contains("stand-in"));
        assert_eq!(std::fs::read_to_string(dir.path().join("x.log")).unwrap(), "--version a b\n");
    }
}
