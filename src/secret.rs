//! Secrets in config: a value written inline, or a `${env:NAME}` or `${file:PATH}`
//! reference resolved when the config compiles. A referenced value is never printed,
//! logged, stored or shown (`••••`).

use std::fmt;

/// A value that may be a secret.
#[derive(Clone, PartialEq)]
pub struct Secret {
    value: String,
    /// Came from `${env:...}` or `${file:...}`: shown as `••••`.
    pub is_reference: bool,
}

/// Why a reference has no value.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("environment variable `{0}` is not set")]
    UnsetVariable(String),
    #[error("cannot read secret file `{path}`: {source}")]
    Unreadable { path: String, source: std::io::Error },
    #[error("`${{{0}}}` is neither `${{env:NAME}}` nor `${{file:PATH}}`")]
    Malformed(String),
}

impl Secret {
    pub fn plain(value: String) -> Secret {
        Secret { value, is_reference: false }
    }

    /// Resolves `text`: a reference reads its variable or file (trailing newlines
    /// dropped); anything else is the value itself.
    pub fn resolve(text: &str) -> Result<Secret, SecretError> {
        let Some(reference) = text.strip_prefix("${").and_then(|r| r.strip_suffix('}')) else {
            return Ok(Secret::plain(text.to_owned()));
        };
        let value = if let Some(name) = reference.strip_prefix("env:") {
            std::env::var(name).map_err(|_| SecretError::UnsetVariable(name.to_owned()))?
        } else if let Some(path) = reference.strip_prefix("file:") {
            std::fs::read_to_string(path)
                .map_err(|source| SecretError::Unreadable { path: path.to_owned(), source })?
                .trim_end()
                .to_owned()
        } else {
            return Err(SecretError::Malformed(reference.to_owned()));
        };
        Ok(Secret { value, is_reference: true })
    }

    pub fn expose(&self) -> &str {
        &self.value
    }
}

thread_local! {
    /// Set while [`revealed`] runs on this thread.
    static REVEALED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f` with secrets' `Debug` writing their values: only for comparing what a
/// config holds (a fingerprint), never for text that leaves the process.
pub fn revealed<T>(f: impl FnOnce() -> T) -> T {
    struct Reset(bool);
    impl Drop for Reset {
        fn drop(&mut self) {
            REVEALED.with(|r| r.set(self.0));
        }
    }
    let _reset = Reset(REVEALED.with(|r| r.replace(true)));
    f()
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_reference && !REVEALED.with(std::cell::Cell::get) {
            f.write_str("\"••••\"")
        } else {
            write!(f, "{:?}", self.value)
        }
    }
}

/// 32 random bytes from the OS, in hex: the API's bearer token.
pub fn random_token() -> std::io::Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| std::io::Error::other(format!("the OS random source failed: {e}")))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Whether `text` is a token [`random_token`] could have made.
pub fn is_token(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit())
}
