//! Ghost's `database.connection.ssl` (and its `database__connection__ssl__*` environment
//! overrides), which knex hands to mysql2 unchanged, mapped to a `TlsRequest` with the same
//! verification mysql2 does: any `ssl` verifies the certificate chain (`rejectUnauthorized`
//! defaults to true), the host name only with `verifyIdentity`. What has no equivalent is an
//! error naming the key. The RDS rule (host name verified by default) is applied later, in
//! `db::tls::decide`.

use crate::db::tls::{Ca, SslMode, TlsRequest, client_pair, count_certs, is_private_key};
use crate::error::{Error, Result};
use serde_json::Value;

const KEY: &str = "database.connection.ssl";

fn bad(key: &str, what: &str, hint: &str) -> Error {
    Error::usage(format!("Ghost config {key} {what}"), hint.to_string())
}

/// JavaScript truthiness, as mysql2 reads `verifyIdentity`.
fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

/// PEM text from a string or an array of strings (Node accepts both).
fn pem_of(key: &str, v: &Value) -> Result<Option<Vec<u8>>> {
    let text = match v {
        Value::Null => return Ok(None),
        Value::String(s) => s.clone(),
        Value::Array(a) if a.iter().all(Value::is_string) => a
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join("\n"),
        _ => {
            return Err(bad(
                key,
                "is neither PEM text nor a list of PEM texts",
                "give the PEM text itself (-----BEGIN CERTIFICATE----- ...), as Ghost's mysql2 expects",
            ));
        }
    };
    Ok(Some(text.into_bytes()))
}

