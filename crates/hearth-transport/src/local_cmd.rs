//! How a [`Cmd`] becomes a `std::process::Command` on the control node: the one spawn recipe the
//! local transport and its timed view share. It spawns nothing itself.

use std::process::{Command, Stdio};

use crate::cmd::Cmd;
use crate::error::TransportError;

/// The process for `cmd` (output piped, stdin piped when there is input) and its program name.
pub fn command(cmd: &Cmd) -> Result<(Command, String), TransportError> {
    let program = cmd
        .argv
        .first()
        .ok_or_else(|| TransportError::Spawn { program: String::new(), message: "empty command".into() })?;
    let mut command = Command::new(program);
    command.args(&cmd.argv[1..]).stdout(Stdio::piped()).stderr(Stdio::piped());
    command.stdin(if cmd.stdin.is_some() { Stdio::piped() } else { Stdio::null() });
    if let Some(dir) = &cmd.chdir {
        command.current_dir(dir);
    }
    command.envs(cmd.env.iter().map(|(k, v)| (k, v)));
    Ok((command, program.clone()))
}
