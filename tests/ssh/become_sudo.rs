//! `become` through sudo over SSH and locally: with a password (answered only at sudo's prompt),
//! without one (NOPASSWD, root), a wrong one (fails within seconds), and to the login user.
//! Creates two throwaway users and a sudoers.d entry, removed again when the test ends.

use std::time::{Duration, Instant};

use hearth::transport::ssh;
use hearth::transport::{Attrs, Become, Cmd, Local, Transport, TransportError};

use super::sshd;

/// A throwaway user with a home directory, deleted on drop.
pub struct TempUser {
    /// Its login name.
    pub name: String,
}

impl TempUser {
    /// Creates `<prefix><pid>`.
    pub fn new(prefix: &str) -> TempUser {
        let name = format!("{prefix}{}", std::process::id());
        // `*`: no usable password but not locked, so sshd lets the key in.
        sshd::sh(&["useradd", "-m", "-s", "/bin/bash", "-p", "*", &name]);
        TempUser { name }
    }
}

impl Drop for TempUser {
    fn drop(&mut self) {
        let _ = std::process::Command::new("userdel")
            .args(["-r", &self.name])
            .stderr(std::process::Stdio::null())
            .status();
    }
}

/// Two test users (login `a` with a password and sudo rights that need it, target `b`).
struct Users {
    a: String,
    b: String,
    password: String,
    sudoers: String,
    _users: [TempUser; 2],
}

impl Users {
    fn create() -> Users {
        let id = std::process::id();
        let users = [TempUser::new("hxa"), TempUser::new("hxb")];
        let u = Users {
            a: users[0].name.clone(),
            b: users[1].name.clone(),
            password: format!("pw {id} 'q\"$x;`"),
            sudoers: format!("/etc/sudoers.d/hearth-test-{id}"),
            _users: users,
        };
        let mut chpasswd =
            std::process::Command::new("chpasswd").stdin(std::process::Stdio::piped()).spawn().unwrap();
        use std::io::Write;
        writeln!(chpasswd.stdin.take().unwrap(), "{}:{}", u.a, u.password).unwrap();
        assert!(chpasswd.wait().unwrap().success());
        std::fs::write(&u.sudoers, format!("Defaults:{a} timestamp_timeout=0\n{a} ALL=(ALL) ALL\n", a = u.a))
            .unwrap();
        sshd::sh(&["chmod", "0440", &u.sudoers]);
        u
    }

    fn become_(&self, user: &str, password: Option<&str>) -> Become {
        Become { user: user.into(), method: "sudo".into(), password: password.map(str::to_string) }
    }
}

impl Drop for Users {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.sudoers);
        for name in [&self.a, &self.b] {
            let _ = std::process::Command::new("userdel")
                .args(["-r", name])
                .stderr(std::process::Stdio::null())
                .status();
        }
    }
}

fn whoami(t: &dyn Transport) -> String {
    let out = t.run(&Cmd::new(["id", "-un"])).expect("id");
    assert_eq!(out.rc, 0, "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn become_through_sudo() {
    let Some(d) = sshd::start("become_through_sudo") else { return };
    let users = Users::create();
    let as_a = ssh::connect(&d.target(&users.a)).expect("connect as the test user");
    assert_eq!(whoami(&as_a), users.a);

    // With the password: root and another user; stdin still arrives after the dialogue.
    let root = as_a.with_become(&users.become_("root", Some(&users.password))).unwrap();
    assert_eq!(whoami(&*root), "root");
    let mut cat = Cmd::new(["cat"]);
    cat.stdin = Some(b"streamed after the password\n".to_vec());
    assert_eq!(root.run(&cat).unwrap().stdout, cat.stdin.clone().unwrap());
    let dir = tempfile::tempdir().unwrap();
    let file = format!("{}/owned by root", dir.path().display());
    root.write_file(&file, b"secret\n", &Attrs { mode: Some(0o600), ..Attrs::default() }).unwrap();
    assert_eq!(root.read_file(&file).unwrap().unwrap(), b"secret\n");
    assert_eq!(root.stat(&file, true).unwrap().unwrap().owner.as_deref(), Some("root"));
    let b = as_a.with_become(&users.become_(&users.b, Some(&users.password))).unwrap();
    assert_eq!(whoami(&*b), users.b);

    // A wrong password fails clearly and quickly, and never shows the password.
    let start = Instant::now();
    let err = as_a
        .with_become(&users.become_("root", Some("wrong")))
        .unwrap()
        .run(&Cmd::new(["true"]))
        .unwrap_err();
    assert!(start.elapsed() < Duration::from_secs(10), "took {:?}", start.elapsed());
    assert!(
        matches!(&err, TransportError::Io { op: "become", .. }) && err.to_string().contains("incorrect"),
        "{err}"
    );
    // No password where sudo needs one: a clear failure, not a prompt waiting forever.
    let err = as_a.with_become(&users.become_("root", None)).unwrap().run(&Cmd::new(["true"])).unwrap_err();
    assert!(err.to_string().contains("password"), "{err}");
    assert!(!err.to_string().contains(&users.password));
    // Becoming the login user needs no sudo at all (this user has no NOPASSWD rule).
    assert_eq!(whoami(&*as_a.with_become(&users.become_(&users.a, None)).unwrap()), users.a);
    as_a.close().unwrap();

    // Root needs no password (NOPASSWD-like), over SSH and locally.
    let as_root = ssh::connect(&d.target("root")).expect("connect as root");
    let b = as_root.with_become(&users.become_(&users.b, None)).unwrap();
    assert_eq!(whoami(&*b), users.b);
    let home_file = format!("/home/{}/note", users.b);
    b.write_file(&home_file, b"hi\n", &Attrs::default()).unwrap();
    assert_eq!(b.stat(&home_file, true).unwrap().unwrap().owner.as_deref(), Some(users.b.as_str()));
    as_root.close().unwrap();
    assert_eq!(whoami(&*Local.with_become(&users.become_(&users.b, None)).unwrap()), users.b);
    assert_eq!(whoami(&*Local.with_become(&users.become_("root", None)).unwrap()), "root");
}
