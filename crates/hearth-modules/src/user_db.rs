//! The pure half of the `user` and `group` modules: parsing what `getent passwd/group/shadow`
//! printed (one read per task) and computing `useradd`/`usermod`/`groupadd`/`groupmod`
//! arguments the way Ansible's user and group modules do on Linux. It runs nothing; password
//! hashes are compared here but never put into arguments (the module sets them via stdin).

use std::collections::BTreeSet;

/// One `/etc/passwd` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Passwd {
    /// Login name.
    pub name: String,
    /// User id.
    pub uid: u32,
    /// Primary group id.
    pub gid: u32,
    /// GECOS field (`comment`).
    pub comment: String,
    /// Home directory.
    pub home: String,
    /// Login shell.
    pub shell: String,
}

/// One `/etc/group` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// Group name.
    pub name: String,
    /// Group id.
    pub gid: u32,
    /// Explicit members (not users having it as primary group).
    pub members: Vec<String>,
}

/// What the read script found: the user (if any), every group, the user's password hash.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Db {
    /// The user's passwd entry.
    pub user: Option<Passwd>,
    /// All groups.
    pub groups: Vec<Group>,
    /// The user's shadow hash, when it could be read.
    pub hash: Option<String>,
}

/// Section markers the read script prints before each `getent` output.
pub const MARKS: [&str; 3] = ["#passwd", "#group", "#shadow"];

fn parse_passwd(line: &str) -> Option<Passwd> {
    let f: Vec<&str> = line.split(':').collect();
    if f.len() < 7 {
        return None;
    }
    Some(Passwd {
        name: f[0].into(),
        uid: f[2].parse().ok()?,
        gid: f[3].parse().ok()?,
        comment: f[4].into(),
        home: f[5].into(),
        shell: f[6].into(),
    })
}

fn parse_group(line: &str) -> Option<Group> {
    let f: Vec<&str> = line.split(':').collect();
    if f.len() < 4 {
        return None;
    }
    let members = f[3].split(',').filter(|m| !m.is_empty()).map(str::to_string).collect();
    Some(Group { name: f[0].into(), gid: f[2].parse().ok()?, members })
}

/// Parses the read script's output (sections after [`MARKS`]).
pub fn parse(text: &str) -> Db {
    let mut db = Db::default();
    let mut section = "";
    for line in text.lines() {
        if MARKS.contains(&line) {
            section = line;
            continue;
        }
        match section {
            "#passwd" => db.user = db.user.take().or_else(|| parse_passwd(line)),
            "#group" => db.groups.extend(parse_group(line)),
            "#shadow" if !line.is_empty() => db.hash = Some(line.to_string()),
            _ => {}
        }
    }
    db
}

impl Db {
    /// A group by name or numeric id, like Python's `grp.getgrnam`/`getgrgid`.
    pub fn group(&self, name_or_gid: &str) -> Option<&Group> {
        self.groups.iter().find(|g| g.name == name_or_gid).or_else(|| {
            name_or_gid.parse::<u32>().ok().and_then(|id| self.groups.iter().find(|g| g.gid == id))
        })
    }

    /// Groups listing `user` as an explicit member.
    pub fn memberships(&self, user: &str) -> BTreeSet<String> {
        self.groups.iter().filter(|g| g.members.iter().any(|m| m == user)).map(|g| g.name.clone()).collect()
    }

    fn group_names(&self, wanted: &[String]) -> Result<BTreeSet<String>, String> {
        wanted
            .iter()
            .map(|g| self.group(g).map(|x| x.name.clone()).ok_or_else(|| format!("Group {g} does not exist")))
            .collect()
    }
}

