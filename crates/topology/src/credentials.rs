//! Credentials as the cluster Secret stores them: `NEO4J_AUTH` = `neo4j/<password>`.
//!
//! The password never appears in `Debug`, `Display` or an error message.

use std::fmt;

/// A Neo4j user and password. `Debug` redacts the password.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    user: String,
    password: String,
}

/// Why a `NEO4J_AUTH` value was refused. Carries no part of the value.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CredentialsError {
    #[error("NEO4J_AUTH is empty")]
    Empty,
    #[error(
        "NEO4J_AUTH is `none` (authentication disabled); neo4j-aks clusters always run with authentication"
    )]
    AuthDisabled,
    #[error("NEO4J_AUTH must have the form `<user>/<password>` (no `/` found)")]
    NoSeparator,
    #[error("NEO4J_AUTH has an empty user name before the `/`")]
    EmptyUser,
    #[error("NEO4J_AUTH has an empty password after the `/`")]
    EmptyPassword,
}

impl Credentials {
    pub fn new(user: impl Into<String>, password: impl Into<String>) -> Self {
        Credentials {
            user: user.into(),
            password: password.into(),
        }
    }

    /// Parses `user/password` as the official image reads `NEO4J_AUTH`: the user ends at the
    /// first `/`, the password is everything after it (it may itself contain `/`). A trailing
    /// newline (a Secret written with `echo`) is dropped; other whitespace is kept.
    pub fn from_neo4j_auth(value: &str) -> Result<Self, CredentialsError> {
        let value = value.strip_suffix('\n').unwrap_or(value);
        let value = value.strip_suffix('\r').unwrap_or(value);
        if value.is_empty() {
            return Err(CredentialsError::Empty);
        }
        if value == "none" {
            return Err(CredentialsError::AuthDisabled);
        }
        let (user, password) = value.split_once('/').ok_or(CredentialsError::NoSeparator)?;
        if user.is_empty() {
            return Err(CredentialsError::EmptyUser);
        }
        if password.is_empty() {
            return Err(CredentialsError::EmptyPassword);
        }
        Ok(Credentials::new(user, password))
    }

    /// Same as [`Credentials::from_neo4j_auth`] for the raw bytes of a Secret's data key.
    pub fn from_secret_bytes(bytes: &[u8]) -> Result<Self, CredentialsError> {
        let text = std::str::from_utf8(bytes).map_err(|_| CredentialsError::NoSeparator)?;
        Self::from_neo4j_auth(text)
    }

    pub fn user(&self) -> &str {
        &self.user
    }

    /// The password, for handing to the driver only.
    pub fn expose_password(&self) -> &str {
        &self.password
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("user", &self.user)
            .field("password", &"<redacted>")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_user_and_password() {
        let c = Credentials::from_neo4j_auth("neo4j/s3cr3t/with/slashes").expect("valid");
        assert_eq!(c.user(), "neo4j");
        assert_eq!(c.expose_password(), "s3cr3t/with/slashes");
    }

    #[test]
    fn drops_one_trailing_newline_only() {
        let c = Credentials::from_neo4j_auth("neo4j/pw  \n").expect("valid");
        assert_eq!(c.expose_password(), "pw  ");
        let c = Credentials::from_secret_bytes(b"neo4j/pw\r\n").expect("valid");
        assert_eq!(c.expose_password(), "pw");
    }

    #[test]
    fn refuses_malformed_values_without_echoing_them() {
        for (value, want) in [
            ("", CredentialsError::Empty),
            ("none", CredentialsError::AuthDisabled),
            ("justapassword", CredentialsError::NoSeparator),
            ("/pw", CredentialsError::EmptyUser),
            ("neo4j/", CredentialsError::EmptyPassword),
        ] {
            let err = Credentials::from_neo4j_auth(value).expect_err(value);
            assert_eq!(err, want);
            if !value.is_empty() && value != "none" {
                assert!(!err.to_string().contains(value), "{err}");
            }
        }
    }

    #[test]
    fn debug_redacts_the_password() {
        let c = Credentials::from_neo4j_auth("neo4j/hunter2-very-secret").expect("valid");
        let shown = format!("{c:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("<redacted>"), "{shown}");
    }
}
