//! Turns `openssh` errors (and OpenSSH's own messages inside them) into [`TransportError`]s a
//! user can act on: a changed host key is its own error naming the host; refused, timed out,
//! DNS and authentication failures and broken connections are `Unreachable` with the reason.
//! Pure functions over error text; nothing here talks to the network.

use std::error::Error as _;

use crate::error::TransportError;

/// The error for a master connection that could not be opened.
pub fn connect_error(host: &str, err: &openssh::Error) -> TransportError {
    classify_connect(host, &chain(err))
}

/// The error for a command whose channel failed or whose connection broke.
pub fn command_error(host: &str, err: &openssh::Error) -> TransportError {
    TransportError::Unreachable(format!("{host}: connection lost: {}", chain(err)))
}

/// An error and its sources as one line.
fn chain(err: &openssh::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        text = format!("{text}: {s}");
        source = s.source();
    }
    text
}

/// Classifies the text OpenSSH printed when the master failed to start.
pub fn classify_connect(host: &str, text: &str) -> TransportError {
    if text.contains("REMOTE HOST IDENTIFICATION HAS CHANGED")
        || text.contains("has changed and you have requested strict checking")
    {
        return TransportError::HostKeyChanged { host: host.to_string() };
    }
    let reason = if text.contains("No ") && text.contains("host key is known")
        || text.contains("Host key verification failed")
    {
        "host key is not in known_hosts (checking is strict; add it, or use --ssh-accept-new to record new hosts)".to_string()
    } else {
        meaningful_line(text)
    };
    TransportError::Unreachable(format!("{host}: {reason}"))
}

/// The line of OpenSSH's output that says what went wrong (the last non-warning line).
fn meaningful_line(text: &str) -> String {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("Warning: Permanently added") && !l.starts_with("debug"))
        .collect();
    let line = lines.last().copied().unwrap_or("ssh failed without a message");
    let line = line.rsplit_once("failed to connect to the remote host: ").map_or(line, |(_, rest)| rest);
    line.strip_prefix("ssh: ").unwrap_or(line).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(text: &str) -> String {
        match classify_connect("web1", text) {
            TransportError::Unreachable(r) => r,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn changed_key_is_its_own_error() {
        let text = "failed to connect to the remote host: @@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n\
            @    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\n\
            Host key for [127.0.0.1]:2222 has changed and you have requested strict checking.\n\
            Host key verification failed.";
        assert!(
            matches!(classify_connect("web1", text), TransportError::HostKeyChanged { host } if host == "web1")
        );
    }

    #[test]
    fn common_failures_keep_the_reason() {
        assert_eq!(
            reason(
                "failed to connect to the remote host: ssh: connect to host 127.0.0.1 port 1: Connection refused"
            ),
            "web1: connect to host 127.0.0.1 port 1: Connection refused"
        );
        assert!(reason("Warning: Permanently added 'x' (ED25519) to the list of known hosts.\r\nroot@x: Permission denied (publickey).")
            .ends_with("root@x: Permission denied (publickey)."));
        assert!(
            reason("ssh: Could not resolve hostname nohost.invalid: Name or service not known")
                .contains("Could not resolve")
        );
        assert!(reason("No ED25519 host key is known for [127.0.0.1]:2222 and you have requested strict checking.\nHost key verification failed.")
            .contains("--ssh-accept-new"));
        assert_eq!(reason(""), "web1: ssh failed without a message");
    }
}