/// The user as the task wants it (only what is given is enforced).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserSpec {
    /// Login name.
    pub name: String,
    /// `uid`.
    pub uid: Option<u32>,
    /// Primary group (`group`).
    pub group: Option<String>,
    /// Supplementary groups; `Some([])` removes all (unless appending).
    pub groups: Option<Vec<String>>,
    /// Add to `groups` instead of replacing them.
    pub append: bool,
    /// `comment`.
    pub comment: Option<String>,
    /// `home`.
    pub home: Option<String>,
    /// `shell`.
    pub shell: Option<String>,
    /// `system` (creation only).
    pub system: bool,
    /// `create_home` (creation only).
    pub create_home: bool,
    /// `move_home` with a new `home`.
    pub move_home: bool,
    /// Wanted password hash.
    pub password: Option<String>,
}

/// `useradd` arguments (without the program) for a new user.
pub fn useradd_args(s: &UserSpec, db: &Db) -> Result<Vec<String>, String> {
    let mut a = Vec::new();
    if let Some(uid) = s.uid {
        a.extend(["-u".into(), uid.to_string()]);
    }
    if let Some(g) = &s.group {
        db.group(g).ok_or_else(|| format!("Group {g} does not exist"))?;
        a.extend(["-g".into(), g.clone()]);
    } else if db.group(&s.name).is_some() {
        // A group named like the user exists: useradd would fail trying to create it.
        a.push("-N".into());
    }
    if let Some(groups) = s.groups.as_ref().filter(|g| !g.is_empty()) {
        a.extend(["-G".into(), join(&db.group_names(groups)?)]);
    }
    for (flag, v) in [("-c", &s.comment), ("-d", &s.home), ("-s", &s.shell)] {
        if let Some(v) = v {
            a.extend([flag.into(), v.clone()]);
        }
    }
    a.push(if s.create_home { "-m" } else { "-M" }.into());
    if s.system {
        a.push("-r".into());
    }
    a.push(s.name.clone());
    Ok(a)
}

/// `usermod` arguments for an existing user; empty when nothing differs. The password is
/// reported by [`password_differs`] instead.
pub fn usermod_args(s: &UserSpec, db: &Db, cur: &Passwd) -> Result<Vec<String>, String> {
    let mut a: Vec<String> = Vec::new();
    if let Some(uid) = s.uid.filter(|u| *u != cur.uid) {
        a.extend(["-u".into(), uid.to_string()]);
    }
    if let Some(g) = &s.group {
        let group = db.group(g).ok_or_else(|| format!("Group {g} does not exist"))?;
        if group.gid != cur.gid {
            a.extend(["-g".into(), group.gid.to_string()]);
        }
    }
    if let Some(groups) = &s.groups {
        let current = db.memberships(&s.name);
        if groups.is_empty() {
            if !current.is_empty() && !s.append {
                a.extend(["-G".into(), String::new()]);
            }
        } else {
            let wanted = db.group_names(groups)?;
            let missing = wanted.iter().any(|g| !current.contains(g));
            if s.append && missing {
                a.extend(["-a".into(), "-G".into(), join(&wanted)]);
            } else if !s.append && wanted != current {
                a.extend(["-G".into(), join(&wanted)]);
            }
        }
    }
    let differs = |want: &Option<String>, have: &str| want.as_ref().filter(|w| w.as_str() != have).cloned();
    if let Some(c) = differs(&s.comment, &cur.comment) {
        a.extend(["-c".into(), c]);
    }
    if let Some(h) = differs(&s.home, &cur.home) {
        a.extend(["-d".into(), h]);
        if s.move_home {
            a.push("-m".into());
        }
    }
    if let Some(sh) = differs(&s.shell, &cur.shell) {
        a.extend(["-s".into(), sh]);
    }
    if !a.is_empty() {
        a.push(s.name.clone());
    }
    Ok(a)
}

/// True when the wanted hash differs from the current one (ignoring a lock `!`, like Ansible).
pub fn password_differs(s: &UserSpec, db: &Db) -> bool {
    s.password.as_ref().is_some_and(|p| {
        db.hash.as_deref().map(|h| h.trim_start_matches('!')) != Some(p.trim_start_matches('!'))
    })
}

