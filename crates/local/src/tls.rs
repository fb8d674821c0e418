//! HTTPS for the endpoint: a self-signed certificate for the names a client connects
//! to, kept as PEM files so that a client told to trust it keeps trusting it across
//! restarts, and the rustls configuration that serves it (ALPN h2 and http/1.1).

use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rcgen::{
    CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, KeyPair, KeyUsagePurpose,
};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::client::WebPkiServerVerifier;
use tokio_rustls::rustls::client::danger::ServerCertVerifier;
use tokio_rustls::rustls::crypto::{CryptoProvider, aws_lc_rs};
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use tokio_rustls::rustls::{RootCertStore, ServerConfig};

/// HTTPS with a self-signed certificate whose files are kept in `dir`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tls {
    /// Folder of `cert.pem` and `key.pem`, created when missing. A pair found there is
    /// reused while it covers the endpoint's names and stays valid; otherwise a new
    /// pair replaces it.
    pub dir: PathBuf,
}

impl Tls {
    pub fn new(dir: impl Into<PathBuf>) -> Tls {
        Tls { dir: dir.into() }
    }

    /// The certificate a client trusts (e.g. with `AWS_CA_BUNDLE`).
    pub fn cert_path(&self) -> PathBuf {
        self.dir.join("cert.pem")
    }

    pub fn key_path(&self) -> PathBuf {
        self.dir.join("key.pem")
    }
}

/// How long a new certificate is valid. Apple's clients refuse server certificates
/// valid for more than 825 days.
const VALIDITY: Duration = Duration::from_secs(800 * 24 * 3600);
/// A certificate this close to its end is replaced rather than reused.
const RENEW_BEFORE: Duration = Duration::from_secs(30 * 24 * 3600);
/// Clients whose clock is a little behind still accept a new certificate.
const BACKDATE: Duration = Duration::from_secs(24 * 3600);

/// The names the certificate covers for an endpoint bound to `bound`: loopback by name
/// and address, and the bound address itself when it is a specific non-loopback one.
pub(crate) fn names(bound: IpAddr) -> Vec<String> {
    let mut names = vec![
        "localhost".to_owned(),
        Ipv4Addr::LOCALHOST.to_string(),
        Ipv6Addr::LOCALHOST.to_string(),
    ];
    if !bound.is_loopback() && !bound.is_unspecified() {
        names.push(bound.to_string());
    }
    names
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(aws_lc_rs::default_provider())
}

fn invalid(what: impl std::fmt::Display) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_string())
}

/// Loads the certificate pair in `tls.dir` when it covers `names`, or makes and
/// writes a new one, and returns the acceptor that serves it.
pub(crate) fn acceptor(tls: &Tls, names: &[String]) -> io::Result<TlsAcceptor> {
    let (cert, key) = match reusable(tls, names)? {
        Some(pair) => pair,
        None => generate(tls, names)?,
    };
    let mut config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(invalid)?
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .map_err(invalid)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// The pair in `tls.dir` if a client trusting its certificate would accept it for every
/// name for a while yet, and its key is the certificate's. `None` when there is no such
/// pair; an error only when the files exist but cannot be read.
fn reusable(
    tls: &Tls,
    names: &[String],
) -> io::Result<Option<(CertificateDer<'static>, PrivateKeyDer<'static>)>> {
    let (cert_pem, key_pem) = match (
        std::fs::read(tls.cert_path()),
        std::fs::read(tls.key_path()),
    ) {
        (Ok(c), Ok(k)) => (c, k),
        (Err(e), _) | (_, Err(e)) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        (Err(e), _) | (_, Err(e)) => return Err(e),
    };
    let (Ok(cert), Ok(key)) = (
        CertificateDer::from_pem_slice(&cert_pem),
        PrivateKeyDer::from_pem_slice(&key_pem),
    ) else {
        tracing::info!(
            "replacing an unreadable certificate in {}",
            tls.dir.display()
        );
        return Ok(None);
    };
    if let Err(e) = tokio_rustls::rustls::sign::CertifiedKey::from_der(
        vec![cert.clone()],
        key.clone_key(),
        &provider(),
    ) {
        tracing::info!("replacing the certificate in {}: {e}", tls.dir.display());
        return Ok(None);
    }
    match covers(
        &cert,
        names,
        UnixTime::now().as_secs() + RENEW_BEFORE.as_secs(),
    ) {
        Ok(()) => Ok(Some((cert, key))),
        Err(e) => {
            tracing::info!("replacing the certificate in {}: {e}", tls.dir.display());
            Ok(None)
        }
    }
}

/// Whether a client that trusts `cert` accepts it for each of `names` at time `at`
/// (seconds since the epoch): the same check a client makes, so nothing is missed.
fn covers(cert: &CertificateDer<'static>, names: &[String], at: u64) -> Result<(), String> {
    let mut roots = RootCertStore::empty();
    roots.add(cert.clone()).map_err(|e| e.to_string())?;
    let verifier = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider())
        .build()
        .map_err(|e| e.to_string())?;
    let at = UnixTime::since_unix_epoch(Duration::from_secs(at));
    for name in names {
        let server = ServerName::try_from(name.as_str()).map_err(|e| e.to_string())?;
        verifier
            .verify_server_cert(cert, &[], &server, &[], at)
            .map_err(|e| format!("{name}: {e}"))?;
    }
    Ok(())
}

