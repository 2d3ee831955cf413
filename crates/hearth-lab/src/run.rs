//! Running the system tools the lab drives (`ip`, `mount`, `ssh-keygen`, `chroot ...`): argv only,
//! a failure becomes a `LabError::Command` with the tool's stderr. No shell, no output parsing.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::error::LabError;

/// Runs a command to completion; non-zero exit is an error carrying its stderr.
pub fn run(cmd: &mut Command) -> Result<(), LabError> {
    run_with_input(cmd, None)
}

/// Runs a command feeding `input` on its stdin (e.g. `chpasswd`).
pub fn run_with_input(cmd: &mut Command, input: Option<&str>) -> Result<(), LabError> {
    let shown = describe(cmd);
    cmd.stdin(if input.is_some() { Stdio::piped() } else { Stdio::null() });
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().map_err(|e| LabError::Spawn { command: shown.clone(), source: e })?;
    if let (Some(text), Some(mut stdin)) = (input, child.stdin.take()) {
        stdin
            .write_all(text.as_bytes())
            .map_err(|e| LabError::Spawn { command: shown.clone(), source: e })?;
    }
    let out = child.wait_with_output().map_err(|e| LabError::Spawn { command: shown.clone(), source: e })?;
    if out.status.success() {
        return Ok(());
    }
    Err(LabError::Command {
        command: shown,
        status: out.status.to_string(),
        stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
    })
}

/// Runs a command to completion and returns its stdout (lossy UTF-8); non-zero exit is an error.
pub fn run_output(cmd: &mut Command) -> Result<String, LabError> {
    let shown = describe(cmd);
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| LabError::Spawn { command: shown.clone(), source: e })?;
    if out.status.success() {
        return Ok(String::from_utf8_lossy(&out.stdout).into_owned());
    }
    Err(LabError::Command {
        command: shown,
        status: out.status.to_string(),
        stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
    })
}

/// The command as a readable line for error messages.
pub fn describe(cmd: &Command) -> String {
    let mut parts = vec![cmd.get_program().to_string_lossy().into_owned()];
    parts.extend(cmd.get_args().map(|a| a.to_string_lossy().into_owned()));
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_carries_stderr() {
        let err = run(Command::new("sh").args(["-c", "echo boom >&2; exit 3"])).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("boom") && text.contains("sh -c"), "{text}");
    }

    #[test]
    fn output_is_returned_and_failures_carry_stderr() {
        assert_eq!(run_output(Command::new("sh").args(["-c", "echo hi"])).unwrap(), "hi\n");
        let err = run_output(Command::new("sh").args(["-c", "echo bad >&2; exit 1"])).unwrap_err();
        assert!(err.to_string().contains("bad"), "{err}");
    }

    #[test]
    fn input_reaches_stdin() {
        run_with_input(Command::new("sh").args(["-c", "read x; test \"$x\" = hi"]), Some("hi\n")).unwrap();
    }
}