/// Maps Ghost's `ssl` value (None when absent).
pub fn request(v: Option<&Value>) -> Result<TlsRequest> {
    let mut req = TlsRequest {
        origin: "database.connection.ssl in Ghost's config",
        ..Default::default()
    };
    let obj = match v {
        None | Some(Value::Null) | Some(Value::Bool(false)) => return Ok(req),
        // mysql2 3.x refuses `true` ("SSL profile must be an object"); mysqljs (Ghost 4)
        // verified the chain against Node's CAs. An env override gives the string "true".
        Some(Value::Bool(true)) => {
            req.fallback = Some(SslMode::VerifyCa);
            return Ok(req);
        }
        Some(Value::String(s)) if s == "true" => {
            req.fallback = Some(SslMode::VerifyCa);
            return Ok(req);
        }
        Some(Value::String(s)) if s == "Amazon RDS" => {
            req.fallback = Some(SslMode::VerifyCa);
            req.ca = Some(Ca::RdsBundle);
            return Ok(req);
        }
        Some(Value::String(s)) => {
            return Err(bad(
                KEY,
                &format!("is {s:?}, which is not an ssl profile"),
                "the one profile Ghost's mysql2 knows is \"Amazon RDS\"; otherwise give an object such as {\"ca\": \"-----BEGIN CERTIFICATE-----...\"}",
            ));
        }
        Some(Value::Object(o)) => o,
        Some(_) => {
            return Err(bad(
                KEY,
                "is neither true, \"Amazon RDS\" nor an object",
                "use \"ssl\": \"Amazon RDS\" for RDS/Aurora, or an object with ca, rejectUnauthorized, cert, key",
            ));
        }
    };
    let mut reject = true;
    let mut verify_identity: Option<bool> = None;
    let (mut cert, mut key) = (None, None);
    for (k, v) in obj {
        let full = format!("{KEY}.{k}");
        match k.as_str() {
            "ca" => {
                if let Some(pem) = pem_of(&full, v)? {
                    if count_certs(&pem) == 0 {
                        return Err(bad(
                            &full,
                            "holds no PEM certificate",
                            "give the CA certificate text itself (-----BEGIN CERTIFICATE----- with real line breaks), not a file path",
                        ));
                    }
                    req.ca = Some(Ca::Pem(pem));
                }
            }
            "rejectUnauthorized" => match v {
                Value::Bool(false) => reject = false,
                Value::String(s) if s.eq_ignore_ascii_case("false") => {
                    req.notes.push(format!(
                        "{full} is the string {s:?} (environment variables are strings): Ghost's mysql2 only turns verification off for the boolean false, so the certificate is verified"
                    ));
                }
                _ => {}
            },
            "verifyIdentity" => {
                if !v.is_null() {
                    verify_identity = Some(truthy(v));
                }
            }
            "cert" => cert = pem_of(&full, v)?,
            "key" => {
                key = pem_of(&full, v)?;
                if key.as_deref().is_some_and(|k| !is_private_key(k)) {
                    return Err(bad(
                        &full,
                        "holds no unencrypted private key",
                        "give the PEM key text (PKCS#8, PKCS#1 or SEC1); decrypt an encrypted one with `openssl pkey -in key.pem -out plain.pem`",
                    ));
                }
            }
            "passphrase" if v.is_null() || v.as_str() == Some("") => {}
            "passphrase" => {
                return Err(bad(
                    &full,
                    "is set: encrypted client keys cannot be used",
                    "decrypt the key (`openssl pkey -in key.pem -out plain.pem`), put it in ssl.key and remove ssl.passphrase",
                ));
            }
            // rustls speaks TLS 1.2 and 1.3 only, which satisfies these.
            "minVersion" if matches!(v.as_str(), Some("TLSv1" | "TLSv1.1" | "TLSv1.2")) => {}
            "maxVersion" if v.as_str() == Some("TLSv1.3") => {}
            _ => {
                return Err(bad(
                    &full,
                    "has no equivalent in ghost-migrate",
                    &format!(
                        "remove it (or its database__connection__ssl__{k} variable), or pass --db mysql://user:pass@host/db?ssl-mode=verify_identity&ssl-ca=/path/ca.pem"
                    ),
                ));
            }
        }
    }
    req.client = client_pair(
        cert,
        key,
        &format!("{KEY}.cert"),
        &format!("{KEY}.key"),
        "Ghost config",
    )
    .map_err(|(m, h)| Error::usage(m, h))?;
    req.mode = match (reject, verify_identity) {
        (false, _) => Some(SslMode::Required),
        (true, Some(true)) => Some(SslMode::VerifyIdentity),
        (true, Some(false)) => Some(SslMode::VerifyCa),
        (true, None) => None,
    };
    req.fallback = Some(SslMode::VerifyCa);
    Ok(req)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::tls::{RDS_CA_BUNDLE, decide};
    use serde_json::json;

    const RDS: &str = "ghost.cluster-abc.eu-west-1.rds.amazonaws.com";
    const OTHER: &str = "db.example.com";

    fn mode(v: Value, host: &str) -> SslMode {
        decide(host, &request(Some(&v)).unwrap()).mode
    }

    #[test]
    fn mysql2_semantics() {
        // No ssl: Ghost uses no TLS; we keep sqlx's default off RDS, verify on RDS.
        assert_eq!(
            decide(OTHER, &request(None).unwrap()).mode,
            SslMode::Preferred
        );
        assert_eq!(mode(json!(false), OTHER), SslMode::Preferred);
        assert_eq!(mode(json!(false), RDS), SslMode::VerifyIdentity);
        // Any ssl verifies the chain; the name only with verifyIdentity (or on RDS).
        assert_eq!(mode(json!(true), OTHER), SslMode::VerifyCa);
        assert_eq!(mode(json!("true"), OTHER), SslMode::VerifyCa);
        assert_eq!(mode(json!({}), OTHER), SslMode::VerifyCa);
        assert_eq!(
            mode(json!({"verifyIdentity": true}), OTHER),
            SslMode::VerifyIdentity
        );
        assert_eq!(
            mode(json!({"verifyIdentity": "false"}), OTHER),
            SslMode::VerifyIdentity
        );
        assert_eq!(mode(json!({}), RDS), SslMode::VerifyIdentity);
        assert_eq!(mode(json!("Amazon RDS"), RDS), SslMode::VerifyIdentity);
        // Explicit lowering.
        assert_eq!(
            mode(json!({"verifyIdentity": false}), RDS),
            SslMode::VerifyCa
        );
        assert_eq!(
            mode(json!({"rejectUnauthorized": false}), OTHER),
            SslMode::Required
        );
        let p = decide(
            RDS,
            &request(Some(&json!({"rejectUnauthorized": false}))).unwrap(),
        );
        assert_eq!(p.mode, SslMode::Required);
        assert!(
            p.warnings[0].contains("database.connection.ssl"),
            "{:?}",
            p.warnings
        );
        // The string "false" from an env var does not lower it, as in mysql2.
        let p = decide(
            OTHER,
            &request(Some(&json!({"rejectUnauthorized": "false"}))).unwrap(),
        );
        assert_eq!(p.mode, SslMode::VerifyCa);
        assert!(
            p.warnings[0].contains("the string \"false\""),
            "{:?}",
            p.warnings
        );
    }

    #[test]
    fn profiles_and_cas() {
        let r = request(Some(&json!("Amazon RDS"))).unwrap();
        assert_eq!(r.ca, Some(Ca::RdsBundle));
        let start = RDS_CA_BUNDLE.find("-----BEGIN CERTIFICATE-----").unwrap();
        let end = RDS_CA_BUNDLE.find("-----END CERTIFICATE-----").unwrap() + 25;
        let one = format!("{}\n", &RDS_CA_BUNDLE[start..end]);
        let r = request(Some(&json!({"ca": one}))).unwrap();
        assert_eq!(r.ca, Some(Ca::Pem(one.clone().into_bytes())));
        let r = request(Some(&json!({"ca": [one.clone(), one.clone()]}))).unwrap();
        assert!(matches!(r.ca, Some(Ca::Pem(p)) if count_certs(&p) == 2));
    }

    #[test]
    fn unmappable_settings_name_their_key() {
        let cases = [
            (json!("Amazon RDS 2019"), "database.connection.ssl is"),
            (json!(3), "database.connection.ssl is neither"),
            (
                json!({"ca": "/etc/ssl/rds.pem"}),
                "database.connection.ssl.ca holds no PEM",
            ),
            (json!({"ca": 7}), "database.connection.ssl.ca is neither"),
            (
                json!({"ciphers": "HIGH"}),
                "database.connection.ssl.ciphers has no equivalent",
            ),
            (
                json!({"minVersion": "TLSv1.3"}),
                "database.connection.ssl.minVersion has no",
            ),
            (
                json!({"passphrase": "x"}),
                "database.connection.ssl.passphrase is set",
            ),
            (
                json!({"key": "nope"}),
                "database.connection.ssl.key holds no",
            ),
        ];
        for (v, want) in cases {
            let e = request(Some(&v)).unwrap_err();
            assert!(e.to_string().contains(want), "{v}: {e}");
            assert_eq!(e.exit_code(), crate::error::exit::USAGE);
        }
        assert!(
            request(Some(
                &json!({"minVersion": "TLSv1.2", "maxVersion": "TLSv1.3"})
            ))
            .is_ok()
        );
    }
}