/// Makes a self-signed certificate for `names` and writes it and its key to `tls.dir`.
fn generate(
    tls: &Tls,
    names: &[String],
) -> io::Result<(CertificateDer<'static>, PrivateKeyDer<'static>)> {
    let key = KeyPair::generate().map_err(invalid)?;
    let mut params = CertificateParams::new(names.to_vec()).map_err(invalid)?;
    let mut subject = DistinguishedName::new();
    subject.push(DnType::CommonName, "bedrock-tui local endpoint");
    params.distinguished_name = subject;
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now - BACKDATE;
    params.not_after = now + VALIDITY;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    // OpenSSL's strict verification (Python 3.13's default) wants it even here.
    params.use_authority_key_identifier_extension = true;
    let cert = params.self_signed(&key).map_err(invalid)?;
    create_private_dir(&tls.dir)?;
    // The key first: a pair is only reused when it matches, so a stop between the
    // two writes leaves a pair that is replaced next time.
    write_atomically(&tls.key_path(), key.serialize_pem().as_bytes(), 0o600)?;
    write_atomically(&tls.cert_path(), cert.pem().as_bytes(), 0o644)?;
    let key = PrivateKeyDer::try_from(key.serialize_der()).map_err(invalid)?;
    Ok((cert.der().clone(), key))
}

fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// Writes `path` whole or not at all, created with `mode` so that a key is never
/// readable by others, even for a moment.
fn write_atomically(path: &Path, bytes: &[u8], mode: u32) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut builder = tempfile::Builder::new();
    builder.prefix(".tls-");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(mode));
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = builder.tempfile_in(dir)?;
    file.write_all(bytes)?;
    file.as_file().sync_all()?;
    file.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{LocalEndpoint, Settings};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio_rustls::TlsConnector;
    use tokio_rustls::rustls::ClientConfig;

    fn loopback() -> Vec<String> {
        names("127.0.0.1".parse().unwrap())
    }

    fn now() -> u64 {
        UnixTime::now().as_secs()
    }

    fn cert_of(tls: &Tls) -> CertificateDer<'static> {
        CertificateDer::from_pem_file(tls.cert_path()).unwrap()
    }

    #[test]
    fn names_are_loopback_and_a_specific_bound_address() {
        let base = ["localhost", "127.0.0.1", "::1"];
        for bound in ["127.0.0.1", "0.0.0.0", "::", "::1", "127.0.0.2"] {
            assert_eq!(names(bound.parse().unwrap()), base, "{bound}");
        }
        assert_eq!(
            names("192.168.1.5".parse().unwrap()),
            ["localhost", "127.0.0.1", "::1", "192.168.1.5"]
        );
        assert_eq!(
            names("fd00::5".parse().unwrap()),
            ["localhost", "127.0.0.1", "::1", "fd00::5"]
        );
    }

    #[test]
    fn a_new_pair_covers_its_names_for_its_validity_and_the_key_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let tls = Tls::new(dir.path().join("tls"));
        let wanted = names("10.1.2.3".parse().unwrap());
        acceptor(&tls, &wanted).unwrap();
        let cert = cert_of(&tls);
        assert_eq!(covers(&cert, &wanted, now()), Ok(()));
        assert!(covers(&cert, &["example.com".to_owned()], now()).is_err());
        assert!(covers(&cert, &["10.1.2.4".to_owned()], now()).is_err());
        assert!(covers(&cert, &wanted, now() + VALIDITY.as_secs() + 60).is_err());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&tls.key_path()), 0o600);
            assert_eq!(mode(&tls.dir), 0o700);
        }
        let leftovers: Vec<_> = std::fs::read_dir(&tls.dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .filter(|n| n != "cert.pem" && n != "key.pem")
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }

    #[test]
    fn a_pair_is_reused_while_it_fits_and_replaced_when_it_does_not() {
        let dir = tempfile::tempdir().unwrap();
        let tls = Tls::new(dir.path());
        acceptor(&tls, &loopback()).unwrap();
        let first = std::fs::read(tls.cert_path()).unwrap();
        acceptor(&tls, &loopback()).unwrap();
        assert_eq!(std::fs::read(tls.cert_path()).unwrap(), first, "reused");

        // A name it lacks: replaced by one that has it.
        let wider = names("10.9.8.7".parse().unwrap());
        acceptor(&tls, &wider).unwrap();
        assert_ne!(std::fs::read(tls.cert_path()).unwrap(), first);
        assert_eq!(covers(&cert_of(&tls), &wider, now()), Ok(()));

        // A key that is not the certificate's.
        let cert = std::fs::read(tls.cert_path()).unwrap();
        let other = KeyPair::generate().unwrap().serialize_pem();
        std::fs::write(tls.key_path(), other).unwrap();
        acceptor(&tls, &wider).unwrap();
        assert_ne!(std::fs::read(tls.cert_path()).unwrap(), cert);
        let key = PrivateKeyDer::from_pem_file(tls.key_path()).unwrap();
        tokio_rustls::rustls::sign::CertifiedKey::from_der(vec![cert_of(&tls)], key, &provider())
            .unwrap();

        // Files that are not PEM at all.
        std::fs::write(tls.cert_path(), "not a certificate").unwrap();
        acceptor(&tls, &wider).unwrap();
        assert_eq!(covers(&cert_of(&tls), &wider, now()), Ok(()));
    }

    #[test]
    fn a_pair_near_its_end_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let tls = Tls::new(dir.path());
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(loopback()).unwrap();
        let now = time::OffsetDateTime::now_utc();
        params.not_before = now - BACKDATE;
        params.not_after = now + RENEW_BEFORE / 2;
        let cert = params.self_signed(&key).unwrap();
        std::fs::write(tls.key_path(), key.serialize_pem()).unwrap();
        std::fs::write(tls.cert_path(), cert.pem()).unwrap();
        assert_eq!(
            covers(cert.der(), &loopback(), now.unix_timestamp() as u64),
            Ok(())
        );
        acceptor(&tls, &loopback()).unwrap();
        assert_ne!(&cert_of(&tls), cert.der());
    }

    /// A TLS connection to `ep` that trusts only its certificate, offering `alpn`.
    async fn connect(
        ep: &LocalEndpoint,
        alpn: &[&[u8]],
    ) -> tokio_rustls::client::TlsStream<tokio::net::TcpStream> {
        let mut roots = RootCertStore::empty();
        let cert = CertificateDer::from_pem_file(ep.certificate().unwrap()).unwrap();
        roots.add(cert).unwrap();
        let mut config = ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        let tcp = tokio::net::TcpStream::connect(ep.addr()).await.unwrap();
        TlsConnector::from(Arc::new(config))
            .connect(ServerName::try_from("localhost").unwrap(), tcp)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn serves_http1_and_h2_over_tls_with_alpn() {
        let dir = tempfile::tempdir().unwrap();
        let settings = Settings {
            tls: Some(Tls::new(dir.path().join("tls"))),
            ..Settings::default()
        };
        let ep = LocalEndpoint::start("127.0.0.1:0".parse().unwrap(), settings)
            .await
            .unwrap();
        assert_eq!(ep.url(), format!("https://{}", ep.addr()));
        assert_eq!(
            ep.certificate(),
            Some(dir.path().join("tls/cert.pem").as_path())
        );

        let mut conn = connect(&ep, &[b"http/1.1"]).await;
        assert_eq!(conn.get_ref().1.alpn_protocol(), Some(&b"http/1.1"[..]));
        conn.write_all(
            b"GET /_local/health HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n",
        )
        .await
        .unwrap();
        let mut answer = String::new();
        let _ = conn.read_to_string(&mut answer).await;
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert!(answer.ends_with(r#"{"status":"ok"}"#), "{answer}");

        let mut conn = connect(&ep, &[b"h2", b"http/1.1"]).await;
        assert_eq!(conn.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
        // The client preface and an empty SETTINGS frame; an HTTP/2 server answers
        // with a SETTINGS frame of its own (frame type 4 in the fourth byte).
        conn.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\x04\0\0\0\0\0")
            .await
            .unwrap();
        let mut head = [0u8; 9];
        conn.read_exact(&mut head).await.unwrap();
        assert_eq!(head[3], 4, "{head:?}");

        // Cleartext on the TLS port gets no HTTP answer.
        let mut plain = tokio::net::TcpStream::connect(ep.addr()).await.unwrap();
        plain
            .write_all(b"GET /_local/health HTTP/1.1\r\nhost: localhost\r\n\r\n")
            .await
            .unwrap();
        let mut answer = Vec::new();
        let _ = plain.read_to_end(&mut answer).await;
        assert!(!answer.starts_with(b"HTTP/"), "{answer:?}");
        ep.shutdown().await;
    }

    #[tokio::test]
    async fn plain_http_stays_the_default() {
        let ep = LocalEndpoint::start("127.0.0.1:0".parse().unwrap(), Settings::default())
            .await
            .unwrap();
        assert_eq!(ep.url(), format!("http://{}", ep.addr()));
        assert_eq!(ep.certificate(), None);
        ep.shutdown().await;
    }
}
