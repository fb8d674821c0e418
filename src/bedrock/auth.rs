//! How requests are authenticated: a Bedrock API key (a bearer token, from
//! `AWS_BEARER_TOKEN_BEDROCK` or a command or file the config names) or SigV4 with
//! credentials from the standard chain, and the name of each for the status bar.

use std::path::PathBuf;
use std::time::Duration;

use aws_credential_types::Credentials;
use aws_credential_types::credential_feature::AwsCredentialFeature;

/// The variable the AWS SDKs read a Bedrock API key from.
pub const API_KEY_VAR: &str = "AWS_BEARER_TOKEN_BEDROCK";

/// How long a key command may take before it is given up on.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);

/// Where the config says a Bedrock API key is read from; never the key itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiKeySource {
    /// A shell command whose standard output is the key (a password manager, a vault).
    Command(String),
    /// A file holding the key.
    File(PathBuf),
}

/// Where the API key in use came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyOrigin {
    Environment,
    Config,
}

/// The kind of SigV4 credentials the chain found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chain {
    AccessKeys,
    Profile,
    Sso,
    AssumedRole,
    WebIdentity,
    Process,
    InstanceRole,
    ContainerRole,
    /// Credentials from a source that does not say what it is.
    Other,
}

/// How the connection authenticates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// A Bedrock API key sent as a bearer token.
    ApiKey(KeyOrigin),
    /// SigV4 signatures with credentials from the standard chain.
    Credentials(Chain),
    /// Placeholder credentials: an endpoint that does not check them.
    None,
}

impl Auth {
    /// A short name for the status bar and messages.
    pub fn label(self) -> &'static str {
        match self {
            Auth::ApiKey(KeyOrigin::Environment) => "API key",
            Auth::ApiKey(KeyOrigin::Config) => "API key from config",
            Auth::Credentials(c) => match c {
                Chain::AccessKeys => "access keys",
                Chain::Profile => "profile keys",
                Chain::Sso => "SSO",
                Chain::AssumedRole => "assumed role",
                Chain::WebIdentity => "web identity",
                Chain::Process => "credential process",
                Chain::InstanceRole => "instance role",
                Chain::ContainerRole => "container role",
                Chain::Other => "AWS credentials",
            },
            Auth::None => "no credentials",
        }
    }

    /// How a request is authenticated, for the inspector: the scheme and where its
    /// secret came from.
    pub fn scheme(self) -> String {
        match self {
            Auth::ApiKey(_) => format!("bearer token ({})", self.label()),
            Auth::Credentials(_) => format!("SigV4 ({})", self.label()),
            Auth::None => "SigV4 with placeholder credentials".to_owned(),
        }
    }

    /// Whether requests carry a Bedrock API key rather than a signature.
    pub fn is_api_key(self) -> bool {
        matches!(self, Auth::ApiKey(_))
    }
}

/// What kind of credentials these are, from the features the SDK's providers record.
pub(crate) fn chain_of(creds: &Credentials) -> Chain {
    use AwsCredentialFeature as F;
    let features = creds
        .get_property::<Vec<AwsCredentialFeature>>()
        .map(Vec::as_slice)
        .unwrap_or_default();
    // The most specific feature wins: an SSO profile also records "profile".
    let order: [(&[F], Chain); 8] = [
        (&[F::CredentialsSso, F::CredentialsProfileSso], Chain::Sso),
        (
            &[
                F::CredentialsStsAssumeRoleWebId,
                F::CredentialsEnvVarsStsWebIdToken,
                F::CredentialsProfileStsWebIdToken,
            ],
            Chain::WebIdentity,
        ),
        (
            &[F::CredentialsStsAssumeRole, F::CredentialsStsAssumeRoleSaml],
            Chain::AssumedRole,
        ),
        (
            &[F::CredentialsProcess, F::CredentialsProfileProcess],
            Chain::Process,
        ),
        (&[F::CredentialsImds], Chain::InstanceRole),
        (&[F::CredentialsHttp], Chain::ContainerRole),
        (&[F::CredentialsEnvVars], Chain::AccessKeys),
        (
            &[F::CredentialsProfile, F::CredentialsProfileSourceProfile],
            Chain::Profile,
        ),
    ];
    order
        .iter()
        .find(|(kinds, _)| kinds.iter().any(|k| features.contains(k)))
        .map_or(Chain::Other, |(_, c)| *c)
}

/// Why a Bedrock API key could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("api_key command `{command}` failed: {reason}")]
    Command { command: String, reason: String },
    #[error("api_key file {path}: {reason}")]
    File { path: String, reason: String },
    #[error("the Bedrock API key from {0} is empty")]
    Empty(&'static str),
    #[error(
        "refusing to send the Bedrock API key over plain HTTP to {host}; use an https:// endpoint (serve-local --tls) or a loopback address"
    )]
    PlainHttp { host: String },
}

