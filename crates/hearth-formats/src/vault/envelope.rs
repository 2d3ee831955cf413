//! The text around a vault payload: the `$ANSIBLE_VAULT;1.1;AES256` (or
//! `$ANSIBLE_VAULT;1.2;AES256;<vault-id>`) header line and the hexlified body in 80-column
//! lines. Pure text handling; the cryptography is in `cipher`.

/// What a vault file or `!vault` scalar starts with.
pub const MAGIC: &str = "$ANSIBLE_VAULT";

/// Width of the hexlified body lines, as ansible-vault writes them.
const LINE_WIDTH: usize = 80;

/// A parsed envelope: the vault id (1.2 only) and the un-hexlified body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// The label of a 1.2 envelope (`None` for 1.1, which means "default").
    pub vault_id: Option<String>,
    /// The body after one un-hexlify: `hex(salt)\nhex(hmac)\nhex(ciphertext)`.
    pub body: Vec<u8>,
}

/// Why text is not a usable envelope.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    /// The text does not start with `$ANSIBLE_VAULT`.
    #[error("not vault-encrypted (no {MAGIC} header)")]
    NotVault,
    /// A header with a version or cipher hearth (and Ansible) cannot read.
    #[error("unsupported vault header '{0}' (supported: $ANSIBLE_VAULT;1.1;AES256 and 1.2;AES256;<id>)")]
    Header(String),
    /// The body is not hexadecimal text.
    #[error("the vault payload is corrupted: {0}")]
    Corrupt(String),
}

/// True when `data` (file bytes or a scalar) is vault-encrypted, like Ansible's `is_encrypted`.
pub fn is_vaulted(data: &[u8]) -> bool {
    data.trim_ascii_start().starts_with(MAGIC.as_bytes())
}

/// Parses an envelope; surrounding whitespace and indentation of body lines are ignored.
pub fn parse(text: &str) -> Result<Envelope, FormatError> {
    let text = text.trim();
    let (header, rest) = text.split_once('\n').unwrap_or((text, ""));
    let fields: Vec<&str> = header.trim().split(';').map(str::trim).collect();
    if fields.first() != Some(&MAGIC) {
        return Err(FormatError::NotVault);
    }
    let vault_id = match fields.as_slice() {
        [_, "1.1", "AES256"] => None,
        [_, "1.2", "AES256", id] if !id.is_empty() => Some((*id).to_string()),
        _ => return Err(FormatError::Header(header.trim().to_string())),
    };
    let hex_text: String = rest.split_whitespace().collect();
    if hex_text.is_empty() {
        return Err(FormatError::Corrupt("no payload after the header".into()));
    }
    let body = hex::decode(&hex_text).map_err(|e| FormatError::Corrupt(format!("not hexadecimal: {e}")))?;
    Ok(Envelope { vault_id, body })
}

/// Writes an envelope: 1.2 with the label when it is not `default`, else 1.1; ends with a newline.
pub fn format(vault_id: Option<&str>, body: &[u8]) -> String {
    let mut out = match vault_id.filter(|id| *id != "default") {
        Some(id) => format!("{MAGIC};1.2;AES256;{id}\n"),
        None => format!("{MAGIC};1.1;AES256\n"),
    };
    let hex_text = hex::encode(body);
    for chunk in hex_text.as_bytes().chunks(LINE_WIDTH) {
        // Hex digits are ASCII, so every chunk is valid UTF-8.
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_1_1_and_1_2() {
        let body = vec![7u8; 100];
        let t = format(None, &body);
        assert!(t.starts_with("$ANSIBLE_VAULT;1.1;AES256\n"));
        assert!(t.lines().skip(1).all(|l| l.len() <= 80));
        assert_eq!(t.lines().nth(1).map(str::len), Some(80));
        assert_eq!(parse(&t).unwrap(), Envelope { vault_id: None, body: body.clone() });
        let t = format(Some("prod"), &body);
        assert!(t.starts_with("$ANSIBLE_VAULT;1.2;AES256;prod\n"));
        assert_eq!(parse(&t).unwrap().vault_id.as_deref(), Some("prod"));
        assert!(format(Some("default"), &body).starts_with("$ANSIBLE_VAULT;1.1;"));
    }

    #[test]
    fn indented_scalar_text_parses() {
        let t = "  $ANSIBLE_VAULT;1.1;AES256\n          6162\n          6364\n";
        assert_eq!(parse(t).unwrap().body, b"abcd");
        assert!(is_vaulted(t.as_bytes()));
        assert!(!is_vaulted(b"a: 1\n"));
    }

    #[test]
    fn bad_inputs_are_typed() {
        assert_eq!(parse("a: 1"), Err(FormatError::NotVault));
        assert!(matches!(parse("$ANSIBLE_VAULT;1.0;AES\nab"), Err(FormatError::Header(_))));
        assert!(matches!(parse("$ANSIBLE_VAULT;1.1;AES256\nzz"), Err(FormatError::Corrupt(_))));
        assert!(matches!(parse("$ANSIBLE_VAULT;1.1;AES256\n"), Err(FormatError::Corrupt(_))));
    }
}
