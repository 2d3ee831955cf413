//! The binary's side of `hearth vault` (ansible-vault's `encrypt`, `decrypt`, `view` and
//! `encrypt_string`): reads files or stdin, calls `hearth::vault`, and writes results atomically
//! (a temp file beside the target, then a rename), so a failure never leaves half a file.

use std::io::{IsTerminal, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use hearth::cli::{VaultArgs, VaultCommand, VaultFiles, VaultOpts, VaultRekey, VaultStrings};
use hearth::vault::keyring::SourceSpec;
use hearth::vault::{Keyring, VaultError, is_vaulted};

use crate::failure::{Failure, exit};

/// Runs one `hearth vault` subcommand.
pub(crate) fn vault_command(args: VaultArgs) -> Result<u8, Failure> {
    match args.command {
        VaultCommand::Encrypt(a) => encrypt(&a),
        VaultCommand::Decrypt(a) => decrypt(&a, false),
        VaultCommand::View(a) => decrypt(&a, true),
        VaultCommand::EncryptString(a) => encrypt_string(&a),
        VaultCommand::Rekey(a) => rekey(&a),
    }
}

/// Decrypts each file with the current secrets and writes it back encrypted with the new one.
fn rekey(a: &VaultRekey) -> Result<u8, Failure> {
    let old = keyring(&a.vault, false)?;
    let new_spec = match (&a.new_vault_id, &a.new_vault_password_file) {
        (Some(id), _) => SourceSpec::parse(id),
        (None, Some(file)) => SourceSpec { label: "default".into(), source: file.clone() },
        (None, None) => SourceSpec { label: "default".into(), source: "prompt".into() },
    };
    let new = Keyring::load(&[new_spec], true).map_err(fail)?;
    for (data, shown) in inputs(&a.files)? {
        if !is_vaulted(&data) {
            return Err(Failure::new(
                exit::ERROR,
                anyhow::anyhow!("{shown}: input is not vault encrypted data"),
            ));
        }
        let plain = old.decrypt(&data, &shown).map_err(fail)?;
        let text = new.encrypt(&plain, None).map_err(fail)?;
        write_atomic(Path::new(&shown), text.as_bytes()).map_err(fail)?;
    }
    if std::io::stderr().is_terminal() {
        eprintln!("Rekey successful");
    }
    Ok(exit::OK)
}

/// Like ansible-vault, every failure of a vault subcommand exits with 1.
fn fail(e: VaultError) -> Failure {
    Failure::new(exit::ERROR, e)
}

/// The keyring of a vault subcommand: like ansible-vault, it prompts when no secret is given.
fn keyring(opts: &VaultOpts, new_password: bool) -> Result<Keyring, Failure> {
    let mut specs = opts.specs();
    if specs.is_empty() {
        specs.push(SourceSpec { label: "default".into(), source: "prompt".into() });
    }
    Keyring::load(&specs, new_password).map_err(fail)
}

/// Standard input when no file or `-` is given.
fn is_stdin(files: &[PathBuf]) -> bool {
    files.is_empty() || files.iter().all(|f| f.as_os_str() == "-")
}

fn encrypt(a: &VaultFiles) -> Result<u8, Failure> {
    let ring = keyring(&a.write.vault, true)?;
    let label = a.write.encrypt_vault_id.as_deref();
    for_each_input(a, |data, shown| {
        if is_vaulted(&data) {
            return Err(Failure::new(exit::ERROR, anyhow::anyhow!("{shown}: input is already encrypted")));
        }
        ring.encrypt(&data, label).map(String::into_bytes).map_err(fail)
    })?;
    if std::io::stderr().is_terminal() {
        eprintln!("Encryption successful");
    }
    Ok(exit::OK)
}

fn decrypt(a: &VaultFiles, view: bool) -> Result<u8, Failure> {
    let ring = keyring(&a.write.vault, false)?;
    let decrypt_one = |data: Vec<u8>, shown: &str| {
        if !is_vaulted(&data) {
            return Err(Failure::new(
                exit::ERROR,
                anyhow::anyhow!("{shown}: input is not vault encrypted data"),
            ));
        }
        ring.decrypt(&data, shown).map_err(fail)
    };
    if view {
        let mut out = std::io::stdout().lock();
        for (data, shown) in inputs(&a.files)? {
            let plain = decrypt_one(data, &shown)?;
            // A closed pipe (`| head`) is not an error worth a message.
            let _ = out.write_all(&plain);
        }
        return Ok(exit::OK);
    }
    for_each_input(a, decrypt_one)?;
    if std::io::stderr().is_terminal() {
        eprintln!("Decryption successful");
    }
    Ok(exit::OK)
}

/// All of standard input.
fn read_stdin() -> Result<Vec<u8>, Failure> {
    let mut data = Vec::new();
    std::io::stdin()
        .read_to_end(&mut data)
        .map_err(|source| fail(VaultError::Io { path: "<stdin>".into(), source }))?;
    Ok(data)
}

/// Reads the inputs: each file, or all of stdin (shown as `<stdin>`).
fn inputs(files: &[PathBuf]) -> Result<Vec<(Vec<u8>, String)>, Failure> {
    if is_stdin(files) {
        return Ok(vec![(read_stdin()?, "<stdin>".into())]);
    }
    files
        .iter()
        .map(|f| {
            let shown = f.display().to_string();
            std::fs::read(f)
                .map(|d| (d, shown.clone()))
                .map_err(|source| fail(VaultError::Io { path: shown, source }))
        })
        .collect()
}

/// Transforms every input and writes it back in place, to `--output`, or to stdout.
fn for_each_input(
    a: &VaultFiles,
    mut transform: impl FnMut(Vec<u8>, &str) -> Result<Vec<u8>, Failure>,
) -> Result<(), Failure> {
    if a.write.output.is_some() && a.files.len() > 1 {
        return Err(Failure::new(
            exit::BAD_OPTIONS,
            anyhow::anyhow!("--output can only be used with a single file"),
        ));
    }
    let stdin = is_stdin(&a.files);
    for (data, shown) in inputs(&a.files)? {
        let result = transform(data, &shown)?;
        match a.write.output.as_deref() {
            Some(p) if p.as_os_str() == "-" => write_stdout(&result),
            Some(p) => write_atomic(p, &result).map_err(fail)?,
            None if stdin => write_stdout(&result),
            None => write_atomic(Path::new(&shown), &result).map_err(fail)?,
        }
    }
    Ok(())
}

fn write_stdout(data: &[u8]) {
    let _ = std::io::stdout().lock().write_all(data);
}

/// Writes `data` to `path` through a temp file in the same directory and a rename; an existing
/// file keeps its permission bits, a new one is private (0600).
pub(crate) fn write_atomic(path: &Path, data: &[u8]) -> Result<(), VaultError> {
    let io = |source| VaultError::Io { path: path.display().to_string(), source };
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mode = std::fs::metadata(path).map(|m| m.permissions().mode() & 0o7777).unwrap_or(0o600);
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(io)?;
    tmp.write_all(data).map_err(io)?;
    tmp.as_file().set_permissions(std::fs::Permissions::from_mode(mode)).map_err(io)?;
    tmp.as_file().sync_all().map_err(io)?;
    tmp.persist(path).map_err(|e| io(e.error))?;
    Ok(())
}

fn encrypt_string(a: &VaultStrings) -> Result<u8, Failure> {
    let mut values: Vec<(Option<String>, Vec<u8>)> = Vec::new();
    for (i, s) in a.strings.iter().enumerate() {
        values.push((a.names.get(i).cloned(), s.clone().into_bytes()));
    }
    if a.prompt {
        let s = rpassword::prompt_password("String to encrypt: ")
            .map_err(|e| Failure::new(exit::ERROR, anyhow::anyhow!("cannot read the string: {e}")))?;
        values.push((a.names.get(values.len()).cloned(), s.into_bytes()));
    } else if values.is_empty() || a.stdin_name.is_some() {
        if std::io::stdin().is_terminal() {
            eprintln!("Reading plaintext input from stdin. (ctrl-d to end input)");
        }
        let data = read_stdin()?;
        values.push((a.stdin_name.clone().or_else(|| a.names.get(values.len()).cloned()), data));
    }
    let ring = keyring(&a.write.vault, true)?;
    let mut out = String::new();
    for (name, plain) in &values {
        let text = ring.encrypt(plain, a.write.encrypt_vault_id.as_deref()).map_err(fail)?;
        out.push_str(&yaml_block(name.as_deref(), &text));
    }
    match a.write.output.as_deref() {
        Some(p) if p.as_os_str() != "-" => write_atomic(p, out.as_bytes()).map_err(fail)?,
        _ => write_stdout(out.as_bytes()),
    }
    Ok(exit::OK)
}

/// `name: !vault |` and the envelope indented by ten spaces, as ansible-vault prints it.
fn yaml_block(name: Option<&str>, envelope: &str) -> String {
    let mut out = match name {
        Some(n) => format!("{n}: !vault |\n"),
        None => "!vault |\n".to_string(),
    };
    for line in envelope.lines() {
        out.push_str("          ");
        out.push_str(line);
        out.push('\n');
    }
    out
}
