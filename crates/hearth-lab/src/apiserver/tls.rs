//! TLS for the API server double: a throwaway CA and a server certificate signed by it (rcgen),
//! turned into a rustls server config (ring, h2 + http/1.1). It does not do client-certificate
//! authentication: clients authenticate with a bearer token (see `http.rs`).

use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use tokio_rustls::rustls::{self, pki_types};

/// A generated CA and the server identity it signed.
pub struct Identity {
    /// The CA certificate, PEM (goes into the kubeconfig as certificate-authority-data).
    pub ca_pem: String,
    /// The server certificate chain (DER).
    cert_der: pki_types::CertificateDer<'static>,
    /// The server key (PKCS#8 DER).
    key_der: Vec<u8>,
}

/// Makes a CA and a server certificate valid for `names` (IP addresses or DNS names).
pub fn generate(names: &[String]) -> Result<Identity, rcgen::Error> {
    let ca_key = KeyPair::generate()?;
    let mut ca = CertificateParams::new(Vec::<String>::new())?;
    ca.distinguished_name.push(DnType::CommonName, "hearth-lab-ca");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages =
        vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    let ca_cert = ca.self_signed(&ca_key)?;
    let issuer = Issuer::new(ca, ca_key);

    let key = KeyPair::generate()?;
    let mut params = CertificateParams::new(names.to_vec())?;
    params.distinguished_name.push(DnType::CommonName, "hearth-lab-apiserver");
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    let cert = params.signed_by(&key, &issuer)?;
    Ok(Identity { ca_pem: ca_cert.pem(), cert_der: cert.der().clone(), key_der: key.serialize_der() })
}

/// The rustls server config for an identity, offering HTTP/2 and HTTP/1.1.
pub fn server_config(id: &Identity) -> Result<Arc<rustls::ServerConfig>, rustls::Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let key = pki_types::PrivateKeyDer::Pkcs8(pki_types::PrivatePkcs8KeyDer::from(id.key_der.clone()));
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(vec![id.cert_der.clone()], key)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}
