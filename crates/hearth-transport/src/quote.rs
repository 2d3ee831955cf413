//! The one place where argv becomes a POSIX shell command string. Every path, value and argument
//! a transport sends to a shell passes through [`quote`] or [`join`], so no byte of user data is
//! ever interpreted by a shell. It deliberately knows nothing about commands or hosts, and it does
//! not handle NUL bytes (no shell argument can hold one: callers reject them, see [`has_nul`]).

use std::borrow::Cow;

/// Quotes one argument for a POSIX shell: safe words stay as they are, anything else is wrapped in
/// single quotes with each `'` written as `'\''`.
pub fn quote(arg: &str) -> Cow<'_, str> {
    if !arg.is_empty() && arg.bytes().all(is_safe) {
        return Cow::Borrowed(arg);
    }
    let mut out = String::with_capacity(arg.len() + 2);
    out.push('\'');
    for c in arg.chars() {
        if c == '\'' {
            out.push_str("'\\''");
        } else {
            out.push(c);
        }
    }
    out.push('\'');
    Cow::Owned(out)
}

/// Joins an argv into one shell command line, each word quoted.
pub fn join<S: AsRef<str>>(argv: &[S]) -> String {
    argv.iter().map(|a| quote(a.as_ref())).collect::<Vec<_>>().join(" ")
}

/// True when any argument holds a NUL byte, which no shell can pass on.
pub fn has_nul<S: AsRef<str>>(args: &[S]) -> bool {
    args.iter().any(|a| a.as_ref().contains('\0'))
}

/// Bytes that never need quoting. `=` and `~` are excluded: a leading `NAME=` word would become
/// an assignment and a leading `~` a home directory.
fn is_safe(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'/' | b':' | b',' | b'+' | b'@' | b'%')
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    /// Runs `printf '%s\0' <quoted args>` through a real `sh` and returns what arrived.
    fn roundtrip(args: &[&str]) -> Vec<String> {
        let script = format!("printf '%s\\0' {}", join(args));
        let out = Command::new("sh").arg("-c").arg(&script).output().unwrap();
        assert!(out.status.success(), "{script}: {}", String::from_utf8_lossy(&out.stderr));
        let text = String::from_utf8(out.stdout).unwrap();
        text.split_terminator('\0').map(str::to_string).collect()
    }

    #[test]
    fn safe_words_stay_bare() {
        assert_eq!(quote("/etc/hosts"), "/etc/hosts");
        assert_eq!(quote("a-b_c.d:1,2+x@y%z"), "a-b_c.d:1,2+x@y%z");
    }

    #[test]
    fn special_words_are_quoted() {
        assert_eq!(quote(""), "''");
        assert_eq!(quote("a b"), "'a b'");
        assert_eq!(quote("it's"), r"'it'\''s'");
        assert_eq!(quote("A=1"), "'A=1'");
        assert_eq!(quote("~root"), "'~root'");
        assert_eq!(join(&["ls", "-l", "my file"]), "ls -l 'my file'");
    }

    #[test]
    fn torture_arrives_intact() {
        let args = [
            "with space",
            "",
            "single'quote",
            "double\"quote",
            "$HOME ${x} $(id)",
            "a;b && c | d",
            "`id`",
            "line1\nline2\n",
            "tab\there",
            "ünïcødé ✓ 日本",
            "back\\slash",
            "'",
            "''",
            "*?[a]",
            "-n",
            "!x #y &z <w >v",
        ];
        assert_eq!(roundtrip(&args), args);
    }

    #[test]
    fn detects_nul() {
        assert!(has_nul(&["a", "b\0c"]));
        assert!(!has_nul(&["a", "b"]));
    }
}