fn join(names: &BTreeSet<String>) -> String {
    names.iter().cloned().collect::<Vec<_>>().join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    const READ: &str = "#passwd\nalice:x:1001:1001:Alice A:/home/alice:/bin/bash\n#group\nroot:x:0:\n\
        alice:x:1001:\nsudo:x:27:alice\ndocker:x:998:bob,alice\nvideo:x:44:\n#shadow\n$6$salt$hash\n";

    fn spec() -> UserSpec {
        UserSpec { name: "alice".into(), create_home: true, ..UserSpec::default() }
    }

    #[test]
    fn parses_getent_sections() {
        let db = parse(READ);
        let u = db.user.clone().unwrap();
        assert_eq!(
            (u.uid, u.gid, u.comment.as_str(), u.shell.as_str()),
            (1001, 1001, "Alice A", "/bin/bash")
        );
        assert_eq!(db.groups.len(), 5);
        assert_eq!(db.memberships("alice"), BTreeSet::from(["docker".into(), "sudo".into()]));
        assert_eq!(db.hash.as_deref(), Some("$6$salt$hash"));
        assert_eq!(db.group("44").map(|g| g.name.as_str()), Some("video"));
        assert_eq!(parse("#passwd\n#group\n#shadow\n"), Db::default());
    }

    #[test]
    fn useradd_with_groups_and_existing_same_named_group() {
        let db = parse(READ);
        let s = UserSpec {
            name: "alice".into(),
            groups: Some(vec!["video".into(), "docker".into()]),
            shell: Some("/bin/sh".into()),
            system: true,
            ..UserSpec::default()
        };
        assert_eq!(
            useradd_args(&s, &db).unwrap(),
            ["-N", "-G", "docker,video", "-s", "/bin/sh", "-M", "-r", "alice"]
        );
        let bad = UserSpec { groups: Some(vec!["nope".into()]), ..spec() };
        assert_eq!(useradd_args(&bad, &db), Err("Group nope does not exist".into()));
    }

    #[test]
    fn usermod_append_adds_only_when_a_group_is_missing() {
        let db = parse(READ);
        let cur = db.user.clone().unwrap();
        let have = UserSpec { groups: Some(vec!["sudo".into()]), append: true, ..spec() };
        assert!(usermod_args(&have, &db, &cur).unwrap().is_empty());
        let add = UserSpec { groups: Some(vec!["video".into()]), append: true, ..spec() };
        assert_eq!(usermod_args(&add, &db, &cur).unwrap(), ["-a", "-G", "video", "alice"]);
    }

    #[test]
    fn usermod_replace_sets_exact_groups_and_empty_removes_all() {
        let db = parse(READ);
        let cur = db.user.clone().unwrap();
        let same = UserSpec { groups: Some(vec!["docker".into(), "sudo".into()]), ..spec() };
        assert!(usermod_args(&same, &db, &cur).unwrap().is_empty());
        let fewer = UserSpec { groups: Some(vec!["docker".into()]), ..spec() };
        assert_eq!(usermod_args(&fewer, &db, &cur).unwrap(), ["-G", "docker", "alice"]);
        let none = UserSpec { groups: Some(vec![]), ..spec() };
        assert_eq!(usermod_args(&none, &db, &cur).unwrap(), ["-G", "", "alice"]);
        let none_append = UserSpec { append: true, ..none };
        assert!(usermod_args(&none_append, &db, &cur).unwrap().is_empty());
    }

    #[test]
    fn usermod_other_fields_and_password() {
        let db = parse(READ);
        let cur = db.user.clone().unwrap();
        let s = UserSpec {
            uid: Some(1001),
            group: Some("docker".into()),
            shell: Some("/bin/bash".into()),
            home: Some("/srv/alice".into()),
            move_home: true,
            comment: Some("Alice A".into()),
            ..spec()
        };
        assert_eq!(usermod_args(&s, &db, &cur).unwrap(), ["-g", "998", "-d", "/srv/alice", "-m", "alice"]);
        assert!(!password_differs(&UserSpec { password: Some("$6$salt$hash".into()), ..spec() }, &db));
        assert!(password_differs(&UserSpec { password: Some("$6$other".into()), ..spec() }, &db));
        assert!(!password_differs(&spec(), &db));
    }
}