/// The API key to use and where it came from: the environment first, as in the AWS
/// SDKs, else the config's source.
pub(crate) async fn api_key(
    source: Option<&ApiKeySource>,
) -> Result<Option<(String, KeyOrigin)>, KeyError> {
    if let Ok(key) = std::env::var(API_KEY_VAR) {
        let key = key.trim().to_owned();
        if key.is_empty() {
            return Err(KeyError::Empty(API_KEY_VAR));
        }
        return Ok(Some((key, KeyOrigin::Environment)));
    }
    let Some(source) = source else {
        return Ok(None);
    };
    let key = match source {
        ApiKeySource::Command(command) => run_key_command(command).await?,
        ApiKeySource::File(path) => {
            let path = crate::paths::expand_home(&path.to_string_lossy());
            std::fs::read_to_string(&path).map_err(|e| KeyError::File {
                path: crate::paths::display_path(&path),
                reason: e.to_string(),
            })?
        }
    };
    let key = key.trim().to_owned();
    if key.is_empty() {
        return Err(KeyError::Empty("the config's api_key"));
    }
    Ok(Some((key, KeyOrigin::Config)))
}

async fn run_key_command(command: &str) -> Result<String, KeyError> {
    let failed = |reason: String| KeyError::Command {
        command: command.to_owned(),
        reason,
    };
    let run = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(COMMAND_TIMEOUT, run)
        .await
        .map_err(|_| failed(format!("no answer in {} s", COMMAND_TIMEOUT.as_secs())))?
        .map_err(|e| failed(e.to_string()))?;
    if !out.status.success() {
        let stderr = crate::sanitize::text(String::from_utf8_lossy(&out.stderr).trim());
        return Err(failed(format!("{}: {stderr}", out.status)));
    }
    String::from_utf8(out.stdout).map_err(|_| failed("its output is not UTF-8".into()))
}

/// Refuses an endpoint that would carry a bearer token in clear beyond this machine.
pub(crate) fn check_transport(url: &str) -> Result<(), KeyError> {
    let Some(rest) = url.strip_prefix("http://") else {
        return Ok(());
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority.rsplit_once(':').map_or(authority, |(h, _)| h),
    };
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if loopback {
        Ok(())
    } else {
        Err(KeyError::PlainHttp {
            host: crate::sanitize::text(host),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bearer_token_goes_in_clear_only_to_this_machine() {
        for ok in [
            "https://bedrock-runtime.us-east-1.amazonaws.com",
            "https://10.0.0.5:8787",
            "http://127.0.0.1:8787",
            "http://localhost:8787/",
            "http://[::1]:8787",
            "http://127.0.0.2",
        ] {
            assert_eq!(check_transport(ok), Ok(()), "{ok}");
        }
        for (bad, host) in [
            ("http://10.0.0.5:8787", "10.0.0.5"),
            ("http://example.com", "example.com"),
            ("http://[2001:db8::1]:80/x", "2001:db8::1"),
            ("http://localhost.evil.com:80", "localhost.evil.com"),
        ] {
            assert_eq!(
                check_transport(bad),
                Err(KeyError::PlainHttp { host: host.into() }),
                "{bad}"
            );
        }
    }

    #[test]
    fn credentials_are_named_by_their_most_specific_source() {
        let with = |features: &[AwsCredentialFeature]| {
            let mut c = Credentials::new("a", "b", None, None, "test");
            for f in features {
                c.get_property_mut_or_default::<Vec<AwsCredentialFeature>>()
                    .push(f.clone());
            }
            chain_of(&c)
        };
        assert_eq!(with(&[]), Chain::Other);
        assert_eq!(
            with(&[AwsCredentialFeature::CredentialsEnvVars]),
            Chain::AccessKeys
        );
        assert_eq!(
            with(&[
                AwsCredentialFeature::CredentialsProfile,
                AwsCredentialFeature::CredentialsProfileSso
            ]),
            Chain::Sso
        );
        assert_eq!(
            with(&[AwsCredentialFeature::CredentialsImds]),
            Chain::InstanceRole
        );
        assert_eq!(Auth::Credentials(Chain::Sso).label(), "SSO");
    }

    #[tokio::test]
    async fn a_key_is_read_from_a_command_or_a_file_and_failures_say_which() {
        // The environment variable would win; these tests run without it.
        if std::env::var(API_KEY_VAR).is_ok() {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("key");
        std::fs::write(&file, "ABSKfromfile\n").unwrap();
        assert_eq!(
            api_key(Some(&ApiKeySource::File(file.clone()))).await,
            Ok(Some(("ABSKfromfile".into(), KeyOrigin::Config)))
        );
        assert_eq!(
            api_key(Some(&ApiKeySource::Command("printf ' ABSKcmd '".into()))).await,
            Ok(Some(("ABSKcmd".into(), KeyOrigin::Config)))
        );
        let failed = api_key(Some(&ApiKeySource::Command("echo nope >&2; exit 3".into())))
            .await
            .unwrap_err()
            .to_string();
        assert!(failed.contains("exit status: 3: nope"), "{failed}");
        assert_eq!(
            api_key(Some(&ApiKeySource::Command("true".into()))).await,
            Err(KeyError::Empty("the config's api_key"))
        );
        let missing = api_key(Some(&ApiKeySource::File(dir.path().join("none"))))
            .await
            .unwrap_err();
        assert!(matches!(missing, KeyError::File { .. }), "{missing:?}");
        assert_eq!(api_key(None).await, Ok(None));
    }
}
