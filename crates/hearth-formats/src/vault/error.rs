//! The vault layer's error type: what went wrong, naming the file (or file:line:column) of the vaulted content.

/// A vault problem, naming the file (or file:line:column) of the vaulted content.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// Vaulted content was found but no secret was given.
    #[error(
        "found vaulted content in {origin} but no vault secret was given (use --vault-password-file FILE, \
         --vault-id [LABEL@]SOURCE or --ask-vault-pass)"
    )]
    NoSecret {
        /// Where the vaulted content is.
        origin: String,
    },
    /// None of the given secrets decrypts the content.
    #[error("Decryption failed (no vault secrets were found that could decrypt) on {origin}")]
    WrongPassword {
        /// Where the vaulted content is.
        origin: String,
    },
    /// The content names a vault id that was not given, and no other secret decrypts it.
    #[error(
        "Decryption failed (no vault secrets were found that could decrypt) on {origin}: it was \
         encrypted for vault id '{id}', and the given vault ids are: {known}"
    )]
    UnknownVaultId {
        /// Where the vaulted content is.
        origin: String,
        /// The id in the content's 1.2 header.
        id: String,
        /// The labels that were given.
        known: String,
    },
    /// The envelope or the payload is damaged or of an unsupported kind.
    #[error("{origin}: {source}")]
    Format {
        /// Where the vaulted content is.
        origin: String,
        /// What is wrong with it.
        source: super::envelope::FormatError,
    },
    /// The payload decrypted with a matching HMAC but is still damaged.
    #[error("{origin}: {source}")]
    Cipher {
        /// Where the vaulted content is.
        origin: String,
        /// What is wrong with it.
        source: super::cipher::CipherError,
    },
    /// Decrypted content that must be text is not UTF-8.
    #[error("{origin}: the decrypted content is not valid UTF-8")]
    NotText {
        /// Where the vaulted content is.
        origin: String,
    },
    /// A password source could not be used (unreadable file, failing script, empty password).
    #[error("vault password source {source_name}: {message}")]
    Source {
        /// The file, script or `prompt`.
        source_name: String,
        /// What went wrong.
        message: String,
    },
    /// Encrypting needs one secret, and there is none or a choice to make.
    #[error("{0}")]
    Encrypt(String),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The system's error.
        source: std::io::Error,
    },
}
